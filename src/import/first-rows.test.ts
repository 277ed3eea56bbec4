import { describe, expect, it } from 'vitest';
import { FirstRows } from './first-rows.js';

describe('first rows of email keys', () => {
  it('names the first row of a key, past many growths of the table', () => {
    const rows = new FirstRows(4);
    for (let row = 1; row <= 50_000; row += 1) expect(rows.claim(`user${row}@x.io`, row)).toBeNull();
    for (let row = 1; row <= 50_000; row += 997) expect(rows.claim(`user${row}@x.io`, 60_000)).toBe(row);
    expect(rows.claim('someone.else@x.io', 60_001)).toBeNull();
  });
});
