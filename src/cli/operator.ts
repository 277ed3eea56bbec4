import { InvalidArgumentError, type Command } from 'commander';
import type { Operator, UserRef } from '../core/admin.js';
import { toUsernameKey } from '../core/emails.js';
import { AuthError } from '../core/errors.js';
import { EXIT_FAILURE, EXIT_USAGE, nameOf, openServices, runCommand, type Services } from './services.js';

/** Who the audit log names for a change made from the command line. */
export const CLI_OPERATOR: Operator = { door: 'cli', address: 'cli' };

/** A command-line argument naming a user: an email when it holds an `@`, else an id or a username (docs/api-families.md). */
export function parseUserRef(ref: string): UserRef {
  if (ref.includes('@')) return { email: ref };
  try {
    toUsernameKey(ref);
  } catch {
    throw new InvalidArgumentError('Name the user by email, by id or by username (not empty, no control characters).');
  }
  return { idOrIdentifier: ref };
}

/** Bad usage found once the command runs (stdin holds no password, a delete unconfirmed off a terminal). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that cannot go on for a reason it states (a cancelled prompt); exits 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** Writes a usage error as commander does for its own, naming the command's help, and returns the exit code. */
export function reportUsageError(command: Command, message: string): number {
  process.stderr.write(`error: ${message}\n(sesame ${nameOf(command)} --help shows the usage)\n`);
  return EXIT_USAGE;
}

/**
 * Runs an operator's command with the use cases built as a server builds them, Redis included,
 * so that running instances honour its change at their next request. Its log lines (the
 * audit event of the change among them) go to stderr, so that stdout holds only its answer.
 * A use case that refuses (an unknown user, a password the rules refuse) or a `CommandFailure`
 * prints its message and exits 1; a `UsageError` exits 2.
 */
export function runOperatorCommand(command: Command, work: (services: Services) => Promise<number>): Promise<void> {
  return runCommand(
    command,
    async (opened) => {
      const services = await openServices(opened, 'operate');
      try {
        return await work(services);
      } catch (error) {
        if (error instanceof UsageError) return reportUsageError(command, error.message);
        if (!(error instanceof AuthError || error instanceof CommandFailure)) throw error;
        process.stderr.write(`${error.message}\n`);
        return EXIT_FAILURE;
      } finally {
        await services.cache.close();
      }
    },
    'stderr',
  );
}

/** Writes `text` to stdout, then a newline. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
