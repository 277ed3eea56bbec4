import { createHash } from 'node:crypto';

const EMPTY = 0;

/**
 * Which row of the source first had each email key, so that a later row with the same key is
 * refused by name. Keys are held as 53-bit fingerprints (SHA-256's first bits) in an
 * open-addressing table of typed arrays, 12 bytes a slot and at most half full: a million keys
 * take 24 MB outside the JS heap, where a Map of them took some 60 MB on it, and the
 * collector's time. Two different keys share a fingerprint with a chance of about 1 in 10^4
 * in a million rows; the later one would then be refused as a collision, never merged.
 */
export class FirstRows {
  #high = new Uint32Array(0);
  #low = new Uint32Array(0);
  #rows = new Uint32Array(0);
  #size = 0;

  constructor(capacity = 1 << 12) {
    this.#allocate(capacity);
  }

  /** The row that first had `emailKey`; or, when none had it, records `row` (≥ 1) as the first and returns null. */
  claim(emailKey: string, row: number): number | null {
    const digest = createHash('sha256').update(emailKey).digest();
    // 21 bits and 32 bits: 53 in all.
    const high = digest.readUInt32BE(0) >>> 11;
    const low = digest.readUInt32BE(4);
    const found = this.#find(high, low);
    if (this.#rows[found] !== EMPTY) return this.#rows[found]!;
    this.#high[found] = high;
    this.#low[found] = low;
    this.#rows[found] = row;
    this.#size += 1;
    if (this.#size * 2 > this.#rows.length) this.#grow();
    return null;
  }

  // The slot holding this fingerprint, or the empty slot where it would go (linear probing).
  #find(high: number, low: number): number {
    const mask = this.#rows.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.#rows[slot] === EMPTY || (this.#low[slot] === low && this.#high[slot] === high)) return slot;
    }
  }

  #allocate(capacity: number): void {
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#rows = new Uint32Array(capacity);
  }

  #grow(): void {
    const [high, low, rows] = [this.#high, this.#low, this.#rows];
    this.#allocate(rows.length * 2);
    for (let slot = 0; slot < rows.length; slot += 1) {
      if (rows[slot] === EMPTY) continue;
      const target = this.#find(high[slot]!, low[slot]!);
      this.#high[target] = high[slot]!;
      this.#low[target] = low[slot]!;
      this.#rows[target] = rows[slot]!;
    }
  }
}
