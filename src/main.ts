import { Command, CommanderError, Help } from 'commander';
import { addBackupCommand } from './cli/backup.js';
import { addDatabaseCommands } from './cli/database.js';
import { addExportCommand } from './cli/export.js';
import { addEmailCommands } from './cli/email.js';
import { addImportCommand } from './cli/import.js';
import { addKeysCommands } from './cli/keys.js';
import { nameOf, EXIT_USAGE } from './cli/services.js';
import { addServeCommand } from './cli/serve.js';
import { addSessionsCommands } from './cli/sessions.js';
import { addUsersCommands } from './cli/users.js';
import { version } from './version.js';

/** The `sesame` command line: every command, in the order the manual lists them. */
function createProgram(): Command {
  const program = new Command('sesame')
    .usage('<command> [options]')
    .description('A small, fast, secure user authentication service.')
    .option('--host <host>', 'address to listen on (SESAME_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free one (SESAME_PORT, default 5000)')
    .option('--database <url>', 'where the data is (SESAME_DATABASE_URL, default sqlite:./data/sesame.db)')
    .version(version)
    .addHelpText(
      'after',
      '\nSettings come from SESAME_* environment variables, a .env file in the working\n' +
        'directory, and the options above, which override both; docs/configuration.md\n' +
        'lists them all.',
    )
    // Commander copies these into each command as it is added, so they come before the commands.
    .exitOverride()
    .configureHelp({ showGlobalOptions: true, visibleCommands: listLeafCommands, subcommandTerm: commandTerm });
  addServeCommand(program);
  addDatabaseCommands(program);
  addExportCommand(program);
  addBackupCommand(program);
  addKeysCommands(program);
  addUsersCommands(program);
  addSessionsCommands(program);
  addEmailCommands(program);
  addImportCommand(program);
  pointErrorsToHelp(program);
  return program;
}

// A group (keys, users, sessions) is listed as its commands, so that one page names every command.
function listLeafCommands(this: Help, command: Command): Command[] {
  const leaves = (each: Command): Command[] => (each.commands.length === 0 ? [each] : each.commands.flatMap(leaves));
  return Help.prototype.visibleCommands.call(this, command).flatMap(leaves);
}

// A command as typed after `sesame`, its group included (the help command has none).
function commandTerm(this: Help, command: Command): string {
  return [command.parent ? nameOf(command.parent) : '', Help.prototype.subcommandTerm.call(this, command)].join(' ').trim();
}

// A usage error names what is wrong and where to read more, rather than printing the manual.
function pointErrorsToHelp(command: Command): void {
  command.showHelpAfterError(`(sesame ${nameOf(command)}${command.parent ? ' ' : ''}--help shows the usage)`);
  for (const subcommand of command.commands) pointErrorsToHelp(subcommand);
}

try {
  await createProgram().parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  // Commander has written its message; it exits 0 after help or the version, 1 after a usage error.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
}
