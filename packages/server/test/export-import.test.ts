/**
 * `lo export` / `lo import` (DESIGN section 9: a deployment moves from SQLite to PostgreSQL) through
 * the real CLI, on a deployment made through the real server and SDK. Each copy is checked twice:
 * every row of every exported table equals the original's (read directly from both databases), and
 * a server started on the copy answers as the original did (logins, feed pages and their cursors, room
 * and DM history with the same offsets, sessions that still refresh).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@lo/client';
import { OperatorError } from '../src/errors/operator-error.js';
import { importDatabase } from '../src/store/portable/import-reader.js';
import { openPortableDb } from '../src/store/portable/portable-db.js';
import { VERSION } from '../src/version.js';
import { dropSchema, postgresDump, sqliteDump, sqliteQuery, sqliteTables, withPostgres, type Dump } from './helpers/db-rows.js';
import { POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';
import { buildSampleDeployment, observe, type SampleDeployment } from './helpers/sample-deployment.js';
import { killAllCli, runCli } from './helpers/spawn-cli.js';
import { startServer, tempDir, type TestServer } from './helpers/test-server.js';

/** Tables that never travel (store/portable/portable-tables.ts says why); geo_index is virtual, so not in the list at all. */
const NOT_EXPORTED = ['beacons', 'proximity_pairs', 'kysely_migration', 'kysely_migration_lock'];
const pgOnly = POSTGRES_URL === undefined ? { skip: POSTGRES_SKIP } : {};

const dirs: string[] = [];
function dir(): string {
  const made = tempDir('lo-export-');
  dirs.push(made);
  return made;
}

let sample: SampleDeployment;
let exportFile: string;
let tables: string[];
let original: Dump;

before(async () => {
  sample = await buildSampleDeployment(dir());
  exportFile = path.join(sample.dataDir, 'export.jsonl');
  const run = await runCli(['export', '--out', exportFile], { LO_DATA_DIR: sample.dataDir });
  assert.equal(run.code, 0, run.stderr);
  tables = sqliteTables(sample.dbFile).filter((t) => !NOT_EXPORTED.includes(t));
  original = sqliteDump(sample.dbFile, tables);
});
after(() => {
  killAllCli();
  for (const made of dirs) fs.rmSync(made, { recursive: true, force: true });
});

function exportLines(file = exportFile): string[] {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n');
}

/** Imports `file` into a SQLite file of a new data dir (or `dataDir`); returns the run and the database file. */
async function importSqlite(file: string, dataDir = dir()) {
  const run = await runCli(['import', file], { LO_DATA_DIR: dataDir });
  return { run, dataDir, dbFile: path.join(dataDir, 'lo.db') };
}

/** What a server on the copy must answer as the original did. */
async function assertServesTheSame(server: TestServer): Promise<void> {
  const { cursor, ...seen } = await observe(server.url, sample.users, sample.roomId, sample.feedCursor);
  assert.deepEqual(seen, sample.seen);
  assert.notEqual(cursor, '', 'the feed has a second page');
  const ben = createClient({ url: server.url, tokens: sample.benTokens });
  await ben.auth.refresh();
  assert.equal((await ben.me.get()).id, sample.users[1]!.id, 'a session from before the move refreshes on the copy');
  const next = await ben.rooms.post(sample.roomId, 'after the move');
  assert.equal(next.offset, sample.seen.roomHistory.items.at(-1)!.offset + 1, 'the room channel goes on from its last offset');
}

