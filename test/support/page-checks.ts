import { expect } from 'vitest';

/**
 * Checks that a page's "End this session" buttons can be told apart by a screen reader: each
 * is named by itself and its session's `what` element and described by its `when` element,
 * every id on the page is unique, and no two buttons share a description. Returns the `what`
 * elements' texts, in the buttons' order, for the caller's own checks.
 */
export function expectSessionButtonsToldApart(body: string, count: number): string[] {
  const buttons = [...body.matchAll(/<button type="submit" class="secondary" id="([\w-]+)" aria-labelledby="([\w-]+) ([\w-]+)" aria-describedby="([\w-]+)">End this session<\/button>/g)];
  expect(buttons).toHaveLength(count);
  const ids = (body.match(/ id="[^"]+"/g) ?? []).map((id) => id.slice(5, -1));
  expect(new Set(ids).size).toBe(ids.length);
  // Each id a button names must be on the page: a name or description from nowhere is none.
  const textOf = (kind: 'what' | 'when', id: string) => {
    const text = new RegExp(`<p class="${kind}" id="${id}">(.*?)</p>`).exec(body)?.[1];
    expect(text, `${kind} ${id}`).toBeDefined();
    return text!;
  };
  const descriptions = buttons.map(([, id, self, , when]) => {
    expect(self).toBe(id);
    return textOf('when', when!);
  });
  expect(new Set(descriptions).size).toBe(count);
  return buttons.map(([, , , what]) => textOf('what', what!));
}
