import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';

/** Versioned migrations, applied in name order; never edit one that has shipped, add the next. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
};

export const postgresMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
