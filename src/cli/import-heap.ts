import { setFlagsFromString } from 'node:v8';

/**
 * Holds a long import's memory down however node was started (`sesame import`, the bin, has
 * no V8 flags; `npm start`'s are for the service). V8 grew its young generation from 1 MB to
 * 16 MB semi-spaces as each batch outlived a few scavenges, and let the old generation fill
 * with garbage up to four times what is live: a million users took 217 MB. These three are
 * read by the collector as it runs, so they take effect from here (the semi-space size of
 * `npm start` is fixed when V8 starts, its growth is not). 400,000 users then peak at 150 MB,
 * against 187-198 MB without them and 153 MB with `npm start`'s flags (BENCHMARKS.md, import).
 */
export function keepImportHeapSmall(): void {
  // The young generation keeps the size it started with.
  setFlagsFromString('--semi-space-growth-factor=1');
  // As `npm start` (docs/operations.md): garbage at most as much again as what is live.
  setFlagsFromString('--heap-growing-percent=100');
  setFlagsFromString('--no-allocation-site-pretenuring');
}
