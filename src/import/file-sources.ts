import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { CHUNK_ROWS, mapColumns, rowOf, unreadableRow, type ColumnChoice, type ColumnMap, type Source, type SourceRow } from './source.js';

/** The keys that make a JSON line Sesame's own export (`sesame export`) rather than a generic user. */
const EXPORT_KEYS = ['id', 'email', 'password_hash', 'password_format', 'normalization'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function exportRow(record: Record<string, unknown>, position: number, ref: string): SourceRow {
  return {
    position,
    ref: typeof record.id === 'string' ? `id=${record.id}` : ref,
    login: record.email,
    hash: record.password_hash,
    createdAt: record.created_at,
    export: {
      id: record.id,
      passwordFormat: record.password_format,
      normalization: record.normalization,
      claims: record.claims,
      updatedAt: record.updated_at,
      disabledAt: record.disabled_at,
    },
    hasSession: false,
    hasResetToken: false,
    unreadable: null,
  };
}

/**
 * A JSON Lines file, a line at a time: Sesame's export when a line has the export's keys, else
 * one user per line with a login and a hash under the names a table would have. A line that
 * is not a JSON object is one unreadable row; blank lines are skipped.
 */
export function openJsonLinesSource(path: string, choice: ColumnChoice): Source {
  const stream = createReadStream(path);
  const size = statSync(path).size;
  // The first generic line's keys decide the columns for every generic line.
  let map: ColumnMap | null = null;
  async function* chunks(): AsyncGenerator<SourceRow[]> {
    let chunk: SourceRow[] = [];
    let line = 0;
    let position = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line += 1;
      if (text.trim() === '') continue;
      position += 1;
      chunk.push(jsonLine(text, position, `line ${line}`));
      if (chunk.length === CHUNK_ROWS) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  function jsonLine(text: string, position: number, ref: string): SourceRow {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return unreadableRow(position, ref, 'not JSON');
    }
    if (!isObject(record)) return unreadableRow(position, ref, 'not a JSON object');
    if (EXPORT_KEYS.every((key) => key in record)) return exportRow(record, position, ref);
    map ??= mapColumns(Object.keys(record), choice, `${path} (the keys of its first user)`);
    return rowOf(record, map, position, ref);
  }
  return {
    description: `JSON Lines file ${path}`,
    chunks: chunks(),
    progress: () => (size === 0 ? 1 : stream.bytesRead / size),
    close: () => {
      stream.destroy();
      return Promise.resolve();
    },
  };
}

/** A CSV file with a header line naming its columns, parsed as it streams (RFC 4180 quoting, a BOM allowed). */
export function openCsvSource(path: string, choice: ColumnChoice): Source {
  const stream = createReadStream(path);
  const size = statSync(path).size;
  let map: ColumnMap | null = null;
  const parser = stream.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true }));
  // A read error of the file must end the parse too, or the walk would wait for ever.
  stream.once('error', (error) => parser.destroy(error));
  async function* chunks(): AsyncGenerator<SourceRow[]> {
    let chunk: SourceRow[] = [];
    let position = 0;
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      position += 1;
      map ??= mapColumns(Object.keys(record), choice, `${path} (its header)`);
      chunk.push(rowOf(record, map, position, `line ${info.lines}`));
      if (chunk.length === CHUNK_ROWS) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return {
    description: `CSV file ${path}`,
    chunks: chunks(),
    progress: () => (size === 0 ? 1 : stream.bytesRead / size),
    close: () => {
      parser.destroy();
      stream.destroy();
      return Promise.resolve();
    },
  };
}
