import { describe, expect, it } from 'vitest';
import { findRepeatedJsonKey, parseFormFields } from './body-parsers.js';

describe('form fields', () => {
  it('keeps prototype-named fields as plain own data on an object without a prototype', () => {
    const fields = parseFormFields('__proto__=x&constructor=y&email=a%40x.io');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect(fields.__proto__).toBe('x');
    expect(fields.constructor).toBe('y');
    expect(fields.email).toBe('a@x.io');
  });

  it('refuses a field sent twice, even empty', () => {
    expect(() => parseFormFields('a=1&b=2&a=')).toThrow('field sent more than once: a');
  });
});

describe('repeated JSON keys', () => {
  it.each([
    ['{"email":"a","email":"b"}', 'email'],
    ['{"email":"a","\\u0065mail":"b"}', 'email'],
    ['{"a":{"x":1,"x":2}}', 'x'],
    ['[{"k":1},{"k":2,"k":3}]', 'k'],
    ['{"a":"}","b":"{","a":1}', 'a'],
    ['{"a":"\\"","a":2}', 'a'],
  ])('finds the repeated key in %s', (text, key) => {
    expect(findRepeatedJsonKey(text)).toBe(key);
  });

  it.each([
    '{"email":"a","password":"b"}',
    '{"a":{"x":1},"b":{"x":2}}',
    '[{"k":1},{"k":2}]',
    '{"a":["a","a"],"b":"a"}',
    '{"email":"email","password":"email"}',
    '"just a string"',
    '{"unterminated',
  ])('finds none in %s', (text) => {
    expect(findRepeatedJsonKey(text)).toBeNull();
  });
});
