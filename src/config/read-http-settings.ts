import type { HttpConfig } from '../app.js';
import { compileProxyTrust } from '../http/client-address.js';
import type { Settings } from './settings.js';

/** The HTTP layer's settings but the admin API's; adds to `problems` a proxy range or an origin that cannot work. */
export function readHttpSettings(settings: Settings, problems: string[]): Omit<HttpConfig, 'admin' | 'authorizationServer' | 'metrics'> {
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
  };
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
