import { createServer, connect, type Server, type Socket } from 'node:net';

/** One client and its upstream; `isDead` once a blackhole swallowed it: it never forwards again. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  isDead: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, that a test can cut and restore: the
 * way to take a database or Redis away from Sesame without touching the machine's services.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #links = new Set<Link>();
  #server: Server | null = null;
  #port = 0;
  // While stalled, bytes are held, not forwarded: a server that stops answering but keeps
  // its connections open.
  #held: Array<() => void> | null = null;
  #isBlackholed = false;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts a proxy to `host:port` on a free port. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy({ host, port });
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` (a server URL) pointed at the proxy instead. */
  through(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.#port);
    return proxied.toString();
  }

  /** Drops every connection and refuses new ones, as a server that went away. */
  async cut(): Promise<void> {
    for (const { client, upstream } of this.#links) {
      client.destroy();
      upstream.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = null;
  }

  /** Accepts and forwards again, on the same port; connections a blackhole swallowed stay swallowed. */
  async restore(): Promise<void> {
    this.#isBlackholed = false;
    if (!this.#server) await this.#listen(this.#port);
  }

  /** Keeps every connection open but forwards nothing, in either direction. */
  stall(): void {
    this.#held ??= [];
  }

  /** Forwards again, the bytes held during the stall first. */
  resume(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const deliver of held) deliver();
  }

  /**
   * A silent network loss (a hung peer, a middlebox that dropped its state): every connection
   * stays open but forwards nothing for ever, neither bytes nor its end, and new connections
   * are accepted and swallowed alike until `restore()`.
   */
  blackhole(): void {
    this.#isBlackholed = true;
    for (const link of this.#links) link.isDead = true;
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  async #listen(port: number): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = connect({ port: this.#target.port, host: this.#target.host, allowHalfOpen: true });
      const link: Link = { client, upstream, isDead: this.#isBlackholed };
      this.#links.add(link);
      for (const socket of [client, upstream]) socket.on('error', () => undefined);
      const forward = (from: Socket, to: Socket) => {
        from.on('data', (chunk: Buffer) => {
          if (link.isDead) return;
          const deliver = () => to.write(chunk);
          if (this.#held) this.#held.push(deliver);
          else deliver();
        });
        from.on('end', () => {
          if (!link.isDead) to.end();
        });
      };
      forward(client, upstream);
      forward(upstream, client);
      const close = () => {
        if (link.isDead) return;
        this.#links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as { port: number }).port;
  }
}
