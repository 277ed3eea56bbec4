import { html, type Html } from './html.js';

// What shows nothing, or not itself: format and bidi controls (Cf) and the rest of the "other"
// categories, every kind of space but one, the Default Ignorable code points (Hangul fillers
// U+115F, U+1160, U+3164, U+FFA0, variation selectors, tags) and the blank Braille pattern. The
// API accepts them in an email (the registration contract is fixed), so `ops@example.com` and
// `ops@example.com` + U+200B are two accounts that a page must not draw alike (Unicode TR 36 §2,
// UTS 39 §5). The one space kept is U+0020 alone between two other characters, as in a claim
// `Ann Lee`: a page shows it as it is; at either end or beside another it vanishes or merges.
const UNSEEN = /(?<![^ ]) | (?![^ ])|(?! )[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]/gu;
// First Strong Isolate … Pop Directional Isolate: <bdi> for text where markup cannot go.
const ISOLATE = '\u2068';
const POP_ISOLATE = '\u2069';

const codePointOf = (character: string) => `<U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;

/**
 * `text` as markup in which every character that shows nothing is drawn as its code point,
 * `<U+200B>`, in a `<span class="unseen">` the stylesheet marks out; readable without the
 * stylesheet too.
 */
export function visibleText(text: string): Html {
  const parts: Array<Html | string> = [];
  let start = 0;
  for (const match of text.matchAll(UNSEEN)) {
    parts.push(text.slice(start, match.index), html`<span class="unseen">${codePointOf(match[0])}</span>`);
    start = match.index + match[0].length;
  }
  parts.push(text.slice(start));
  return html`${parts}`;
}

/**
 * A value a user chose (an email), as markup an operator can trust: isolated in `<bdi>` so that
 * right-to-left letters in it cannot reorder the text around it, and drawn by `visibleText`.
 */
export function isolatedText(text: string): Html {
  return html`<bdi>${visibleText(text)}</bdi>`;
}

/** `isolatedText` for plain text, such as a page's title: the code points unmarked, the isolation by Unicode's own controls. */
export function isolatedPlainText(text: string): string {
  return ISOLATE + text.replace(UNSEEN, codePointOf) + POP_ISOLATE;
}
