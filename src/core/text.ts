/** Length in Unicode code points, the way people (and NIST SP 800-63B §3.1.1.2) count characters. */
export function codePointCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
