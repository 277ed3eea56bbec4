import type { FileHandle } from 'node:fs/promises';
import type { Command } from 'commander';
import { exportUsers, type ExportedUser } from '../core/user-export.js';
import { checkWritable, FileExistsError, writePrivateFile } from './private-file.js';
import { EXIT_FAILURE, runCommand } from './services.js';

interface ExportOptions {
  readonly output: string;
  readonly force?: boolean;
}

/** `sesame export`: every user as JSON Lines, in the format docs/export-backup.md specifies. */
export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description('write every user as JSON Lines (password hashes included; never sessions, tokens or keys)')
    .option('--output <file>', 'a new file to write, readable by its owner only, or - for stdout', '-')
    .option('--force', 'replace the output file if it exists')
    .addHelpText(
      'after',
      '\nOne user a line, oldest first; docs/export-backup.md specifies the format, which\n' +
        '`sesame import` reads. The file holds password hashes: keep it as you keep the database.',
    )
    .action((options: ExportOptions, command: Command) => {
      const toStdout = options.output === '-';
      try {
        if (!toStdout) checkWritable(options.output, options.force === true);
      } catch (error) {
        if (!(error instanceof FileExistsError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      // Logs go to stderr, so that stdout can be the export.
      return runCommand(
        command,
        async ({ store, logger }) => {
          const users = exportUsers(store);
          const count = toStdout
            ? await writeLines(users, (chunk) => writeToStdout(chunk))
            : await writeInto(options.output, options.force === true, (handle) => writeLines(users, (chunk) => handle.appendFile(chunk)));
          logger.info({ users: count, output: toStdout ? 'stdout' : options.output }, 'users exported');
          return 0;
        },
        'stderr',
      );
    });
}

// Lines are gathered into chunks of about this many characters: one write each.
const CHUNK_LENGTH = 64 * 1024;

/** Writes each user as a line, a chunk at a time, each write awaited before the next page is read; returns how many. */
async function writeLines(users: AsyncIterable<ExportedUser>, write: (chunk: string) => Promise<unknown>): Promise<number> {
  let count = 0;
  let chunk = '';
  for await (const user of users) {
    count += 1;
    chunk += `${JSON.stringify(user)}\n`;
    if (chunk.length >= CHUNK_LENGTH) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') await write(chunk);
  return count;
}

async function writeInto(path: string, force: boolean, write: (handle: FileHandle) => Promise<number>): Promise<number> {
  let count = 0;
  await writePrivateFile(path, force, async (_temporary, handle) => {
    count = await write(handle);
  });
  return count;
}

// Resolves once stdout has taken the chunk, so that a slow reader holds the export back rather than memory filling up.
function writeToStdout(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())));
}
