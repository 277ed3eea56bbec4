import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The messages Sesame sends, each a file stem in `SESAME_EMAIL_TEMPLATES`. */
export const MESSAGE_NAMES = ['password-reset', 'password-changed', 'unknown-address', 'test'] as const;
export type MessageName = (typeof MESSAGE_NAMES)[number];

/** One message: a subject line, a plain-text part and an HTML part, each with `{{variable}}` places. */
export interface EmailTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export type EmailTemplates = Readonly<Record<MessageName, EmailTemplate>>;

/** The variables each message may use; a template naming any other is refused at start. */
export const VARIABLES: Readonly<Record<MessageName, readonly string[]>> = {
  'password-reset': ['email', 'link', 'expires_at', 'expires_in_minutes'],
  'password-changed': ['email', 'time', 'reason'],
  'unknown-address': ['email'],
  test: ['email', 'time'],
};

const DEFAULTS: EmailTemplates = {
  'password-reset': {
    subject: 'Reset your password',
    text:
      'Someone asked to reset the password of the account {{email}}.\n\n' +
      'To choose a new password, open this link within {{expires_in_minutes}} minutes:\n\n{{link}}\n\n' +
      'If you did not ask for this, ignore this message: your password stays as it is.\n',
    html:
      '<p>Someone asked to reset the password of the account {{email}}.</p>\n' +
      '<p>To choose a new password, open this link within {{expires_in_minutes}} minutes:</p>\n' +
      '<p><a href="{{link}}">{{link}}</a></p>\n' +
      '<p>If you did not ask for this, ignore this message: your password stays as it is.</p>\n',
  },
  'password-changed': {
    subject: 'Your password was changed',
    text:
      'The password of the account {{email}} was changed at {{time}} ({{reason}}).\n\n' +
      'If this was not you, reset your password now and tell your administrator.\n',
    html:
      '<p>The password of the account {{email}} was changed at {{time}} ({{reason}}).</p>\n' +
      '<p>If this was not you, reset your password now and tell your administrator.</p>\n',
  },
  'unknown-address': {
    subject: 'Password reset request',
    text:
      'Someone asked to reset a password for {{email}}, but no account uses this address.\n\n' +
      'If you did not ask for this, ignore this message.\n',
    html:
      '<p>Someone asked to reset a password for {{email}}, but no account uses this address.</p>\n' +
      '<p>If you did not ask for this, ignore this message.</p>\n',
  },
  test: {
    subject: 'Sesame test message',
    text: 'This message was sent by `sesame email test` at {{time}}: email from Sesame reaches {{email}}.\n',
    html: '<p>This message was sent by <code>sesame email test</code> at {{time}}: email from Sesame reaches {{email}}.</p>\n',
  },
};

const PART_SUFFIXES = { subject: 'subject.txt', text: 'txt', html: 'html' } as const;
const PLACE = /\{\{\s*([a-z_]+)\s*\}\}/g;

/**
 * The templates: the English defaults, each part replaced by `<name>.subject.txt`, `<name>.txt`
 * or `<name>.html` in `directory` when that file exists. Adds to `problems` a directory that is
 * missing, and any template naming a variable its message does not have.
 */
export function loadEmailTemplates(directory: string | null, problems: string[]): EmailTemplates {
  if (directory === null) return DEFAULTS;
  if (!existsSync(directory)) {
    problems.push(`SESAME_EMAIL_TEMPLATES: no such directory: ${directory}`);
    return DEFAULTS;
  }
  const templates = {} as Record<MessageName, EmailTemplate>;
  for (const name of MESSAGE_NAMES) {
    const parts = { ...DEFAULTS[name] };
    for (const part of ['subject', 'text', 'html'] as const) {
      const file = join(directory, `${name}.${PART_SUFFIXES[part]}`);
      if (!existsSync(file)) continue;
      parts[part] = part === 'subject' ? readFileSync(file, 'utf8').trim() : readFileSync(file, 'utf8');
      const unknown = [...parts[part].matchAll(PLACE)].map((match) => match[1]!).filter((variable) => !VARIABLES[name].includes(variable));
      if (unknown.length > 0) problems.push(`SESAME_EMAIL_TEMPLATES: ${file} names ${unknown.map((each) => `{{${each}}}`).join(', ')}; ${name} has ${VARIABLES[name].map((each) => `{{${each}}}`).join(', ')}`);
    }
    templates[name] = parts;
  }
  return templates;
}

/** A rendered message, ready for the transport. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * Fills a template: values go into the text part as they are, into the HTML part escaped (a
 * user-chosen email such as `"<b>"@example.com` stays text), and into the subject with line
 * breaks and other control characters replaced by spaces, so no value can start a header.
 */
export function renderEmail(template: EmailTemplate, values: Readonly<Record<string, string>>): RenderedEmail {
  const fill = (source: string, escape: (value: string) => string) => source.replace(PLACE, (_, name: string) => escape(values[name] ?? ''));
  return {
    subject: fill(template.subject, (value) => value).replace(/\p{Cc}+/gu, ' '),
    text: fill(template.text, (value) => value),
    html: fill(template.html, escapeHtml),
  };
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}
