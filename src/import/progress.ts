import type { ImportCounts } from './importer.js';

const WIDTH = 30;
// Often enough to look alive, rarely enough to cost nothing.
const REDRAW_MS = 200;

/** A progress bar on a terminal: rows read, rows per second and the time left, redrawn in place. */
export function progressBar(output: NodeJS.WriteStream, fraction: () => number | null, now: () => number = Date.now): { update(counts: Readonly<ImportCounts>): void; end(): void } {
  const started = now();
  let drawn = 0;
  let shown = false;
  return {
    update(counts) {
      const at = now();
      if (at - drawn < REDRAW_MS) return;
      drawn = at;
      shown = true;
      output.write(`\r${progressLine(counts.read, fraction(), (at - started) / 1000)}\x1b[K`);
    },
    end() {
      if (shown) output.write('\r\x1b[K');
    },
  };
}

/** `[#####.....]  45%  450,000 rows  52,000 rows/s  ETA 0:11`; without a fraction, no bar and no ETA. */
export function progressLine(rows: number, fraction: number | null, seconds: number): string {
  const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
  const counted = `${rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s`;
  if (fraction === null) return counted;
  const done = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(done * WIDTH);
  const eta = done > 0 ? (seconds * (1 - done)) / done : null;
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(done * 100)).padStart(3)}%  ${counted}  ETA ${eta === null ? '?' : clock(eta)}`;
}

function clock(seconds: number): string {
  const whole = Math.ceil(seconds);
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
}
