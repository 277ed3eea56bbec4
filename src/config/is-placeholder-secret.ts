// What documentation and examples put where a secret goes (compose.yaml's replace-with-…,
// change-me, your-secret-here), compared without case or separators. A random value holds one
// of these words (six letters or more) by chance less than once in ten million.
const PLACEHOLDER_WORDS = ['changeme', 'replace', 'placeholder', 'example', 'secret', 'password'];
// A secret is 32 characters or more; 32 random hex digits hold about 14 distinct ones.
const MIN_DISTINCT_CHARACTERS = 8;
// Neighbours one code point apart or equal (abcd, 0123, aaaa): about one step in five between
// random hex digits, one in twenty in base64.
const MAX_SMALL_STEP_SHARE = 0.75;
// Of the runs of three characters in a random value, nearly all differ; text that repeats
// itself (a word typed three times) has few.
const MIN_DISTINCT_TRIGRAM_SHARE = 0.5;

/**
 * Whether `value`, a secret from the configuration, is a placeholder left in place or has too
 * little randomness to be a secret: it names an example word or sits in <angle brackets>, has
 * few distinct characters, runs in code-point order, or repeats itself. Values made as the
 * README says (`openssl rand`) are never refused.
 */
export function isPlaceholderSecret(value: string): boolean {
  const letters = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PLACEHOLDER_WORDS.some((word) => letters.includes(word)) || /<.*>/.test(value)) return true;
  const characters = [...value];
  if (new Set(characters).size < MIN_DISTINCT_CHARACTERS) return true;
  const steps = characters.slice(1).map((character, i) => Math.abs(character.codePointAt(0)! - characters[i]!.codePointAt(0)!));
  if (steps.filter((step) => step <= 1).length > MAX_SMALL_STEP_SHARE * steps.length) return true;
  const trigrams = characters.slice(2).map((character, i) => characters[i]! + characters[i + 1]! + character);
  return new Set(trigrams).size < MIN_DISTINCT_TRIGRAM_SHARE * trigrams.length;
}

/** The problem to report for a secret `isPlaceholderSecret` refuses, never its value; `example` says how to make one. */
export function placeholderProblem(name: string, example: string): string {
  return `${name}: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. ${example}`;
}
