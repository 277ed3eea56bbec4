import { StoreConflictError, type ImportOutcome, type Store } from '../core/store.js';
import { FirstRows } from './first-rows.js';
import type { Source } from './source.js';
import { RowRejected, userOf, type AcceptedRow } from './rows-to-users.js';

export interface ImportSettings {
  /** Existing email keys get the imported email and hash (else they are skipped). */
  readonly update: boolean;
  /** Every batch is worked out in its transaction, then rolled back. */
  readonly dryRun: boolean;
  /** See `RowRules.usernameDomain`. */
  readonly usernameDomain: string | null;
  /** Users per transaction. */
  readonly batchSize: number;
  readonly now: () => Date;
}

export interface ImportCounts {
  /** Rows read from the source. */
  read: number;
  inserted: number;
  updated: number;
  /** Their email key was already in Sesame (without `update`). */
  skipped: number;
  rejected: number;
  /** Usable hashes seen, by format. */
  readonly formats: Record<string, number>;
  /** Usable hashes below the floor of `WEAK_BELOW`. */
  weak: number;
  /** The legacy app's live sessions and reset tokens, never imported. */
  droppedSessions: number;
  droppedResetTokens: number;
}

export interface ImportSummary extends ImportCounts {
  /** Null when the whole source was read; else the last row whose fate is settled, and why it stopped. */
  readonly stopped: { readonly afterRow: number; readonly error: string } | null;
}

/** Where the import writes a line per rejected row and per weak hash, then its summary. */
export interface ImportReport {
  write(line: Readonly<Record<string, unknown>>): void;
}

/**
 * Reads `source` to its end and writes its users to `store` in batches of `batchSize`, each
 * one transaction. A row is rejected, with its reason in `report`, when its login or hash
 * is unusable, or when its email key (`email.trim().toLowerCase()`) is one an earlier row of
 * the source already had: the first row wins, and no two accounts are ever merged. When the
 * source or the store fails, the batch being gathered is dropped whole, and the summary says
 * after which row everything is settled (a re-run takes up the rest, skipping what is in).
 */
export async function runImport(
  source: Source,
  store: Pick<Store, 'importUsers'>,
  settings: ImportSettings,
  report: ImportReport,
  onProgress: (counts: Readonly<ImportCounts>) => void = () => undefined,
): Promise<ImportSummary> {
  const counts: ImportCounts = { read: 0, inserted: 0, updated: 0, skipped: 0, rejected: 0, formats: {}, weak: 0, droppedSessions: 0, droppedResetTokens: 0 };
  const firstRows = new FirstRows();
  let batch: Array<AcceptedRow & { readonly position: number }> = [];
  let settled = 0;

  async function flush(): Promise<void> {
    if (batch.length === 0) return;
    const outcomes = await importBatch(store, batch.map((each) => each.user), settings);
    for (const outcome of outcomes) counts[outcome] += 1;
    settled = batch.at(-1)!.position;
    batch = [];
  }

  try {
    for await (const chunk of source.chunks) {
      // A row without a creation time of its own is created when its chunk is read, not all at
      // the import's start: users then sit in the (created_at, id) index in the source's order,
      // each batch appended at its end, where one time for all put each of them at a random
      // place of it (a million users imported at 0.4 of a plain insert, not 0.8).
      const rules = { usernameDomain: settings.usernameDomain, now: settings.now() };
      for (const row of chunk) {
        counts.read += 1;
        if (row.hasSession) counts.droppedSessions += 1;
        if (row.hasResetToken) counts.droppedResetTokens += 1;
        const where = { row: row.position, ref: row.ref, ...(typeof row.login === 'string' && { login: row.login }) };
        try {
          const accepted = userOf(row, rules);
          const first = firstRows.claim(accepted.user.emailKey, row.position);
          if (first !== null) throw new RowRejected('email_collision', `the same email key as row ${first}, which was kept`);
          const { format, params, weak } = accepted.identity;
          counts.formats[format] = (counts.formats[format] ?? 0) + 1;
          if (weak) {
            counts.weak += 1;
            report.write({ ...where, flag: 'weak_hash', format, params });
          }
          batch.push({ ...accepted, position: row.position });
        } catch (error) {
          if (!(error instanceof RowRejected)) throw error;
          counts.rejected += 1;
          report.write({ ...where, reason: error.reason, detail: error.detail });
        }
        if (batch.length === settings.batchSize) await flush();
      }
      if (batch.length === 0 && chunk.length > 0) settled = chunk.at(-1)!.position;
      onProgress(counts);
    }
    await flush();
    settled = counts.read;
  } catch (error) {
    const summary = { ...counts, stopped: { afterRow: settled, error: error instanceof Error ? error.message : String(error) } };
    report.write({ stopped: summary.stopped });
    return summary;
  }
  onProgress(counts);
  return { ...counts, stopped: null };
}

// A registration that took one of the batch's keys meanwhile fails the batch on the unique
// index; once more, the key is found and skipped.
const CONFLICT_RETRIES = 2;

async function importBatch(store: Pick<Store, 'importUsers'>, users: AcceptedRow['user'][], settings: ImportSettings): Promise<ImportOutcome[]> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await store.importUsers(users, { update: settings.update, dryRun: settings.dryRun });
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt === CONFLICT_RETRIES) throw error;
    }
  }
}
