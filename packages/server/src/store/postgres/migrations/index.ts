import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { liveLocation } from './0002-live-location.js';
import { feedCells } from './0003-feed-cells.js';

/** Versioned migrations, applied in name order; never edit one that has shipped, add the next. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-live-location': liveLocation,
  '0003-feed-cells': feedCells,
};

export const postgresMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
