/** Kysely table types of the SQLite schema (migrations/): the shared tables plus SQLite's own columns. */
import type { Generated } from 'kysely';
import type { MessageColumns, SharedTables, UserColumns } from '../shared/schema.js';

export type * from '../shared/schema.js';

export interface UsersTable extends UserColumns {
  /** 0 or 1: SQLite has no boolean type. */
  ghost_mode: Generated<number>;
}

export interface MessagesTable extends MessageColumns {
  /** The rowid, which is also the post's key in the geo_index R*Tree. */
  seq: Generated<number>;
}

export interface Database extends SharedTables {
  users: UsersTable;
  messages: MessagesTable;
}
