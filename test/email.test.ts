import { afterEach, describe, expect, it } from 'vitest';
import { describeEngines, TEST_ENGINES } from './support/databases.js';
import { requests } from './support/requests-like.js';
import { runCli, serversPerTest, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';
import { freePort, SmtpSink, smtpEnv, SMTP_PASSWORD, type ReceivedMail } from './support/smtp-sink.js';

/** Email delivery end to end (issue 22): built Sesame processes, a real SMTP server process, the link in the message used over HTTP. */

const RESET_URL = 'https://app.example.test/reset?token={token}&email={email}';
const emailEnv = (sink: Pick<SmtpSink, 'env'>): Record<string, string> => ({
  ...sink.env(),
  SESAME_RESET_TOKEN_DELIVERY: 'email',
  SESAME_RESET_URL: RESET_URL,
  SESAME_ARGON2_MEMORY_KIB: '1024',
  SESAME_ARGON2_ITERATIONS: '1',
});

const sinks: SmtpSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.stop()));
});
async function smtp(options?: Parameters<typeof SmtpSink.start>[0]): Promise<SmtpSink> {
  const sink = await SmtpSink.start(options);
  sinks.push(sink);
  return sink;
}
/** A sink on `port` before it runs. */
const sinkOn = (port: number): Pick<SmtpSink, 'env'> => ({ env: () => smtpEnv(port) });

/** The reset link in a message, as its reader would follow it: the token and the email from its query. */
function linkIn(received: ReceivedMail): { token: string; email: string } {
  const link = /https:\/\/app\.example\.test\/reset\?\S+/.exec(received.mail.text ?? '')?.[0];
  expect(link, 'a reset link in the plain-text part').toBeDefined();
  expect(String(received.mail.html)).toContain(link!.replaceAll('&', '&amp;'));
  const url = new URL(link!);
  return { token: url.searchParams.get('token')!, email: url.searchParams.get('email')! };
}

const PASSWORD = 'b4l0u';

async function register(url: string, email: string): Promise<void> {
  expect((await requests.post(`${url}/users`, { data: { email, password: PASSWORD } })).statusCode).toBe(200);
}

describeEngines(TEST_ENGINES, 'reset by email on %s', (engine) => {
  const servers = serversPerTest(engine);

  it('answers as webhook delivery does, mails the link over STARTTLS, and the link resets the password; then a notice', async () => {
    const sink = await smtp();
    const sesame = await servers.start(await servers.newDatabase(), emailEnv(sink));
    await register(sesame.url, 'guillaume@holberton.io');

    const known = await requests.post(`${sesame.url}/reset_password`, { data: { email: 'guillaume@holberton.io' } });
    const unknown = await requests.post(`${sesame.url}/reset_password`, { data: { email: 'nobody@holberton.io' } });
    expect([known.statusCode, known.json()]).toEqual([200, { email: 'guillaume@holberton.io', message: 'reset requested' }]);
    expect([unknown.statusCode, unknown.json()]).toEqual([200, { email: 'nobody@holberton.io', message: 'reset requested' }]);

    const [message] = await sink.waitFor(1);
    expect([message!.secure, message!.to, message!.mail.subject]).toEqual([true, ['guillaume@holberton.io'], 'Reset your password']);
    const { token, email } = linkIn(message!);
    expect(email).toBe('guillaume@holberton.io');
    const reset = await requests.put(`${sesame.url}/reset_password`, { data: { email, reset_token: token, new_password: 't4rt1fl3tt3' } });
    expect([reset.statusCode, reset.json()]).toEqual([200, { email: 'guillaume@holberton.io', message: 'Password updated' }]);
    expect((await requests.post(`${sesame.url}/sessions`, { data: { email, password: 't4rt1fl3tt3' } })).statusCode).toBe(200);

    const notice = (await sink.waitFor(2))[1]!;
    expect([notice.to, notice.mail.subject]).toEqual([['guillaume@holberton.io'], 'Your password was changed']);
    // No notice to an address without an account (the setting is off), and no secret in the log.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sink.count()).toBe(2);
    expect(sesame.output()).not.toContain(token);
    expect(sesame.output()).not.toContain(SMTP_PASSWORD);
    expect(sesame.output()).toContain('email messages delivered');
  });
});

