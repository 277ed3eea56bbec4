import { describe, expect, it } from 'vitest';
import { isolatedPlainText, isolatedText, visibleText } from './visible-text.js';

const mark = (code: string) => `<span class="unseen">&lt;U+${code}&gt;</span>`;

describe('visible text', () => {
  it('spells out every character that shows nothing or moves the text, and escapes the rest', () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['a\u200Bb', `a${mark('200B')}b`],
      ['\u202Eab\u2066', `${mark('202E')}ab${mark('2066')}`],
      ['\u115F\u1160\u3164\uFFA0', ['115F', '1160', '3164', 'FFA0'].map(mark).join('')],
      ['a\uFE0F\u{E0100}\u{E0041}', `a${mark('FE0F')}${mark('E0100')}${mark('E0041')}`],
      ['a\u3000b\u00A0c\u2800\u00AD', `a${mark('3000')}b${mark('00A0')}c${mark('2800')}${mark('00AD')}`],
      ['<ops>@ex\u0430mple.com', '&lt;ops&gt;@ex\u0430mple.com'],
    ];
    for (const [text, markup] of cases) expect(visibleText(text).text).toBe(markup);
  });

  it('leaves a space between words as it is, and spells out one a page would lose or merge', () => {
    const space = mark('0020');
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['Ann Lee', 'Ann Lee'],
      ['a b c', 'a b c'],
      [' ops@x.io', `${space}ops@x.io`],
      ['ops@x.io ', `ops@x.io${space}`],
      ['a  b', `a${space}${space}b`],
      [' ', space],
      ['a \u200Bb', `a ${mark('200B')}b`],
    ];
    for (const [text, markup] of cases) expect(visibleText(text).text).toBe(markup);
    expect(isolatedPlainText('Ann Lee ')).toBe('\u2068Ann Lee<U+0020>\u2069');
  });

  it('isolates the text in <bdi>, or between isolate controls where markup cannot go', () => {
    expect(isolatedText('\u202Emoc.elpmaxe@spo').text).toBe(`<bdi>${mark('202E')}moc.elpmaxe@spo</bdi>`);
    expect(isolatedPlainText('ops@example.com\u200B')).toBe('\u2068ops@example.com<U+200B>\u2069');
  });
});
