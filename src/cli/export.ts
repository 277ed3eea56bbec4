import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { exportUsers } from '../core/user-export.js';
import type { Store } from '../core/store.js';
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
          let count = 0;
          const write = async (destination: Writable, end: boolean) => {
            await pipeline(Readable.from(lines(store, () => count++)), destination, { end });
          };
          if (toStdout) await write(process.stdout, false);
          else await writePrivateFile(options.output, options.force === true, (_path, handle) => write(handle.createWriteStream({ autoClose: false }), true));
          logger.info({ users: count, output: toStdout ? 'stdout' : options.output }, 'users exported');
          return 0;
        },
        'stderr',
      );
    });
}

async function* lines(store: Store, counted: () => void): AsyncGenerator<string> {
  for await (const user of exportUsers(store)) {
    counted();
    yield `${JSON.stringify(user)}\n`;
  }
}
