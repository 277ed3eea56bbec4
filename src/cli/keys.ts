import type { Command } from 'commander';
import { openServices, runCommand } from './services.js';

/** `sesame keys …`: the signing keys. */
export function addKeysCommands(program: Command): void {
  const keys = program.command('keys').usage('<command> [options]').description('manage the signing keys');
  keys
    .command('rotate')
    .description('add a signing key: published at once, signing two minutes later; older keys verify until their tokens have expired')
    .action((_options: object, command: Command) =>
      runCommand(command, async (opened) => {
        const { keys: ring, logger } = await openServices(opened, 'maintain');
        const { kid, signsFrom } = await ring.rotate();
        logger.info({ kid, signsFrom }, 'signing key added: published now, signing from signsFrom');
        return 0;
      }),
    );
}
