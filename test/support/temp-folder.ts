import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest's global setup: one temporary folder for the whole run, made the workers' `TMPDIR`
 * (and so their children's), and removed at the end. A run makes hundreds of SQLite files,
 * key files and exports; without this they stayed in /tmp, run after run.
 */
export default function useRunFolder(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'sesame-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(folder, { recursive: true, force: true });
  };
}
