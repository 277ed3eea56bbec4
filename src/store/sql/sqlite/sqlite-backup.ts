import Database from 'better-sqlite3';

// More pages than any database holds: the copy after the first step is made in one step.
const EVERY_PAGE = 0x7fffffff;

/**
 * Copies the SQLite database at `source` into the file `destination` with SQLite's online
 * backup API, while other processes go on reading and writing it: the copy is the database
 * as one transaction saw it. A write from another connection between two steps restarts the
 * copy, so it is made in one step, which under WAL holds a read transaction that blocks no
 * writer; a copy taken in small steps could restart for ever under a steady write load.
 * `destination` may be an empty file, whose mode the copy keeps. Returns the pages copied.
 */
export async function backupSqlite(source: string, destination: string): Promise<number> {
  const database = new Database(source, { fileMustExist: true });
  try {
    // A server's write transaction holds the lock for a moment; the backup waits for it.
    database.pragma('busy_timeout = 5000');
    const { totalPages } = await database.backup(destination, { progress: () => EVERY_PAGE });
    return totalPages;
  } finally {
    database.close();
  }
}