describe('email delivery when the SMTP server misbehaves (SQLite)', () => {
  const servers = serversPerTest('sqlite');

  it('retries a 4xx with backoff until the server accepts, and delivers once', async () => {
    const sink = await smtp({ fail4xx: 2 });
    const sesame = await servers.start(await servers.newDatabase(), emailEnv(sink));
    await register(sesame.url, 'a@x.io');
    expect((await requests.post(`${sesame.url}/reset_password`, { data: { email: 'a@x.io' } })).statusCode).toBe(200);
    await sink.waitFor(1, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(sink.count()).toBe(1);
    expect(sink.refusals).toEqual([451, 451]);
    expect(sesame.output()).toMatch(/"replyCode":451.*email delivery failed; it is retried with backoff/);
  });

  it('gives up on a 5xx: logged at error level with the reply code, audited, never retried', async () => {
    const sink = await smtp({ reject5xx: true });
    const sesame = await servers.start(await servers.newDatabase(), emailEnv(sink));
    await register(sesame.url, 'a@x.io');
    expect((await requests.post(`${sesame.url}/reset_password`, { data: { email: 'a@x.io' } })).statusCode).toBe(200);
    await expect.poll(() => sesame.output(), { timeout: 10_000 }).toContain('"event":"delivery_rejected"');
    const lines = sesame.output().split('\n').filter((line) => line.includes('given up') || line.includes('delivery_rejected'));
    const [given, audited] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(given).toMatchObject({ level: 50, replyCode: 550, type: 'password_reset.requested', msg: 'email message given up: the SMTP server refused the message (550)' });
    expect(audited).toMatchObject({ audit: true, event: 'delivery_rejected', replyCode: 550, client: 'outbox' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(sink.refusals).toEqual([550]);
  });

  it('delivers later when the SMTP server is down at the request and comes back', async () => {
    const port = await freePort();
    const sesame = await servers.start(await servers.newDatabase(), emailEnv(sinkOn(port)));
    await register(sesame.url, 'a@x.io');
    const answer = await requests.post(`${sesame.url}/reset_password`, { data: { email: 'a@x.io' } });
    expect(answer.statusCode).toBe(200);
    await expect.poll(() => sesame.output(), { timeout: 5000 }).toContain('email deliveries failed');
    const sink = await smtp({ port });
    const [message] = await sink.waitFor(1, 20_000);
    const { token, email } = linkIn(message!);
    expect((await requests.put(`${sesame.url}/reset_password`, { data: { email, reset_token: token, new_password: 'n3w' } })).statusCode).toBe(200);
  });

  it('delivers a message accepted before a kill -9, once Sesame is back', async () => {
    const port = await freePort();
    const database = await servers.newDatabase();
    const env = emailEnv(sinkOn(port));
    const first = await servers.start(database, env);
    await register(first.url, 'a@x.io');
    expect((await requests.post(`${first.url}/reset_password`, { data: { email: 'a@x.io' } })).statusCode).toBe(200);
    // Killed with the message waiting (its first attempt failed, so no lease holds it back).
    await expect.poll(() => first.output(), { timeout: 5000 }).toContain('email deliveries failed');
    await first.stop('SIGKILL');
    const sink = await smtp({ port });
    const second = await servers.start(database, env);
    const [message] = await sink.waitFor(1, 20_000);
    const { token, email } = linkIn(message!);
    expect((await requests.put(`${second.url}/reset_password`, { data: { email, reset_token: token, new_password: 'n3w' } })).statusCode).toBe(200);
  });

  it('with two instances on one database, delivers each message once', async () => {
    const sink = await smtp({ delayMs: 200 });
    const database = await servers.newDatabase();
    const instances: ServerProcess[] = [await servers.start(database, emailEnv(sink)), await servers.start(database, emailEnv(sink))];
    const emails = Array.from({ length: 12 }, (_, index) => `user${index}@x.io`);
    for (const email of emails) await register(instances[0]!.url, email);
    await Promise.all(emails.map((email, index) => requests.post(`${instances[index % 2]!.url}/reset_password`, { data: { email } })));
    await sink.waitFor(12, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const received = await sink.messages();
    expect(received.map((each) => each.to[0]).sort()).toEqual([...emails].sort());
    expect(new Set(received.map((each) => linkIn(each).token)).size).toBe(12);
    // Both instances shared the work through the outbox's leases.
    expect(instances.every((each) => each.output().includes('email messages delivered'))).toBe(true);
  });
});

describe('sesame email test', () => {
  it('sends one message and prints what the server answered; a refusal exits 1 with the reply code', async () => {
    const sink = await smtp();
    const ok = await runCli(['email', 'test', 'ops@example.test', '--database', `sqlite:${tempDatabasePath()}`], sink.env());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Sent to ops@example.test through 127\.0\.0\.1:\d+ \(STARTTLS if offered\)\.\nThe server answered: 250 2\.0\.0 queued as 000001\n$/);
    const [message] = await sink.waitFor(1);
    expect([message!.to, message!.mail.subject, message!.secure]).toEqual([['ops@example.test'], 'Sesame test message', true]);

    const refusing = await smtp({ reject5xx: true });
    const refused = await runCli(['email', 'test', 'ops@example.test', '--database', `sqlite:${tempDatabasePath()}`], refusing.env());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('refused for good');
    expect(refused.stdout).toContain('SMTP reply code: 550; error code: EMESSAGE');
    expect(refused.stdout).toContain('5.7.1 Message refused');

    const unset = await runCli(['email', 'test', 'ops@example.test', '--database', `sqlite:${tempDatabasePath()}`]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('SESAME_SMTP_URL is not set: there is no SMTP server to test (docs/email.md)\n');
  });
});
