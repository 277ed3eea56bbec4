import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import proxyAddr from 'proxy-addr';

/** Where a request came from, as far as the trusted proxies vouch for it. */
export interface ClientView {
  /** The client's IP address: the peer's, or the one the trusted proxies forwarded. */
  readonly address: string;
  /** Whether the nearest trusted proxy says the client used https. */
  readonly isHttps: boolean;
}

interface Hop {
  readonly address: string;
  readonly proto: string | undefined;
}

/** Says whether an address, at a depth from us, is a trusted proxy. */
export type ProxyTrust = (address: string, depth: number) => boolean;

/**
 * Compiles `SESAME_TRUST_PROXY`'s addresses and CIDR ranges (and proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`). Throws `TypeError` for a malformed entry.
 */
export function compileProxyTrust(entries: readonly string[]): ProxyTrust | null {
  return entries.length === 0 ? null : proxyAddr.compile([...entries]);
}

/**
 * The client behind a request. Forwarding headers are read only when the peer is a trusted
 * proxy, and only as far back as each hop is trusted too: the first untrusted address, walking
 * from us towards the client, is the client (ASVS 4.1.3, 15.3.4). Anything else can rotate
 * those headers at will, so without trust they change nothing. `X-Forwarded-For` is read when
 * present, `Forwarded` (RFC 7239) otherwise.
 */
export function clientOf(request: FastifyRequest, trust: ProxyTrust | null): ClientView {
  const peer = request.socket.remoteAddress ?? '';
  if (trust === null || !trust(peer, 0)) return { address: peer, isHttps: false };
  const hops = forwardedHops(request);
  let address = peer;
  for (let index = hops.length - 1, depth = 0; index >= 0 && trust(address, depth); index -= 1, depth += 1) {
    const hop = hops[index]!;
    // A trusted proxy never forwards garbage; a hop that is not an address ends the walk.
    if (isIP(hop.address) === 0) break;
    address = hop.address;
  }
  return { address, isHttps: (hops.at(-1)?.proto ?? lastValue(request.headers['x-forwarded-proto'])) === 'https' };
}

function forwardedHops(request: FastifyRequest): Hop[] {
  const forwardedFor = request.headers['x-forwarded-for'];
  if (forwardedFor !== undefined) {
    // Node joins repeated X-Forwarded-For lines with ", ": one list either way.
    return [forwardedFor]
      .flat()
      .join(',')
      .split(',')
      .map((address) => ({ address: address.trim(), proto: undefined }));
  }
  const forwarded = request.headers.forwarded;
  return forwarded === undefined ? [] : parseForwarded(forwarded);
}

/** The hops of an RFC 7239 `Forwarded` header: its `for` and `proto` parameters, in order. */
function parseForwarded(header: string): Hop[] {
  return header.split(',').map((element) => {
    const params = new Map<string, string>();
    for (const pair of element.split(';')) {
      const separator = pair.indexOf('=');
      if (separator < 0) continue;
      params.set(pair.slice(0, separator).trim().toLowerCase(), pair.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    return { address: nodeAddress(params.get('for') ?? ''), proto: params.get('proto')?.toLowerCase() };
  });
}

/** `for` values carry IPv6 in brackets and may carry a port: `"[2001:db8::1]:4711"`, `192.0.2.1:80`. */
function nodeAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  return /^[\d.]+:\d+$/.test(value) ? value.slice(0, value.lastIndexOf(':')) : value;
}

function lastValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.at(-1) : header;
  return value?.split(',').at(-1)?.trim().toLowerCase();
}
