import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { RejectedDelivery } from '../core/outbox.js';
import { print } from './operator.js';
import { EXIT_FAILURE, EXIT_USAGE, runCommand } from './services.js';

/** `sesame email …`: Sesame's own email. */
export function addEmailCommands(program: Command): void {
  const email = program.command('email').usage('<command> [options]').description("check Sesame's email settings");
  email
    .command('test')
    .description('send one test message through the configured SMTP server and print what it answered')
    .argument('<address>', 'where to send it')
    .action((address: string, _options: object, command: Command) =>
      runCommand(
        command,
        async ({ config, logger }) => {
          if (config.email === null) {
            process.stderr.write('SESAME_SMTP_URL is not set: there is no SMTP server to test (docs/email.md)\n');
            return EXIT_USAGE;
          }
          const { host, port, secure, requireTls } = config.email.smtp;
          const via = `${host}:${port} (${secure ? 'TLS' : requireTls ? 'STARTTLS required' : 'STARTTLS if offered'})`;
          // Loaded here, not with the command line: every other command (serve too) would carry nodemailer.
          const { SmtpEmail, smtpCodes } = await import('../delivery/smtp-email.js');
          const sender = new SmtpEmail(config.email, logger);
          try {
            const outcome = await sender.sendLetter({ to: address, name: 'test', values: { email: address, time: new Date().toISOString() } }, randomUUID());
            print(`Sent to ${address} through ${via}.\nThe server answered: ${outcome.response}`);
            return 0;
          } catch (error) {
            // What nodemailer said: its message carries the server's reply (never the password).
            const failure = error instanceof RejectedDelivery && error.cause !== undefined ? error.cause : error;
            const { replyCode, code } = smtpCodes(failure);
            const answer = failure instanceof Error ? failure.message : String(failure);
            const kind = error instanceof RejectedDelivery ? 'refused for good (a retry would be refused too)' : 'failed (the outbox would retry it)';
            print(`Sending to ${address} through ${via} ${kind}.\nSMTP reply code: ${replyCode ?? 'none'}; error code: ${code ?? 'none'}\n${answer}`);
            return EXIT_FAILURE;
          } finally {
            sender.close();
          }
        },
        'stderr',
      ),
    );
}
