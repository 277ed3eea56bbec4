import type { Database, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { SessionWithEmail } from '../../../core/store.js';

type Load = () => Promise<SessionWithEmail | null>;

interface Kept {
  readonly session: SessionWithEmail;
  readonly epoch: number;
}

interface Waiting {
  readonly key: string;
  readonly kept: Kept;
  readonly load: Load;
  readonly resolve: (session: SessionWithEmail | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sessions read from SQLite, kept in the process and exact: a kept session is served only
 * when the database cannot have changed since it was read. Two things change it: a write
 * through this process's connection, which the driver reports (`wrote`), and a commit by any
 * other connection (another instance, `sesame gc`), which moves `PRAGMA data_version`. Either
 * one starts a new epoch, and sessions kept in an older epoch are read again. Any write at all
 * ends the epoch, whatever rows it touched: exactness costs a re-read now and then, never a
 * stale answer.
 *
 * Asking `data_version` takes a read transaction, three system calls: under load, more than
 * the rest of the session check (BENCHMARKS.md, item 8). So the sessions
 * asked for during one turn of the event loop wait for one check, made once the turn's I/O
 * has been read (`setImmediate`): that check comes after every one of those reads was asked,
 * so each answer is the database as it was at some moment between its question and its
 * answer.
 */
export class SqliteSessionReads {
  readonly #kept: LRUCache<string, Kept>;
  #database: Database | null = null;
  #dataVersion: Statement<[], number> | null = null;
  #lastDataVersion = -1;
  #epoch = 0;
  #waiting: Waiting[] = [];
  /** Sessions served from the process (`hits`) or read from the database (`misses`), for the metrics. */
  readonly counts = { hits: 0, misses: 0 };

  constructor(maxEntries: number) {
    this.#kept = new LRUCache({ max: maxEntries });
  }

  /** Starts serving from `database` once the driver has opened it. */
  attach(database: Database): void {
    this.#database = database;
    this.#dataVersion = database.prepare<[], number>('pragma data_version').pluck();
    this.#lastDataVersion = -1;
    this.#epoch += 1;
  }

  /** This process wrote (or began a transaction): what was read before may be stale. */
  wrote(): void {
    this.#epoch += 1;
  }

  /** The session under `key`: kept, when it is proven current, or read with `load` (and kept). */
  read(key: string, load: Load): Promise<SessionWithEmail | null> {
    const kept = this.#kept.get(key);
    if (kept === undefined) return this.#load(key, load, this.#currentEpoch());
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(this.#confirmWaiting);
      this.#waiting.push({ key, kept, load, resolve, reject });
    });
  }

  readonly #confirmWaiting = (): void => {
    const waiting = this.#waiting;
    this.#waiting = [];
    const epoch = this.#currentEpoch();
    for (const { key, kept, load, resolve, reject } of waiting) {
      if (kept.epoch === epoch) {
        this.counts.hits += 1;
        resolve(kept.session);
      } else this.#load(key, load, epoch).then(resolve, reject);
    }
  };

  // The read follows the check that said `epoch`, so it is at least as new as that epoch; if
  // anything was written since, the epoch has ended and the session is not kept. A session
  // that is gone, or not kept, leaves no older copy behind: a token presented after its
  // session ended is read at once, without first waiting for a check that must fail.
  async #load(key: string, load: Load, epoch: number | null): Promise<SessionWithEmail | null> {
    this.counts.misses += 1;
    const session = await load();
    if (session !== null && epoch !== null && epoch === this.#epoch) this.#kept.set(key, { session: Object.freeze(session), epoch });
    else this.#kept.delete(key);
    return session;
  }

  // The present epoch, or null before the database is open and once it is closed: then
  // nothing is served or kept.
  #currentEpoch(): number | null {
    const database = this.#database;
    if (!database?.open) return null;
    let dataVersion: number;
    try {
      dataVersion = this.#dataVersion!.get()!;
    } catch {
      // The database cannot say (busy, failing): nothing is served, and the read that
      // follows meets the same error where it is classified.
      return null;
    }
    if (dataVersion !== this.#lastDataVersion) {
      this.#lastDataVersion = dataVersion;
      this.#epoch += 1;
    }
    return this.#epoch;
  }
}