describe('lo export / lo import', () => {
  test('the export: a header, every domain table in foreign-key order, portable values, an end line', () => {
    const lines = exportLines();
    const header = JSON.parse(lines[0]!) as { format: string; version: number; lo_version: string; source: string; tables: string[] };
    assert.equal(header.format, 'lo-export');
    assert.equal(header.version, 1);
    assert.equal(header.lo_version, VERSION);
    assert.equal(header.source, 'sqlite');
    assert.deepEqual([...header.tables].sort(), tables, 'every table but the skipped ones');
    assert.ok(sqliteQuery(sample.dbFile, `SELECT 1 FROM sqlite_schema WHERE name = 'geo_index'`).length === 1);
    for (const [i, table] of header.tables.entries()) {
      const refs = sqliteQuery<{ table: string }>(sample.dbFile, `SELECT "table" FROM pragma_foreign_key_list('${table}')`);
      for (const { table: ref } of refs) assert.ok(header.tables.indexOf(ref) < i, `${ref} comes before ${table}`);
    }

    const rows = lines.slice(1, -1).map((line) => JSON.parse(line) as { t: string; r: Record<string, unknown> });
    assert.deepEqual(JSON.parse(lines.at(-1)!), { end: true, rows: rows.length });
    const order = rows.map((row) => header.tables.indexOf(row.t));
    assert.ok(
      order.every((at, i) => at >= 0 && (i === 0 || at >= order[i - 1]!)),
      'rows grouped by table, in header order',
    );
    for (const table of tables) {
      assert.equal(rows.filter((row) => row.t === table).length, original[table]!.length, `${table}: every row`);
    }

    const users = rows.filter((row) => row.t === 'users').map((row) => row.r);
    assert.deepEqual(users.map((u) => u.ghost_mode).sort(), [false, false, false, true], 'flags as true/false');
    const meta = rows.filter((row) => row.t === 'meta').map((row) => row.r);
    assert.deepEqual(meta.map((m) => m.name).sort(), ['secret:ip-hash', 'secret:privacy-grid']);
    for (const m of meta) assert.equal(Buffer.from((m.value as { $base64: string }).$base64, 'base64').length, 32);
    const posts = rows.filter((row) => row.t === 'messages').map((row) => row.r);
    assert.ok(
      posts.every((p) => !('seq' in p) && Number.isInteger(p.created_at)),
      'no derived seq; times as epoch ms',
    );
  });

  test('SQLite → SQLite: every row equal, the geo index rebuilt for live posts, a server on the copy serves the same', async () => {
    // A target a server has already started on holds only the secrets it generated: accepted, and replaced.
    const target = dir();
    await (await startServer({}, target)).app.close();
    const { run, dbFile } = await importSqlite(exportFile, target);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported \d+ rows of \d+ tables into sqlite/);
    assert.match(run.stdout, /secrets the target had generated were replaced/);

    assert.deepEqual(sqliteDump(dbFile, tables), original);
    const indexed = sqliteQuery<{ id: string }>(dbFile, 'SELECT m.id FROM geo_index g JOIN messages m ON m.seq = g.seq');
    assert.deepEqual(indexed.map((r) => r.id).sort(), [...sample.livePosts].sort(), 'live posts only: not deleted, not expired');

    // Exporting the copy (to stdout, the default) gives the same file, line for line, but for the header's time.
    const again = await runCli(['export'], { LO_DATA_DIR: target });
    assert.equal(again.code, 0, again.stderr);
    const withoutTime = (lines: string[]) => [lines[0]!.replace(/"exported_at":"[^"]+"/, ''), ...lines.slice(1)];
    assert.deepEqual(withoutTime(again.stdout.trimEnd().split('\n')), withoutTime(exportLines()));

    const server = await startServer({}, target);
    try {
      await assertServesTheSame(server);
    } finally {
      await server.close();
    }
  });

  test(
    'SQLite → PostgreSQL → SQLite: every row equal both ways, public_geog recomputed, a server on PostgreSQL serves the same',
    pgOnly,
    async () => {
      const schema = `lo_test_${randomBytes(6).toString('hex')}`;
      const url = new URL(POSTGRES_URL!);
      url.searchParams.set('schema', schema);
      after(() => dropSchema(POSTGRES_URL!, schema));

      const run = await runCli(['import', exportFile], { LO_DATA_DIR: dir(), LO_DATABASE_URL: url.toString() });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /into postgres from a sqlite export/);
      assert.deepEqual(await postgresDump(POSTGRES_URL!, schema, tables), original);
      const geo = await withPostgres(POSTGRES_URL!, schema, (c) =>
        c.query<{ id: string }>('SELECT id FROM messages WHERE public_geog IS NOT NULL'),
      );
      assert.deepEqual(geo.rows.map((r) => r.id).sort(), [...sample.livePosts].sort());

      // Back again, before a server on PostgreSQL adds sessions of its own.
      const back = path.join(dir(), 'from-postgres.jsonl');
      const out = await runCli(['export', '--out', back], { LO_DATA_DIR: dir(), LO_DATABASE_URL: url.toString() });
      assert.equal(out.code, 0, out.stderr);
      assert.equal((JSON.parse(exportLines(back)[0]!) as { source: string }).source, 'postgres');
      const copy = await importSqlite(back);
      assert.equal(copy.run.code, 0, copy.run.stderr);
      assert.deepEqual(sqliteDump(copy.dbFile, tables), original);

      const server = await startServer({ LO_DATABASE_URL: url.toString() });
      try {
        await assertServesTheSame(server);
      } finally {
        await server.close();
      }
    },
  );

  describe('refusals write nothing', () => {
    /** Writes a variant of the export; `edit` gets and returns its lines. */
    function variant(name: string, edit: (lines: string[]) => string[]): string {
      const file = path.join(dir(), `${name}.jsonl`);
      fs.writeFileSync(file, edit(exportLines()).join('\n') + '\n');
      return file;
    }
    const withRow = (lines: string[], table: string, change: (row: Record<string, unknown>) => void) =>
      lines.map((line) => {
        const parsed = JSON.parse(line) as { t?: string; r: Record<string, unknown> };
        if (parsed.t !== table) return line;
        change(parsed.r);
        return JSON.stringify(parsed);
      });
    const nonEmpty = (dump: Dump) => Object.entries(dump).filter(([, rows]) => rows.length > 0);

    // Through the code the CLI runs, in this process (a CLI run costs seconds): each into a new SQLite file.
    const cases: Array<[string, (lines: string[]) => string[], RegExp]> = [
      ['a file cut inside a line', (l) => [...l.slice(0, 6), l[6]!.slice(0, 20)], /line 7 is not JSON/],
      ['another format version', (l) => [l[0]!.replace('"version":1', '"version":2'), ...l.slice(1)], /version 2 is not supported/],
      ['an unknown column', (l) => withRow(l, 'users', (r) => (r.shoe_size = 44)), /column users\.shoe_size does not exist/],
      [
        'an unknown table',
        (l) => [l[0]!.replace('"tables":[', '"tables":["gadgets",'), ...l.slice(1)],
        /tables this database does not \(gadgets\)/,
      ],
      [
        'rows of a table the header does not list',
        (l) => [l[0]!.replace('"meta",', ''), ...l.slice(1)],
        /rows of table meta, which the header/,
      ],
      ['a wrong row count', (l) => [...l.slice(0, -1), '{"end":true,"rows":1}'], /counts 1 rows but the file holds/],
      ['data after the end line', (l) => [...l, l[1]!], /data after the end line/],
      ['not an export', () => ['{"hello":"world"}'], /not a Lo export/],
    ];
    for (const [name, edit, message] of cases) {
      test(`${name} is refused; the new database stays empty`, async () => {
        const dbFile = path.join(dir(), 'lo.db');
        const db = await openPortableDb({ databaseUrl: `sqlite:${dbFile}`, sqliteSynchronous: 'NORMAL' }, false);
        try {
          const lines = readline.createInterface({ input: fs.createReadStream(variant('case', edit)), crlfDelay: Infinity });
          await assert.rejects(importDatabase(db, lines, Date.now()), (error: Error) => {
            assert.ok(error instanceof OperatorError);
            assert.match(error.message, message);
            assert.match(error.message, /nothing was imported/);
            return true;
          });
        } finally {
          await db.close();
        }
        assert.deepEqual(nonEmpty(sqliteDump(dbFile, tables)), []);
      });
    }

    test('lo import of a truncated file exits non-zero with a plain message; the rows it had inserted are rolled back', async () => {
      const { run, dbFile } = await importSqlite(variant('truncated', (l) => l.slice(0, -1)));
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /^lo: the file ends at line \d+ without its end line: it was truncated; nothing was imported\n$/);
      assert.deepEqual(nonEmpty(sqliteDump(dbFile, tables)), []);
    });

    test('a target that already has data is refused and left as it was', async () => {
      const { run } = await importSqlite(exportFile, sample.dataDir);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /target database is not empty \(rows in .*users/);
      assert.deepEqual(sqliteDump(sample.dbFile, tables), original);
    });

    test('a truncated file on PostgreSQL: the transaction is rolled back', pgOnly, async () => {
      const schema = `lo_test_${randomBytes(6).toString('hex')}`;
      const url = new URL(POSTGRES_URL!);
      url.searchParams.set('schema', schema);
      after(() => dropSchema(POSTGRES_URL!, schema));
      const run = await runCli(['import', variant('truncated-pg', (l) => l.slice(0, -1))], {
        LO_DATA_DIR: dir(),
        LO_DATABASE_URL: url.toString(),
      });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /truncated/);
      assert.deepEqual(nonEmpty(await postgresDump(POSTGRES_URL!, schema, tables)), []);
    });
  });
});
