import type { DatabaseConfig } from '../store/open-store.js';

/**
 * The engine and where it is, from `SESAME_DATABASE_URL`; or null after adding to `problems`
 * what is wrong with the URL, without echoing it (it may hold a password).
 */
export function parseDatabaseUrl(url: string, poolSize: number, timeoutSeconds: number, problems: string[]): DatabaseConfig | null {
  if (url.startsWith('sqlite:')) {
    // Both `sqlite:relative/path` and `sqlite:///absolute/path` are common spellings.
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') {
      problems.push('SESAME_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/sesame.db');
      return null;
    }
    return { engine: 'sqlite', path };
  }
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  const engine = scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : null;
  if (engine === null || !URL.canParse(url) || new URL(url).hostname === '') {
    problems.push('SESAME_DATABASE_URL: must be sqlite:<path>, postgres://user:password@host:port/database or mysql://user:password@host:port/database');
    return null;
  }
  // mysql2 knows only the mysql: scheme; MariaDB speaks the same protocol.
  return { engine, url: engine === 'mysql' ? url.replace(/^mariadb:/, 'mysql:') : url, poolSize, timeoutSeconds };
}
