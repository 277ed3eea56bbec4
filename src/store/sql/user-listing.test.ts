import { describe, expect, it } from 'vitest';
import { prefixEnd } from './user-listing.js';

describe('the end of an email key prefix range', () => {
  it('is the prefix with its last code point one higher', () => {
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a%')).toBe('a&');
    expect(prefixEnd('é')).toBe('ê');
    expect(prefixEnd('a\u{1F600}')).toBe('a\u{1F601}');
  });

  it('steps over the surrogates, which no stored string holds', () => {
    expect(prefixEnd('a\u{D7FF}')).toBe('a\u{E000}');
  });

  it('carries past the highest code point, and is none when nothing is above', () => {
    expect(prefixEnd('a\u{10FFFF}')).toBe('b');
    expect(prefixEnd('\u{10FFFF}\u{10FFFF}')).toBeNull();
    expect(prefixEnd('')).toBeNull();
  });
});
