import type { Command } from 'commander';
import { openServices, runCommand } from './services.js';

/** `sesame migrate` and `sesame gc`: the database's upkeep. */
export function addDatabaseCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action((_options: object, command: Command) =>
      runCommand(command, async ({ logger, applied }) => {
        if (applied.length === 0) logger.info({ applied }, 'database is up to date');
        return 0;
      }),
    );
  program
    .command('gc')
    .description('delete expired sessions and reset tokens')
    .action((_options: object, command: Command) =>
      runCommand(command, async (opened) => {
        const { auth, logger } = await openServices(opened, 'maintain');
        logger.info({ purged: await auth.purgeExpired() }, 'expired rows purged');
        return 0;
      }),
    );
}
