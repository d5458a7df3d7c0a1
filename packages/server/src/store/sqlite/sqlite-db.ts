import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Compilable } from 'kysely';
import type { Database } from './schema.js';
import { sqliteMigrations } from './migrations/index.js';

export interface SqliteOptions {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
}

type Params = unknown[];

/**
 * One SQLite connection shared by the repos. Queries are built with Kysely (typed) and executed
 * synchronously through better-sqlite3 with a statement cache: a synchronous statement cannot
 * interleave with another request, so each repo method that wraps its statements in `tx` is atomic
 * without locks. Kysely's async path is used only by the migrator.
 */
export class SqliteDb {
  readonly raw: BetterSqlite3.Database;
  readonly kysely: Kysely<Database>;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /**
   * One transaction wrapper for every call: `raw.transaction(fn)` builds four wrapper functions each time,
   * a visible share of every publish and subscribe. The wrapper decides per call whether it begins a
   * transaction or, nested in one, a savepoint.
   */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  constructor(options: SqliteOptions) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.raw = new BetterSqlite3(options.file);
    this.raw.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is in the OS before it returns, so it survives kill -9 of the process.
    this.raw.pragma(`synchronous = ${options.synchronous}`);
    this.raw.pragma('foreign_keys = ON');
    this.raw.pragma('busy_timeout = 5000');
    this.raw.pragma('temp_store = MEMORY');
    this.raw.pragma('cache_size = -65536');
    // Read pages through a memory map instead of a read() and a copy each: the nearby scans touch many
    // pages scattered over the R*Tree and messages (bench/results.md: local feed p95 on 1,000,000 posts
    // ~9 ms without, ~3 ms with). Address space only; the pages are the OS file cache.
    this.raw.pragma('mmap_size = 1073741824');
    this.kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.raw }) });
    this.inTransaction = this.raw.transaction((fn: () => unknown) => fn());
  }

  prepare(sqlText: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sqlText);
    if (statement === undefined) {
      statement = this.raw.prepare(sqlText);
      this.statements.set(sqlText, statement);
    }
    return statement;
  }

  all<R>(query: Compilable<R>): R[] {
    const compiled = query.compile();
    return this.prepare(compiled.sql).all(...(compiled.parameters as Params)) as R[];
  }

  get<R>(query: Compilable<R>): R | undefined {
    const compiled = query.compile();
    return this.prepare(compiled.sql).get(...(compiled.parameters as Params)) as R | undefined;
  }

  /** Runs a write; returns the number of rows changed. */
  run(query: Compilable<unknown>): number {
    const compiled = query.compile();
    return this.prepare(compiled.sql).run(...(compiled.parameters as Params)).changes;
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    return this.inTransaction(fn) as T;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.kysely, provider: sqliteMigrations });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error !== undefined || failed !== undefined) {
      throw new Error(`migration ${failed?.migrationName ?? ''} failed`, { cause: error });
    }
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}
