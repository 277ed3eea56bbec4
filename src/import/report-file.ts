import { closeSync, openSync, writeSync } from 'node:fs';
import type { ImportReport } from './importer.js';

/** The report as a JSON Lines file (mode 0600: it names users), written 256 lines at a time and at the end. */
export function openReportFile(path: string): ImportReport & { close(): void } {
  const fd = openSync(path, 'w', 0o600);
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    writeSync(fd, pending.join(''));
    pending = [];
  };
  return {
    write(line) {
      pending.push(`${JSON.stringify(line)}\n`);
      if (pending.length >= 256) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}
