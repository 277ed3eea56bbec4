/**
 * A real SMTP server for tests and the benchmark, run as a process of its own (node --import tsx
 * this-file) on 127.0.0.1, configured by its environment:
 *   SMTP_PORT        the port (0: any free one)
 *   SMTP_DIR         where each accepted message is written, <n>.eml, with <n>.json beside it
 *                    (whether the session was encrypted, the user it logged in as, the envelope)
 *   SMTP_CERT/KEY    PEM files: STARTTLS is offered with them
 *   SMTP_USER/PASS   the one account AUTH accepts (AUTH is then required)
 *   SMTP_DELAY_MS    how long it takes to accept each message
 *   SMTP_FAIL_4XX    how many messages (the first ones) it answers 451, to be tried again
 *   SMTP_REJECT_5XX  "true": it answers 550 to every message
 * It prints `listening <port>` once ready, `connections <n>` whenever that changes, and
 * `accepted <n>` or `refused <code>` for each message.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

const env = process.env;
const dir = env.SMTP_DIR ?? '.';
const delayMs = Number(env.SMTP_DELAY_MS ?? '0');
let failures = Number(env.SMTP_FAIL_4XX ?? '0');
const rejectAll = env.SMTP_REJECT_5XX === 'true';
const user = env.SMTP_USER;
let accepted = 0;
let connections = 0;

function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

const server = new SMTPServer({
  secure: false,
  ...(env.SMTP_CERT && env.SMTP_KEY ? { cert: readFileSync(env.SMTP_CERT), key: readFileSync(env.SMTP_KEY) } : { disabledCommands: ['STARTTLS'] }),
  ...(user ? { authMethods: ['PLAIN', 'LOGIN'] } : { authOptional: true, disabledCommands: ['AUTH', ...(env.SMTP_CERT ? [] : ['STARTTLS'])] }),
  size: 1024 * 1024,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === env.SMTP_PASS) callback(null, { user: auth.username });
    else callback(reply(535, 'Authentication failed'));
  },
  onConnect(_session, callback) {
    connections += 1;
    console.log(`connections ${connections}`);
    callback();
  },
  onClose() {
    connections -= 1;
    console.log(`connections ${connections}`);
  },
  onData(stream, session: SMTPServerSession, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      setTimeout(() => {
        if (rejectAll) {
          console.log('refused 550');
          callback(reply(550, '5.7.1 Message refused'));
          return;
        }
        if (failures > 0) {
          failures -= 1;
          console.log('refused 451');
          callback(reply(451, '4.3.0 Try again later'));
          return;
        }
        accepted += 1;
        const name = String(accepted).padStart(6, '0');
        // Written under another name, then renamed: a reader never sees half a message.
        writeFileSync(join(dir, `${name}.tmp`), Buffer.concat(chunks));
        const meta = { secure: session.secure, user: (session.user as string | undefined) ?? null, to: session.envelope.rcptTo.map((each) => each.address) };
        writeFileSync(join(dir, `${name}.json`), JSON.stringify(meta));
        renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.eml`));
        console.log(`accepted ${accepted}`);
        callback(null, `2.0.0 queued as ${name}`);
      }, delayMs);
    });
  },
});

server.listen(Number(env.SMTP_PORT ?? '0'), '127.0.0.1', () => {
  const address = server.server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
