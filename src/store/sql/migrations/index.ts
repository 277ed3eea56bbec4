import type { Migration } from 'kysely';
import type { Columns, SqlDialect } from '../dialects.js';
import { initialSchema } from './0001-initial.js';
import { outboxSchema } from './0002-outbox.js';
import { resetDecoysSchema } from './0003-reset-decoys.js';
import { operatorsSchema } from './0004-operators.js';
import { disabledUsersIndex } from './0005-disabled-users.js';

/** Every migration, by name; names sort in the order they apply. Never edit one that has shipped: add the next. */
export function sqlMigrations(columns: Columns, capabilities: Pick<SqlDialect, 'hasPartialIndexes'>): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(columns),
    '0002-outbox': outboxSchema(columns),
    '0003-reset-decoys': resetDecoysSchema(columns),
    '0004-operators': operatorsSchema(columns),
    '0005-disabled-users': disabledUsersIndex(capabilities.hasPartialIndexes),
  };
}
