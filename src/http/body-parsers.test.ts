import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, findRepeatedJsonKey, parseFormFields } from './body-parsers.js';

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

  it('decodes a form body as the URL standard does, and refuses what it would replace by U+FFFD', () => {
    // Pieces that exercise each rule: separators, plus, stray and cut percent signs, encoded multi-byte characters.
    const piece = fc.constantFrom('a', '=', '&', '+', '%', '%2', '%41', '%2b', '%C3%A9', '%e2%82%ac', '%F0%9F%94%91', 'é', '🔑', '\uFEFF', ' ', 'Z9');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const body = pieces.join('');
        // The standard decodes bytes, so a raw character is its percent-encoded UTF-8. Node's
        // URLSearchParams is given only the encoded form: it garbles a raw one before a stray `%`.
        const entries = [...new URLSearchParams(body.replace(/[^\0-\x7f]/gu, encodeURIComponent))];
        fc.pre(new Set(entries.map(([name]) => name)).size === entries.length);
        // No piece encodes U+FFFD itself: where the standard makes one, the bytes were not UTF-8.
        if (entries.flat().some((text) => text.includes('\uFFFD'))) expect(() => parseFormFields(body)).toThrow('is not valid UTF-8');
        else expect(Object.entries(parseFormFields(body))).toEqual(entries);
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['%FF', '%C3', '%C3%28', '%ED%A0%80', '%F4%90%80%80', '%C0%AF'])('refuses the percent-encoded bytes %s, which are not UTF-8', (bytes) => {
    expect(() => parseFormFields(`password=x${bytes}y`)).toThrow('password is not valid UTF-8');
  });
});

describe('UTF-8 bodies', () => {
  it('decodes UTF-8 and keeps a byte order mark as a character', () => {
    expect(decodeUtf8(Buffer.from('\uFEFFé🔑'))).toBe('\uFEFFé🔑');
  });

  it.each([[[0xff]], [[0xc3]], [[0xed, 0xa0, 0x80]], [[0xe2, 0x82]]])('refuses the bytes %j', (bytes) => {
    expect(() => decodeUtf8(Buffer.from(bytes))).toThrow('request body is not valid UTF-8');
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
