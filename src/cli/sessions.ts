import type { Command } from 'commander';
import type { UserRef } from '../core/admin.js';
import { CLI_OPERATOR, parseUserRef, print, runOperatorCommand } from './operator.js';
import { EXIT_USAGE } from './services.js';
import { sessionJson, sessionTable } from './views.js';

/** `sesame sessions …`: a user's live sessions. */
export function addSessionsCommands(program: Command): void {
  const sessions = program.command('sessions').usage('<command> [options]').description("see and end a user's sessions");

  sessions
    .command('list')
    .description("list a user's live sessions, newest first")
    .argument('<user>', "the user's email or id", parseUserRef)
    .option('--json', 'print one JSON document, as the admin API answers')
    .action((ref: UserRef, options: { readonly json?: boolean }, command: Command) =>
      runOperatorCommand(command, async ({ auth }) => {
        const live = await auth.listSessions(ref);
        print(options.json ? JSON.stringify({ sessions: live.map(sessionJson) }) : sessionTable(live));
        return 0;
      }),
    );

  sessions
    .command('revoke')
    .description("end one session of a user's (--session) or all (--all)")
    .argument('<user>', "the user's email or id", parseUserRef)
    .option('--session <id>', 'the session to end, as sessions list shows it')
    .option('--all', 'end every session of the user')
    .action((ref: UserRef, options: { readonly session?: string; readonly all?: boolean }, command: Command) => {
      if ((options.session === undefined) === (options.all === undefined)) command.error('error: give either --session <id> or --all', { exitCode: EXIT_USAGE });
      return runOperatorCommand(command, async ({ auth }) => {
        if (options.session !== undefined) {
          await auth.endSession(ref, options.session, CLI_OPERATOR);
          print(`Ended session ${options.session}.`);
        } else {
          const ended = await auth.endSessions(ref, CLI_OPERATOR);
          print(`Ended ${ended} session${ended === 1 ? '' : 's'}.`);
        }
        return 0;
      });
    });
}
