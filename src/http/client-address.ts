import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import proxyAddr from 'proxy-addr';
import type { Client } from '../core/audit.js';

/** Where a request came from, as far as the trusted proxies vouch for it. */
export interface ClientView {
  /** The client's IP address: the peer's, or the one the trusted proxies forwarded. */
  readonly address: string;
  /** Whether the nearest trusted proxy says the client used https. */
  readonly isHttps: boolean;
  /** The request's id (`X-Request-Id`), on its log lines and audit events. */
  readonly requestId: string;
}

/** What the trusted proxies' forwarding header says: the hops' addresses, client first, and the protocol the nearest one was reached by. */
interface Forwarding {
  readonly hops: readonly string[];
  readonly proto: string | undefined;
}

/** A client signing in, with its User-Agent: recorded with the session it gets (the core cuts it short). */
export function signingIn(from: ClientView, request: FastifyRequest): Client {
  const userAgent = request.headers['user-agent'];
  return userAgent === undefined ? from : { ...from, userAgent };
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

/** The forwarding header the trusted proxies set: the one Sesame reads, and the only one. */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/**
 * The client behind a request. The forwarding header is read only when the peer is a trusted
 * proxy, and only as far back as each hop is trusted too: the first untrusted address, walking
 * from us towards the client, is the client (ASVS 4.1.3, 15.3.4). Anyone else can rotate that
 * header at will, so without trust it changes nothing. Only the configured header is read
 * (with its protocol: `X-Forwarded-Proto`, or `Forwarded`'s `proto=`): a proxy that sets one
 * may pass the other through from the client untouched.
 */
export function clientOf(request: FastifyRequest, trust: ProxyTrust | null, header: ProxyHeader): ClientView {
  const peer = request.socket.remoteAddress ?? '';
  const requestId = request.id;
  if (trust === null || !trust(peer, 0)) return { address: peer, isHttps: false, requestId };
  const { hops, proto } = header === 'forwarded' ? parseForwarded(joined(request.headers.forwarded)) : parseForwardedFor(request);
  let address = peer;
  // A hop a trusted proxy wrote that is not an address (`unknown`) is still that client's own
  // name: it must not fold every such client into the proxy's address. A proxy that names no
  // client at all leaves the proxy as the client.
  for (let index = hops.length - 1, depth = 0; index >= 0 && hops[index] !== '' && isIP(address) !== 0 && trust(address, depth); index -= 1, depth += 1) {
    address = hops[index]!;
  }
  // The protocol is the trusted peer's own word, whether or not it also named the client.
  return { address, isHttps: proto === 'https', requestId };
}

// What a proxy's request id may be: short, printable ASCII without spaces, so that it cannot
// forge a log line, split a header or fill the log.
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

// This process's own ids: a random prefix, unique to the process among any number of
// instances, and a counter. A random UUID per request cost some 5% of a session check.
const OWN_PREFIX = randomBytes(9).toString('base64url');
let ownCount = 0;

/**
 * A request's id: the trusted proxy's `X-Request-Id` when the peer is one and the id is
 * well-formed, so that one request can be followed through the proxy's logs and Sesame's;
 * otherwise a new one of this process's (its random prefix, a dash, a counter in base 36).
 * Anyone else's header is ignored: it could tie their requests to someone else's in the log.
 */
export function requestIdOf(request: IncomingMessage, trust: ProxyTrust | null): string {
  if (trust !== null && trust(request.socket.remoteAddress ?? '', 0)) {
    const forwarded = request.headers['x-request-id'];
    if (typeof forwarded === 'string' && REQUEST_ID.test(forwarded)) return forwarded;
  }
  ownCount += 1;
  return `${OWN_PREFIX}-${ownCount.toString(36)}`;
}

function joined(header: string | string[] | undefined): string {
  return [header ?? []].flat().join(',');
}

function parseForwardedFor(request: FastifyRequest): Forwarding {
  const hops = joined(request.headers['x-forwarded-for'])
    .split(',')
    .map((hop) => nodeAddress(hop.trim()))
    .filter((address) => address !== '');
  // X-Forwarded-Proto is the nearest proxy's word about the client's protocol.
  const proto = joined(request.headers['x-forwarded-proto']).split(',').at(-1)?.trim().toLowerCase();
  return { hops, proto };
}

/** The hops of an RFC 7239 `Forwarded` header (`for`, empty where an element has none), and the nearest element's `proto`. */
function parseForwarded(header: string): Forwarding {
  const elements = header
    .split(',')
    .filter((element) => element.trim() !== '')
    .map((element) => {
      const params = new Map<string, string>();
      for (const pair of element.split(';')) {
        const separator = pair.indexOf('=');
        if (separator < 0) continue;
        params.set(pair.slice(0, separator).trim().toLowerCase(), pair.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1'));
      }
      return params;
    });
  return { hops: elements.map((params) => nodeAddress(params.get('for') ?? '')), proto: elements.at(-1)?.get('proto')?.toLowerCase() };
}

/** An address without the port or brackets proxies may add: `[2001:db8::1]:4711`, `192.0.2.1:80`. */
function nodeAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  return /^[\d.]+:\d+$/.test(value) ? value.slice(0, value.lastIndexOf(':')) : value;
}
