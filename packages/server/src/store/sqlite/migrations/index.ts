import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { channels } from './0002-channels.js';
import { liveLocation } from './0003-live-location.js';

/** Versioned migrations, applied in name order; never edit one that has shipped, add the next. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-channels': channels,
  '0003-live-location': liveLocation,
};

export const sqliteMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
