import { BlockList, isIP } from 'node:net';
import type { AdminHttpConfig, MetricsHttpConfig } from '../app.js';
import { isPlaceholderSecret, placeholderProblem } from './is-placeholder-secret.js';
import type { SettingName, Settings } from './settings.js';

/** The admin API as configured: where it is served, on which listener, and its token. */
export interface AdminSettings {
  /** Null when the admin API is off. */
  readonly http: AdminHttpConfig | null;
  /** The admin listener's address, or null when /admin (if on) is served on the main listener. */
  readonly server: { readonly host: string; readonly port: number } | null;
  readonly token: string | null;
  /** Where /metrics is served and the token it takes, or null when metrics are off. */
  readonly metrics: MetricsHttpConfig | null;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * The admin API's settings (on when `SESAME_ADMIN_TOKEN` or `SESAME_ADMIN_LISTEN` is set); adds
 * to `problems` an admin API that anyone who can reach it could use: one on a listener other
 * processes or hosts can reach without the token, or any without the token in the strict
 * profile. Only settings `isValid` says passed the schema are read.
 */
export function readAdminSettings(settings: Settings, isValid: (name: SettingName) => boolean, problems: string[]): AdminSettings {
  const token = isValid('SESAME_ADMIN_TOKEN') ? (settings.SESAME_ADMIN_TOKEN ?? null) : null;
  const listen = isValid('SESAME_ADMIN_LISTEN') ? (settings.SESAME_ADMIN_LISTEN ?? null) : null;
  const example = 'openssl rand -hex 32';
  if (token !== null && isPlaceholderSecret(token)) problems.push(placeholderProblem('SESAME_ADMIN_TOKEN', example));
  const server = listen === null ? null : parseListen(listen, problems);
  if (token === null && isValid('SESAME_ADMIN_TOKEN')) {
    if (server !== null && !isLoopback(server.host)) {
      problems.push(
        `SESAME_ADMIN_LISTEN: ${listen} can be reached from other hosts, so the admin API there needs SESAME_ADMIN_TOKEN (or listen on 127.0.0.1 or [::1]); e.g. ${example}`,
      );
    } else if (listen !== null && isValid('SESAME_PROFILE') && settings.SESAME_PROFILE === 'strict') {
      problems.push(`SESAME_ADMIN_TOKEN: required by the strict profile whenever the admin API is on (SESAME_ADMIN_LISTEN is set); e.g. ${example}`);
    }
  }
  const isOn = token !== null || listen !== null;
  const metricsToken = isValid('SESAME_METRICS_TOKEN') ? (settings.SESAME_METRICS_TOKEN ?? null) : null;
  if (metricsToken !== null && isPlaceholderSecret(metricsToken)) problems.push(placeholderProblem('SESAME_METRICS_TOKEN', example));
  if (metricsToken !== null && metricsToken === token) {
    problems.push('SESAME_METRICS_TOKEN: must differ from SESAME_ADMIN_TOKEN: whoever scrapes metrics must not be able to manage users');
  }
  return {
    http: isOn ? { listener: listen === null ? 'main' : 'own', hasToken: token !== null } : null,
    server,
    token,
    // The admin listener, when there is one, is where operators' endpoints live; the public
    // port then never serves /metrics. Without it, only a token opens /metrics there.
    metrics: listen !== null ? { listener: 'admin', token: metricsToken } : metricsToken !== null ? { listener: 'main', token: metricsToken } : null,
  };
}

/** `host:port`, the host an IPv4 address, a name, or an IPv6 address in brackets. */
function parseListen(listen: string, problems: string[]): { host: string; port: number } | null {
  const separator = listen.lastIndexOf(':');
  const bracketed = listen.slice(0, separator);
  const host = bracketed.startsWith('[') ? bracketed.slice(1, -1) : bracketed;
  const port = Number(listen.slice(separator + 1));
  if (bracketed.startsWith('[') && isIP(host) !== 6) {
    problems.push(`SESAME_ADMIN_LISTEN: ${bracketed} is not an IPv6 address (got ${JSON.stringify(listen)})`);
    return null;
  }
  if (port > 65535) {
    problems.push(`SESAME_ADMIN_LISTEN: the port must be from 0 to 65535 (got ${JSON.stringify(listen)})`);
    return null;
  }
  return { host, port };
}

/** Whether only processes on this machine can connect to `host`. */
function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
