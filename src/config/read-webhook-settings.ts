import { isPlaceholderSecret, placeholderProblem } from './is-placeholder-secret.js';
import type { Settings } from './settings.js';

/** Where webhook events are POSTed, and the key that signs them. */
export interface WebhookConfig {
  readonly url: string;
  readonly secret: Buffer;
}

/**
 * The webhook receiver, or null for none; adds to `problems` a receiver that is missing (webhook
 * delivery), half set, or unsafe, naming no secret value.
 */
export function readWebhookSettings(settings: Settings, problems: string[]): WebhookConfig | null {
  const url = settings.SESAME_RESET_WEBHOOK_URL;
  const text = settings.SESAME_WEBHOOK_SECRET;
  if (settings.SESAME_RESET_TOKEN_DELIVERY === 'webhook' && (url === undefined || text === undefined)) {
    const missing = [url === undefined ? 'SESAME_RESET_WEBHOOK_URL' : null, text === undefined ? 'SESAME_WEBHOOK_SECRET' : null].filter(Boolean);
    problems.push(`SESAME_RESET_TOKEN_DELIVERY: webhook needs ${missing.join(' and ')}`);
    return null;
  }
  if (url === undefined && text === undefined) return null;
  if (url === undefined || text === undefined) {
    problems.push('SESAME_RESET_WEBHOOK_URL: set it and SESAME_WEBHOOK_SECRET together (every delivery is signed)');
    return null;
  }
  if (!isWebhookUrl(url, settings.SESAME_PROFILE === 'strict')) {
    problems.push(
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password' +
        (settings.SESAME_PROFILE === 'strict' ? ', and https unless the receiver is on this machine (strict profile)' : '') +
        ' (value hidden)',
    );
    return null;
  }
  const example = 'echo "whsec_$(openssl rand -base64 32)"';
  // Standard Webhooks' secret format: whsec_ and the base64 of the key.
  const secret = /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text.slice('whsec_'.length), 'base64') : null;
  if (secret === null || secret.length < 24) {
    problems.push(`SESAME_WEBHOOK_SECRET: must be whsec_ followed by the base64 of 24 or more random bytes (value hidden); e.g. ${example}`);
    return null;
  }
  if (isPlaceholderSecret(text.slice('whsec_'.length))) {
    problems.push(placeholderProblem('SESAME_WEBHOOK_SECRET', example));
    return null;
  }
  return { url, secret };
}

/**
 * A URL a webhook can go to: http or https (https only in strict, but for a receiver on this
 * machine, since the body carries reset tokens), and no credentials (fetch refuses them).
 */
function isWebhookUrl(text: string, isStrict: boolean): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && (!isStrict || isLoopback);
}
