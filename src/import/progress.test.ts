import { describe, expect, it } from 'vitest';
import { progressLine } from './progress.js';

describe('the progress line', () => {
  it('shows the bar, the rate and the time left when the fraction is known', () => {
    expect(progressLine(250_000, 0.25, 10)).toBe(`[${'#'.repeat(8)}${'.'.repeat(22)}]  25%  250,000 rows  25,000 rows/s  ETA 0:30`);
    expect(progressLine(1_000, 0.001, 4)).toMatch(/ETA 1:06:36$/);
  });

  it('shows rows and rate only when it is not', () => {
    expect(progressLine(1200, null, 2)).toBe('1,200 rows  600 rows/s');
    expect(progressLine(0, 0, 0)).toMatch(/ETA \?$/);
  });
});
