import { existsSync, readFileSync } from 'node:fs';
import { mergeMessages, MESSAGES, type Messages } from '../ui/messages.js';
import { STYLESHEET } from '../ui/stylesheet.js';
import type { UiConfig } from '../ui/ui-config.js';
import type { SettingName, Settings } from './settings.js';

// The pages' own reset page, where an emailed link lands when no front end of the deployer's is named.
const RESET_PAGE = '/ui/reset-password?token={token}&email={email}';

/** The pages' settings, or null when SESAME_UI is off; adds to `problems` a file that cannot be read or a text it does not know. */
export function readUiSettings(settings: Settings, isValid: (name: SettingName) => boolean, problems: string[]): UiConfig | null {
  if (!settings.SESAME_UI || !isValid('SESAME_UI')) return null;
  const messagesFile = settings.SESAME_UI_MESSAGES;
  let messages: Messages = MESSAGES;
  if (messagesFile !== undefined) {
    const parsed = readFile('SESAME_UI_MESSAGES', messagesFile, problems, 'JSON', (text): unknown => JSON.parse(text));
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      problems.push(`SESAME_UI_MESSAGES: ${messagesFile} must hold a JSON object of message keys and texts`);
    } else if (parsed !== null) {
      messages = mergeMessages(parsed as Record<string, unknown>, problems, 'SESAME_UI_MESSAGES');
    }
  }
  const stylesheetFile = settings.SESAME_UI_STYLESHEET;
  const stylesheet = stylesheetFile === undefined ? STYLESHEET : (readFile('SESAME_UI_STYLESHEET', stylesheetFile, problems, 'UTF-8 text', (text) => text) ?? STYLESHEET);
  return {
    productName: settings.SESAME_UI_PRODUCT_NAME,
    messages,
    stylesheet,
    hasPasswordReset: settings.SESAME_RESET_TOKEN_DELIVERY !== 'response',
    passwordMinLength: settings.SESAME_PASSWORD_MIN_LENGTH,
  };
}

/**
 * The reset link an email carries when SESAME_RESET_URL is unset and the pages are on: the
 * reset page at SESAME_PUBLIC_URL; null otherwise. Adds a problem for a public URL with more
 * than an origin and a path.
 */
export function defaultResetUrl(settings: Settings, isValid: (name: SettingName) => boolean, problems: string[]): string | null {
  const publicUrl = settings.SESAME_PUBLIC_URL;
  if (!settings.SESAME_UI || publicUrl === undefined || !isValid('SESAME_PUBLIC_URL')) return null;
  const url = URL.canParse(publicUrl) ? new URL(publicUrl) : null;
  if (url === null || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    problems.push('SESAME_PUBLIC_URL: must be an http(s) URL with no user name, password, query or fragment, such as https://auth.example.com');
    return null;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${RESET_PAGE}`;
}

function readFile<T>(name: SettingName, path: string, problems: string[], what: string, parse: (text: string) => T): T | null {
  if (!existsSync(path)) {
    problems.push(`${name}: no such file: ${path}`);
    return null;
  }
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    problems.push(`${name}: ${path} could not be read as ${what}`);
    return null;
  }
}
