import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { openCsvSource, openJsonLinesSource } from './file-sources.js';
import { SourceError, type ColumnChoice, type Source } from './source.js';
import { openMysqlSource, openPostgresSource, openSqliteSource } from './sql-sources.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Opens what `sesame import` was given: a `postgres://` or `mysql://` URL, a `sqlite:` path,
 * or a file, told by its extension (`.jsonl`, `.ndjson`, `.csv`) or by SQLite's header.
 */
export async function openSource(spec: string, choice: ColumnChoice): Promise<Source> {
  if (/^postgres(ql)?:\/\//i.test(spec)) return openPostgresSource(spec, choice);
  if (/^(mysql|mariadb):\/\//i.test(spec)) return openMysqlSource(spec.replace(/^mariadb:/i, 'mysql:'), choice);
  if (/^sqlite:/i.test(spec)) return openSqliteSource(spec.slice('sqlite:'.length), choice);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new SourceError(`${spec.split(':')[0]}: is not a source sesame import reads (postgres://, mysql://, sqlite:, or a file)`);
  const extension = extname(spec).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson') return openJsonLinesSource(spec, choice);
  if (extension === '.csv') return openCsvSource(spec, choice);
  if (startsWithSqliteHeader(spec)) return openSqliteSource(spec, choice);
  throw new SourceError(`${spec} is neither a SQLite database, a .jsonl nor a .csv file`);
}

function startsWithSqliteHeader(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new SourceError(`cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    readSync(fd, header, 0, header.length, 0);
    return header.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}
