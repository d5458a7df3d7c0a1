/**
 * `lo backup` / `lo restore` (DESIGN section 9) through the real CLI: an online SQLite backup taken
 * while a real `lo serve` is writing is one consistent point in time that a new server serves, restore
 * refuses while a server has the database open and refuses files that are not Lo databases, and on
 * PostgreSQL backup runs pg_dump.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createClient, type LoClient } from '@lo/client';
import { openStore } from '../src/store/open-store.js';
import { dropSchema, sqliteQuery } from './helpers/db-rows.js';
import { POSTGRES_SKIP, POSTGRES_URL } from './helpers/postgres.js';
import { killAllCli, runCli, startCliServer } from './helpers/spawn-cli.js';
import { startServer, tempDir } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';

const QUIET_LIMITS = { LO_RATE_LIMITS: 'post=100000/60,write=100000/60,probe=100000/60,signup=1000/60,publish=100000/1' };
const SPOT = { lat: 52.52, lng: 13.405 };

const dirs: string[] = [];
function dataDir(): string {
  const dir = tempDir('lo-backup-');
  dirs.push(dir);
  return dir;
}
after(() => {
  killAllCli();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const digest = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const replacedFiles = (dir: string) => fs.readdirSync(dir).filter((name) => name.includes('.replaced-'));

/** Posts geo posts and room messages from `loops` concurrent loops until `stop()`; `acked` grows with each acknowledged write. */
function keepWriting(client: LoClient, roomId: string, loops: number) {
  const acked: string[] = [];
  let stopping = false;
  const loop = async (n: number) => {
    for (let i = 0; !stopping; i += 1) {
      const written =
        n === 0 ? await client.rooms.post(roomId, `chat ${i}`) : await client.messages.create({ content: `post ${n}.${i}`, ...SPOT });
      acked.push(written.id);
    }
  };
  const done = Promise.all(Array.from({ length: loops }, (_, n) => loop(n)));
  return {
    acked,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

describe('lo backup / lo restore', () => {
  test('a backup taken while lo serve writes restores (once the server is stopped) to a consistent database a new server serves', async () => {
    const dir = dataDir();
    const dbFile = path.join(dir, 'lo.db');
    const user = { username: uniqueUsername('bk'), password: strongPassword() };
    const server = await startCliServer({ LO_DATA_DIR: dir, ...QUIET_LIMITS });
    after(() => server.child.kill('SIGKILL'));
    const client = createClient({ url: server.url });
    await client.auth.signup(user);
    const room = await client.rooms.create({ name: 'busy', visibility: 'public' });

    const writers = keepWriting(client, room.id, 4);
    while (writers.acked.length < 30) await new Promise((resolve) => setTimeout(resolve, 20));
    const ackedBefore = [...writers.acked];
    const backup = await runCli(['backup'], { LO_DATA_DIR: dir });
    const ackedAfter = writers.acked.length;
    await writers.stop();
    assert.equal(backup.code, 0, backup.stderr);
    const file = /to (\S+) \(\d+ bytes\)/.exec(backup.stdout)?.[1];
    assert.ok(file !== undefined && path.dirname(file) === path.join(dir, 'backups'), backup.stdout);
    assert.match(path.basename(file), /^lo-\d{4}-\d\d-\d\dT[\d-]+Z\.db$/);
    assert.ok(writers.acked.length > ackedAfter || ackedAfter > ackedBefore.length, 'writes went on during the backup');

    // One point in time: every write acknowledged before the backup started, each post with its geo index
    // entry and each channel's last offset matching its messages (both written in one transaction each).
    assert.deepEqual(sqliteQuery(file, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    const ids = new Set(
      sqliteQuery<{ id: string }>(file, 'SELECT id FROM messages UNION ALL SELECT id FROM channel_messages').map((r) => r.id),
    );
    assert.deepEqual(
      ackedBefore.filter((id) => !ids.has(id)),
      [],
    );
    assert.ok(ids.size < writers.acked.length, 'later writes are not in it');
    assert.deepEqual(sqliteQuery(file, 'SELECT (SELECT count(*) FROM messages) - (SELECT count(*) FROM geo_index) AS d'), [{ d: 0 }]);
    const drift = `SELECT name FROM channels c WHERE last_offset <> (SELECT coalesce(max("offset"), 0) FROM channel_messages m WHERE m.channel = c.name)`;
    assert.deepEqual(sqliteQuery(file, drift), []);

    const live = digest(dbFile);
    const refused = await runCli(['restore', file], { LO_DATA_DIR: dir });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is in use \(is lo serve running/);
    assert.equal(digest(dbFile), live, 'the live database is untouched');
    assert.deepEqual(replacedFiles(dir), []);

    assert.equal((await server.stop('SIGTERM')).code, 0);
    const restored = await runCli(['restore', file], { LO_DATA_DIR: dir });
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(replacedFiles(dir).length, 1, 'the replaced database is kept aside');
    assert.match(restored.stdout, /kept as .*lo\.db\.replaced-/);

    // In this process (a spawned server costs seconds more): the restored files are what is under test.
    const served = await startServer(QUIET_LIMITS, dir);
    after(() => served.app.close());
    const again = createClient({ url: served.url });
    await again.auth.login(user);
    const chat = await again.rooms.history(room.id, { after_offset: 0, limit: 100 });
    const offsets = chat.items.map((m) => m.offset);
    assert.deepEqual(
      offsets,
      offsets.map((_, i) => i + 1),
      'room history is gap-free',
    );
    const post = ackedBefore.find((id) => !chat.items.some((m) => m.id === id))!;
    assert.match((await again.messages.get(post)).content, /^post \d+\.\d+$/);
    const next = await again.rooms.post(room.id, 'after the restore');
    assert.equal(next.offset, sqliteQuery<{ n: number }>(file, 'SELECT last_offset AS n FROM channels')[0]!.n + 1);
  });

  test('restore refuses a file that is not a Lo database and leaves the database alone', async () => {
    const dir = dataDir();
    const dbFile = path.join(dir, 'lo.db');
    await (await openStore({ databaseUrl: `sqlite:${dbFile}`, sqliteSynchronous: 'NORMAL' })).close();
    const live = digest(dbFile);

    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a database at all, just some words that are long enough\n');
    const foreign = path.join(dir, 'other.db');
    const other = new BetterSqlite3(foreign);
    other.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)');
    other.close();
    const damaged = path.join(dir, 'damaged.db');
    const bytes = fs.readFileSync(dbFile);
    bytes.fill(0xff, 4096, 12288);
    fs.writeFileSync(damaged, bytes);

    const cases: Array<[string, RegExp]> = [
      [text, /is not a SQLite database/],
      [foreign, /is not a Lo database/],
      [damaged, /is damaged|cannot be read/],
    ];
    for (const [file, message] of cases) {
      const run = await runCli(['restore', file], { LO_DATA_DIR: dir });
      assert.notEqual(run.code, 0, file);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'a plain message, no stack');
    }
    assert.equal(digest(dbFile), live);
    assert.deepEqual(replacedFiles(dir), []);
  });

  test(
    'on PostgreSQL, lo backup runs pg_dump and lo restore explains pg_restore',
    POSTGRES_URL === undefined ? { skip: POSTGRES_SKIP } : {},
    async () => {
      const schema = `lo_test_${randomBytes(6).toString('hex')}`;
      const url = new URL(POSTGRES_URL!);
      url.searchParams.set('schema', schema);
      after(() => dropSchema(POSTGRES_URL!, schema));
      const env = { LO_DATA_DIR: dataDir(), LO_DATABASE_URL: url.toString() };
      await (await openStore({ databaseUrl: env.LO_DATABASE_URL, sqliteSynchronous: 'NORMAL' })).close();

      const out = path.join(env.LO_DATA_DIR, 'lo.dump');
      const backup = await runCli(['backup', '--out', out], env);
      assert.equal(backup.code, 0, backup.stderr);
      assert.equal(fs.readFileSync(out).subarray(0, 5).toString('latin1'), 'PGDMP', 'a pg_dump custom-format archive');
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);

      const restore = await runCli(['restore', out], env);
      assert.notEqual(restore.code, 0);
      assert.match(restore.stderr, /pg_restore --no-owner/);
    },
  );
});
