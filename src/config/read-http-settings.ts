import { API_FAMILIES, type ApiFamily, type HttpConfig } from '../app.js';
import { compileProxyTrust } from '../http/client-address.js';
import type { Settings } from './settings.js';

/** The HTTP layer's settings but the admin API's; adds to `problems` a proxy range or an origin that cannot work. */
export function readHttpSettings(settings: Settings, problems: string[]): Omit<HttpConfig, 'admin' | 'authorizationServer' | 'metrics' | 'ui'> {
  const trustProxy = listOf(settings.SESAME_TRUST_PROXY);
  try {
    compileProxyTrust(trustProxy);
  } catch {
    problems.push('SESAME_TRUST_PROXY: must list IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated');
  }
  const origins = (name: 'SESAME_TRUSTED_ORIGINS' | 'SESAME_CORS_ORIGINS'): string[] => {
    const list = listOf(settings[name]);
    if (list.includes('*')) {
      problems.push(`${name}: * is refused: answers carry credentials, so every origin must be listed`);
    }
    const malformed = list.filter((origin) => origin !== '*' && !isOrigin(origin));
    if (malformed.length > 0) {
      problems.push(`${name}: each entry must be an origin such as https://app.example.com (no path); got ${malformed.join(', ')}`);
    }
    return list;
  };
  return {
    trustProxy,
    proxyHeader: settings.SESAME_PROXY_HEADER,
    cookie: { name: settings.SESAME_COOKIE_NAME, secure: settings.SESAME_COOKIE_SECURE },
    trustedOrigins: origins('SESAME_TRUSTED_ORIGINS'),
    corsOrigins: origins('SESAME_CORS_ORIGINS'),
    hasDocsPage: settings.SESAME_DOCS_PAGE,
    apis: readApis(settings.SESAME_APIS, problems),
  };
}

/** The API families `SESAME_APIS` lists: at least one, each known, none twice. */
function readApis(text: string, problems: string[]): readonly ApiFamily[] {
  const list = listOf(text);
  const known = new Set<string>(API_FAMILIES);
  const unknown = list.filter((name) => !known.has(name));
  if (unknown.length > 0) problems.push(`SESAME_APIS: unknown API ${unknown.join(', ')}; the APIs are ${API_FAMILIES.join(', ')}`);
  else if (list.length === 0) problems.push(`SESAME_APIS: must list at least one of ${API_FAMILIES.join(', ')}`);
  else if (new Set(list).size !== list.length) problems.push('SESAME_APIS: lists an API twice');
  return list.filter((name): name is ApiFamily => known.has(name));
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** An http(s) origin written exactly as a browser sends it in `Origin`. */
function isOrigin(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) && new URL(text).origin === text;
}
