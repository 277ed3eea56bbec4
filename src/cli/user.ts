import { InvalidArgumentError, type Command } from 'commander';
import { AuthError } from '../core/errors.js';
import type { UserClaims } from '../core/store.js';
import { EXIT_FAILURE, openServices, runCommand } from './services.js';

/** `sesame user …`: one user's account. */
export function addUserCommands(program: Command): void {
  const user = program.command('user').usage('<command> [options]').description("manage a user's account");
  user
    .command('claims')
    .description("set the custom claims of a user's access tokens")
    .argument('<email>', "the user's email")
    .argument('<json>', 'a JSON object of claims, or null to remove them', parseClaims)
    .action((email: string, claims: UserClaims | null, _options: object, command: Command) =>
      runCommand(command, async (opened) => {
        const { auth, logger } = await openServices(opened, { isServing: false });
        try {
          await auth.setUserClaims(email, claims);
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          process.stderr.write(`${error.message}\n`);
          return EXIT_FAILURE;
        }
        logger.info({ email }, claims === null ? 'claims removed' : 'claims set');
        return 0;
      }),
    );
}

function parseClaims(json: string): UserClaims | null {
  let claims: unknown;
  try {
    claims = JSON.parse(json);
  } catch {
    claims = undefined;
  }
  if (claims === undefined || (claims !== null && (typeof claims !== 'object' || Array.isArray(claims)))) {
    throw new InvalidArgumentError('The claims must be a JSON object, or null to remove them.');
  }
  return claims as UserClaims | null;
}
