import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkWritable, FileExistsError, writePrivateFile } from './private-file.js';
import { EXIT_FAILURE, EXIT_USAGE, loadCommandConfig } from './services.js';

const SERVER_ENGINES = {
  postgres: 'PostgreSQL: pg_dump (pg_dump --format=custom --file=sesame.dump <url>), or your provider\'s snapshots',
  mysql: 'MariaDB or MySQL: mariadb-dump --single-transaction (mysqldump on MySQL), or mariadb-backup',
} as const;

/** `sesame backup <file>`: a consistent copy of a live SQLite database. */
export function addBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('copy a live SQLite database consistently, while the service runs')
    .argument('<file>', 'the copy: a new file, readable by its owner only')
    .option('--force', 'replace <file> if it exists')
    .addHelpText(
      'after',
      '\nThe copy holds every password hash and, unless SESAME_KEY_ENCRYPTION_KEY is set,\n' +
        'the private signing keys in the clear: keep it as you keep the database.\n' +
        'PostgreSQL and MariaDB have their own tools (docs/export-backup.md): pg_dump, mariadb-dump.',
    )
    .action(async (file: string, options: { readonly force?: boolean }, command: Command) => {
      process.exitCode = await backup(file, options.force === true, command);
    });
}

async function backup(file: string, force: boolean, command: Command): Promise<number> {
  const loaded = loadCommandConfig(command);
  if (loaded === null) return EXIT_USAGE;
  const { database } = loaded.config;
  if (database.engine !== 'sqlite') {
    process.stderr.write(`sesame backup copies SQLite databases only. For ${SERVER_ENGINES[database.engine]}; see docs/export-backup.md.\n`);
    return EXIT_USAGE;
  }
  if (!existsSync(database.path)) {
    process.stderr.write(`There is no database at ${database.path} to back up.\n`);
    return EXIT_FAILURE;
  }
  if (resolve(file) === resolve(database.path)) {
    process.stderr.write('The backup must be another file than the database.\n');
    return EXIT_USAGE;
  }
  // The driver is loaded only when used, as openStore loads each engine's.
  const { backupSqlite } = await import('../store/sql/sqlite/sqlite-backup.js');
  try {
    checkWritable(file, force);
    let pages = 0;
    await writePrivateFile(file, force, async (temporary) => {
      pages = await backupSqlite(database.path, temporary);
    });
    process.stdout.write(`Backed up ${database.path} to ${file} (${pages} pages).\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof FileExistsError || (error instanceof Error && 'code' in error))) throw error;
    process.stderr.write(`Backup failed: ${error.message}\n`);
    return EXIT_FAILURE;
  }
}
