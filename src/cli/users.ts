import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type UserRef, type UserState } from '../core/admin.js';
import type { UserClaims } from '../core/store.js';
import { CLI_OPERATOR, CommandFailure, parseUserRef, print, runOperatorCommand } from './operator.js';
import { EXIT_USAGE } from './services.js';
import { confirm, isInteractive, readNewPassword } from './terminal.js';
import { userDetails, userJson, userPageJson, userTable } from './views.js';

// Without Redis each instance counts failed log-ins in its own memory, which no other process reaches.
const COUNTERS_OUT_OF_REACH =
  'Without SESAME_REDIS_URL each running instance counts failed log-ins in its own memory, which this command cannot reach';

interface ListOptions {
  readonly email?: string;
  readonly state?: UserState;
  readonly disabled?: boolean;
  readonly order: 'newest' | 'oldest';
  readonly limit: number;
  readonly cursor?: string;
  readonly json?: boolean;
}

/** `sesame users …` (or `sesame user …`): find, create, change and delete users. */
export function addUsersCommands(program: Command): void {
  const users = program
    .command('users')
    .alias('user')
    .usage('<command> [options]')
    .description('manage users (on the database directly; running instances honour each change at their next request)');

  users
    .command('list')
    .description('list users, a page at a time')
    .option('--email <prefix>', 'only users whose email starts with this (case-insensitive)')
    .addOption(new Option('--state <state>', 'only users in this state').choices(['active', 'disabled', 'locked']))
    .addOption(new Option('--disabled', 'only disabled users: --state disabled').conflicts('state'))
    .addOption(new Option('--order <order>', 'newest or oldest first').choices(['newest', 'oldest']).default('newest'))
    .option('--limit <n>', `users per page, 1 to ${MAX_PAGE_SIZE}`, parseLimit, DEFAULT_PAGE_SIZE)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print one JSON document, as the admin API answers')
    .action((options: ListOptions, command: Command) =>
      runOperatorCommand(command, async ({ auth, config }) => {
        const knowsLocks = config.cache !== null;
        const state = options.disabled ? 'disabled' : (options.state ?? null);
        if (state === 'locked' && !knowsLocks) {
          throw new CommandFailure(`${COUNTERS_OUT_OF_REACH}: ask the admin API instead (GET /admin/users?state=locked).`);
        }
        const page = await auth.listUsers({ order: options.order, cursor: options.cursor ?? null, limit: options.limit, emailPrefix: options.email ?? null, state });
        if (options.json) {
          print(userPageJson(page, knowsLocks));
        } else {
          print(userTable(page.users, knowsLocks));
          if (page.nextCursor !== null) print(`\nThe next page: the same options and --cursor ${page.nextCursor}`);
        }
        return 0;
      }),
    );

  users
    .command('show')
    .description('show one user')
    .argument('<user>', "the user's email or id", parseUserRef)
    .option('--json', 'print one JSON document, as the admin API answers')
    .action((ref: UserRef, options: { readonly json?: boolean }, command: Command) =>
      runOperatorCommand(command, async ({ auth, config }) => {
        const user = await auth.getUser(ref);
        print(options.json ? JSON.stringify(userJson(user, config.cache !== null)) : userDetails(user, config.cache !== null));
        return 0;
      }),
    );

  users
    .command('create')
    .description('create a user (the password from a prompt, or one line of stdin)')
    .argument('<email>', "the user's email")
    .option('--json', 'print one JSON document, as the admin API answers')
    .action((email: string, options: { readonly json?: boolean }, command: Command) =>
      runOperatorCommand(command, async ({ auth, config }) => {
        const user = await auth.createUser(email, await readNewPassword(), CLI_OPERATOR);
        print(options.json ? JSON.stringify(userJson(user, config.cache !== null)) : userDetails(user, config.cache !== null));
        return 0;
      }),
    );

  users
    .command('set-password')
    .description("set a user's password (from a prompt, or one line of stdin), ending their sessions")
    .argument('<user>', "the user's email or id", parseUserRef)
    .action((ref: UserRef, _options: object, command: Command) =>
      runOperatorCommand(command, async ({ auth }) => {
        // Named before the password is asked for, so that a mistyped user costs no typing.
        const user = await auth.getUser(ref);
        await auth.setPassword({ id: user.id }, await readNewPassword(), CLI_OPERATOR);
        print(`Password set for ${user.email}; every session of theirs has ended.`);
        return 0;
      }),
    );

  users
    .command('disable')
    .description('disable a user: no log-in, and every session of theirs ends')
    .argument('<user>', "the user's email or id", parseUserRef)
    .action((ref: UserRef, _options: object, command: Command) =>
      runOperatorCommand(command, async ({ auth }) => {
        const user = await auth.updateUser(ref, { disabled: true }, CLI_OPERATOR);
        print(`Disabled ${user.email}; every session of theirs has ended.`);
        return 0;
      }),
    );

  users
    .command('enable')
    .description('enable a disabled user')
    .argument('<user>', "the user's email or id", parseUserRef)
    .action((ref: UserRef, _options: object, command: Command) =>
      runOperatorCommand(command, async ({ auth }) => {
        const user = await auth.updateUser(ref, { disabled: false }, CLI_OPERATOR);
        print(`Enabled ${user.email}.`);
        return 0;
      }),
    );

  users
    .command('claims')
    .description("set the custom claims of a user's access tokens")
    .argument('<user>', "the user's email or id", parseUserRef)
    .argument('<json>', 'a JSON object of claims, or null to remove them', parseClaims)
    .action((ref: UserRef, claims: UserClaims | null, _options: object, command: Command) =>
      runOperatorCommand(command, async ({ auth }) => {
        const user = await auth.updateUser(ref, { claims }, CLI_OPERATOR);
        print(claims === null ? `Claims removed from ${user.email}.` : `Claims set for ${user.email}.`);
        return 0;
      }),
    );

  users
    .command('unlock')
    .description("clear a user's failed log-in counts (with Redis only)")
    .argument('<user>', "the user's email or id", parseUserRef)
    .action((ref: UserRef, _options: object, command: Command) =>
      runOperatorCommand(command, async ({ auth, config }) => {
        const user = await auth.getUser(ref);
        if (config.cache === null) {
          throw new CommandFailure(`${COUNTERS_OUT_OF_REACH}: unlock through a running instance's admin API instead (POST /admin/users/${user.id}/unlock).`);
        }
        await auth.unlock({ id: user.id }, CLI_OPERATOR);
        print(`Unlocked ${user.email}.`);
        return 0;
      }),
    );

  users
    .command('delete')
    .description('delete a user and everything of theirs; asks first unless --yes')
    .argument('<user>', "the user's email or id", parseUserRef)
    .option('--yes', 'delete without asking')
    .action((ref: UserRef, options: { readonly yes?: boolean }, command: Command) => {
      // A script that forgot --yes must not delete by default, nor hang on a question nobody sees.
      if (!options.yes && !isInteractive()) command.error('error: stdin is not a terminal to confirm on: add --yes to delete', { exitCode: EXIT_USAGE });
      return runOperatorCommand(command, async ({ auth }) => {
        const user = await auth.getUser(ref);
        if (!options.yes && !(await confirm(`Delete ${user.email} (${user.id}) and everything of theirs?`))) {
          throw new CommandFailure('Not deleted.');
        }
        await auth.deleteUser({ id: user.id }, CLI_OPERATOR);
        print(`Deleted ${user.email}.`);
        return 0;
      });
    });
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_PAGE_SIZE) throw new InvalidArgumentError(`The limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  return limit;
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
