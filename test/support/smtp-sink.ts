import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';

const SCRIPT = fileURLToPath(new URL('./smtp-server-process.ts', import.meta.url));

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command once per process. */
let certificate: { readonly certFile: string; readonly keyFile: string } | null = null;
export function testCertificate(): { readonly certFile: string; readonly keyFile: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'sesame-smtp-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  certificate = { certFile, keyFile };
  return certificate;
}

export interface SmtpSinkOptions {
  /** A fixed port (to come back on after a stop); any free one by default. */
  readonly port?: number;
  /** Where accepted messages go; a new folder by default (a restarted sink keeps its predecessor's). */
  readonly dir?: string;
  readonly delayMs?: number;
  readonly fail4xx?: number;
  readonly reject5xx?: boolean;
}

export interface ReceivedMail {
  readonly mail: ParsedMail;
  /** Whether the session was encrypted (STARTTLS), and as whom it logged in. */
  readonly secure: boolean;
  readonly user: string | null;
  readonly to: readonly string[];
}

export const SMTP_USER = 'sesame-mailer';
export const SMTP_PASSWORD = 'smtp-test-password-0f9c2d';

/** The real SMTP server of smtp-server-process.ts, in a child process: STARTTLS with a test certificate, AUTH required. */
export class SmtpSink {
  /** How many connections were open at once, at most. */
  maxConnections = 0;
  /** The reply codes of refused messages, in order. */
  readonly refusals: number[] = [];
  #connections = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly child: ChildProcess,
    readonly exited: Promise<void>,
  ) {}

  static start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const { certFile, keyFile } = testCertificate();
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sesame-smtp-'));
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: {
        ...process.env,
        SMTP_PORT: String(options.port ?? 0),
        SMTP_DIR: dir,
        SMTP_CERT: certFile,
        SMTP_KEY: keyFile,
        SMTP_USER,
        SMTP_PASS: SMTP_PASSWORD,
        SMTP_DELAY_MS: String(options.delayMs ?? 0),
        SMTP_FAIL_4XX: String(options.fail4xx ?? 0),
        SMTP_REJECT_5XX: String(options.reject5xx ?? false),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      let sink: SmtpSink | null = null;
      let errors = '';
      let pending = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const [word, value = ''] = line.split(' ');
          if (word === 'listening') {
            sink = new SmtpSink(Number(value), dir, child, exited);
            resolve(sink);
          } else if (word === 'connections' && sink) {
            sink.#connections = Number(value);
            sink.maxConnections = Math.max(sink.maxConnections, sink.#connections);
          } else if (word === 'refused' && sink) sink.refusals.push(Number(value));
        }
      });
      void exited.then(() => reject(new Error(`the SMTP server exited before listening:\n${errors}`)));
    });
  }

  /** What Sesame needs to send here. */
  env(): Record<string, string> {
    return smtpEnv(this.port);
  }

  /** How many messages were accepted so far. */
  count(): number {
    return existsSync(this.dir) ? readdirSync(this.dir).filter((name) => name.endsWith('.eml')).length : 0;
  }

  /** Every accepted message, parsed, in the order accepted. */
  async messages(): Promise<ReceivedMail[]> {
    const names = readdirSync(this.dir).filter((name) => name.endsWith('.eml')).sort();
    return Promise.all(
      names.map(async (name) => {
        const meta = JSON.parse(readFileSync(join(this.dir, name.replace(/\.eml$/, '.json')), 'utf8')) as { secure: boolean; user: string | null; to: string[] };
        return { mail: await simpleParser(readFileSync(join(this.dir, name))), ...meta };
      }),
    );
  }

  /** Resolves with the messages once `count` have arrived; throws after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.count() < count) {
      if (Date.now() > deadline) throw new Error(`${this.count()} of ${count} messages arrived within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.messages();
  }

  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** What Sesame needs to send to a sink on `port` (running or to come): STARTTLS trusting the test certificate, the account in the URL. */
export function smtpEnv(port: number): Record<string, string> {
  return {
    SESAME_SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    SESAME_SMTP_CA_FILE: testCertificate().certFile,
    SESAME_EMAIL_FROM: 'Sesame <sesame@example.test>',
  };
}

/** A port nothing listens on now (for a server that comes later). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}
