/**
 * Kysely table types of the PostgreSQL schema (migrations/): the shared tables plus PostgreSQL's own
 * columns. Times are epoch milliseconds in bigint columns, read back as numbers (postgres-db.ts
 * installs the int8 parser).
 */
import type { Generated } from 'kysely';
import type { MessageColumns, SharedTables, UserColumns } from '../shared/schema.js';

export type * from '../shared/schema.js';

export interface UsersTable extends UserColumns {
  ghost_mode: Generated<boolean>;
}

export interface MessagesTable extends MessageColumns {
  /** The public point while the post is in the geo index; null once deleted or purged after expiry. */
  public_geog: string | null;
}

export interface Database extends SharedTables {
  users: UsersTable;
  messages: MessagesTable;
}
