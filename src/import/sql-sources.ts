import Database from 'better-sqlite3';
import { CHUNK_ROWS, mapColumns, pickTable, rowOf, type ColumnChoice, type ColumnMap, type Source, type SourceRow } from './source.js';

// Identifiers reach the SQL only after they were found in the source's own catalogue; quoting
// them still keeps a column called `order` or `user` a column.
const quoteDouble = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteBacktick = (name: string) => `\`${name.replaceAll('`', '``')}\``;

function selectList(map: ColumnMap, quote: (name: string) => string): string {
  const columns = [map.id, map.login, map.hash, map.createdAt, map.session, map.resetToken].filter((column): column is string => column !== null);
  return [...new Set(columns)].map(quote).join(', ');
}

const describe = (kind: string, table: string, map: ColumnMap) => `${kind}, table ${table} (login ${map.login}, hash ${map.hash})`;

/**
 * A SQLite file, read-only, its rows walked with one statement's iterator: one row in memory
 * at a time, whatever the table's size.
 */
export function openSqliteSource(path: string, choice: ColumnChoice): Source {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const where = `SQLite file ${path}`;
    const tables = (db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map((row) => row.name);
    const table = pickTable(tables, choice, where);
    const columns = (db.prepare(`select name from pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((row) => row.name);
    const map = mapColumns(columns, choice, `${where}, table ${table}`);
    const { total } = db.prepare(`select count(*) as total from ${quoteDouble(table)}`).get() as { total: number };
    const order = map.id === null ? '' : ` order by ${quoteDouble(map.id)}`;
    const statement = db.prepare(`select ${selectList(map, quoteDouble)} from ${quoteDouble(table)}${order}`);
    const reading = inChunks(statement.iterate() as Iterable<Record<string, unknown>>, map);
    return {
      description: describe(where, table, map),
      chunks: reading.chunks,
      progress: () => (total === 0 ? 1 : reading.read() / total),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A PostgreSQL table, read through a server-side cursor in a read-only transaction, a chunk per fetch. */
export async function openPostgresSource(url: string, choice: ColumnChoice): Promise<Source> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  // A lost connection also fails the query waiting on it, which is where the import hears of it.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const where = `PostgreSQL ${new URL(url).pathname.slice(1)}`;
    const tables = (await client.query<{ name: string }>('select table_name as name from information_schema.tables where table_schema = current_schema()')).rows.map((row) => row.name);
    const table = pickTable(tables, choice, where);
    const columns = (
      await client.query<{ name: string }>(
        'select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = $1 order by ordinal_position',
        [table],
      )
    ).rows.map((row) => row.name);
    const map = mapColumns(columns, choice, `${where}, table ${table}`);
    const [{ total }] = (await client.query<{ total: string }>(`select count(*) as total from ${quoteDouble(table)}`)).rows as [{ total: string }];
    const order = map.id === null ? '' : ` order by ${quoteDouble(map.id)}`;
    await client.query('begin transaction read only');
    await client.query(`declare sesame_import no scroll cursor for select ${selectList(map, quoteDouble)} from ${quoteDouble(table)}${order}`);
    let read = 0;
    async function* chunks(): AsyncGenerator<SourceRow[]> {
      for (;;) {
        const { rows } = await client.query<Record<string, unknown>>(`fetch ${CHUNK_ROWS} from sesame_import`);
        if (rows.length === 0) return;
        yield rows.map((record) => {
          read += 1;
          return rowOf(record, map, read, `row ${read}`);
        });
      }
    }
    return {
      description: describe(where, table, map),
      chunks: chunks(),
      progress: () => (Number(total) === 0 ? 1 : read / Number(total)),
      close: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** A MySQL or MariaDB table, streamed: the driver pauses the connection while a chunk is written. */
export async function openMysqlSource(url: string, choice: ColumnChoice): Promise<Source> {
  const { default: mysql } = await import('mysql2');
  // Times as UTC, the way the Flask apps wrote them (utcnow).
  const connection = mysql.createConnection({ uri: url, timezone: 'Z', supportBigNumbers: true });
  const promised = connection.promise();
  try {
    const where = `MySQL ${new URL(url).pathname.slice(1)}`;
    const [tableRows] = await promised.query('select table_name as name from information_schema.tables where table_schema = database()');
    const tables = (tableRows as Array<{ name: string }>).map((row) => row.name);
    const table = pickTable(tables, choice, where);
    const [columnRows] = await promised.query(
      'select column_name as name from information_schema.columns where table_schema = database() and table_name = ? order by ordinal_position',
      [table],
    );
    const map = mapColumns((columnRows as Array<{ name: string }>).map((row) => row.name), choice, `${where}, table ${table}`);
    const [countRows] = await promised.query(`select count(*) as total from ${quoteBacktick(table)}`);
    const total = Number((countRows as Array<{ total: number }>)[0]!.total);
    const order = map.id === null ? '' : ` order by ${quoteBacktick(map.id)}`;
    // The query starts when the importer first asks for rows.
    async function* records(): AsyncGenerator<Record<string, unknown>> {
      yield* connection.query(`select ${selectList(map, quoteBacktick)} from ${quoteBacktick(table)}${order}`).stream({ highWaterMark: CHUNK_ROWS }) as AsyncIterable<Record<string, unknown>>;
    }
    const reading = inChunks(records(), map);
    return {
      description: describe(where, table, map),
      chunks: reading.chunks,
      progress: () => (total === 0 ? 1 : reading.read() / total),
      // Not end(): a streaming query paused by an import that stopped would never let it finish.
      close: () => {
        connection.destroy();
        return Promise.resolve();
      },
    };
  } catch (error) {
    connection.destroy();
    throw error;
  }
}

/** Source rows of `records`, `CHUNK_ROWS` at a time, numbered as read; `read()` counts them so far. */
function inChunks(records: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>, map: ColumnMap) {
  let read = 0;
  async function* chunks(): AsyncGenerator<SourceRow[]> {
    let chunk: SourceRow[] = [];
    for await (const record of records) {
      read += 1;
      chunk.push(rowOf(record, map, read, `row ${read}`));
      if (chunk.length === CHUNK_ROWS) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return { chunks: chunks(), read: () => read };
}
