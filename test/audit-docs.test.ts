import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const AUDIT_SOURCE = readFileSync(new URL('../src/core/audit.ts', import.meta.url), 'utf8');
const SECURITY = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');

/** The text from `start` to the next `end` after it. */
function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`no "${start}"`);
  const to = text.indexOf(end, from + start.length);
  return text.slice(from, to < 0 ? undefined : to);
}

it('documents every audit event, field and value the code can write', () => {
  // The event types, the actions and the doors, and the origin every event carries; comments aside.
  const types = [between(AUDIT_SOURCE, 'export type AuditEvent', 'export interface Client'), between(AUDIT_SOURCE, 'export interface AuditOrigin', '}')]
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const values = [...types.matchAll(/'([^']+)'/g)].map(([, value]) => value!);
  const fields = [...types.matchAll(/readonly (\w+)\??:/g)].map(([, field]) => field!);
  const names = [...new Set([...values, ...fields])];
  expect(names).toEqual(expect.arrayContaining(['admin_action', 'console', 'not_operator', 'operatorId', 'changed', 'requestId']));
  const section = between(SECURITY, '\n## Audit log\n', '\n## ');
  const isNamed = (name: string) => section.includes(`\`${name}\``) || section.includes(`\`${name}:`) || section.includes(`\`"${name}"\``);
  expect(names.filter((name) => !isNamed(name))).toEqual([]);
});
