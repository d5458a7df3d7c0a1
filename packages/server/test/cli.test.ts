import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createClient, type LoClient } from '@lo/client';
import { killAllCli, runCli, startCliServer, type CliServer } from './helpers/spawn-cli.js';
import { tempDir } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';

/** DESIGN sections 6 and 9, through the real `lo` command as an operator runs it. */
const dirs: string[] = [];
function dataDir(): string {
  const dir = tempDir('lo-cli-');
  dirs.push(dir);
  return dir;
}
after(() => {
  killAllCli();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Limits out of the way (the durability test posts 50 times in a few seconds). */
const QUIET_LIMITS = { LO_RATE_LIMITS: 'post=1000/60,write=1000/60,probe=1000/60,signup=1000/60' };
const SPOT = { lat: 47.376888, lng: 8.541694 };

/**
 * Two groups run side by side: one data dir through a server's whole life (start, restart, crash,
 * admin created from the command line), and one-shot commands on data dirs of their own.
 */
describe('lo', { concurrency: true }, () => {
  describe('one data dir through start, graceful stop, restart and kill -9', { concurrency: 1 }, () => {
    const dir = dataDir();
    let server: CliServer | undefined;
    const user = { username: uniqueUsername('cli'), password: strongPassword(), postId: '' };
    after(() => server?.child.kill('SIGKILL'));

    async function restart(): Promise<CliServer> {
      server = await startCliServer({ LO_DATA_DIR: dir, ...QUIET_LIMITS });
      return server;
    }
    async function login(url: string): Promise<LoClient> {
      const client = createClient({ url });
      await client.auth.login({ username: user.username, password: user.password });
      return client;
    }

    test('lo serve on a fresh data dir creates lo.db and a 0600 jwt-secret and answers readiness', async () => {
      const { url } = await restart();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(fs.statSync(path.join(dir, 'lo.db')).isFile());
      const secret = fs.statSync(path.join(dir, 'jwt-secret'));
      assert.equal(secret.mode & 0o777, 0o600);
      assert.ok(fs.readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim().length >= 32);
      const ready = await fetch(`${url}/api/health/ready`, { signal: AbortSignal.timeout(5000) });
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, 'pass');
    });

    test('SIGTERM shuts lo serve down gracefully with exit code 0', async () => {
      assert.ok(server);
      const client = createClient({ url: server.url });
      await client.auth.signup({ username: user.username, password: user.password });
      user.postId = (await client.messages.create({ content: 'before the restart', ...SPOT })).id;
      assert.deepEqual(await server.stop('SIGTERM', 5000), { code: 0, signal: null });
      assert.match(server.output(), /shutting down/);
      await assert.rejects(fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(2000) }));
    });

    test('data survives a restart: the same password logs in and the post is still there', async () => {
      const { url } = await restart();
      const client = await login(url);
      const post = await client.messages.get(user.postId);
      assert.equal(post.content, 'before the restart');
      assert.deepEqual(post.location, SPOT);
    });

    test('acknowledged posts survive kill -9: all 50 are readable after a restart', async () => {
      assert.ok(server);
      const client = await login(server.url);
      const acknowledged: string[] = [];
      for (let i = 0; i < 50; i += 1) {
        const response = await fetch(`${server.url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${client.session!.access_token}` },
          body: JSON.stringify({ content: `durable ${i}`, ...SPOT }),
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(response.status, 201);
        acknowledged.push(((await response.json()) as { id: string }).id);
      }
      // No graceful shutdown: the process dies right after the last acknowledgement.
      assert.deepEqual(await server.stop('SIGKILL', 5000), { code: null, signal: 'SIGKILL' });

      const { url } = await restart();
      const after = await login(url);
      const feed = await after.messages.nearbyAll({ ...SPOT, limit: 100 });
      assert.deepEqual(feed.map((m) => m.id).sort(), [...acknowledged, user.postId].sort());
      for (const id of [acknowledged[0]!, acknowledged[49]!]) assert.match((await after.messages.get(id)).content, /^durable \d+$/);
    });

    test('lo user create --admin (while lo serve runs) makes an admin who logs in with role admin', async () => {
      assert.ok(server);
      const username = uniqueUsername('root');
      const password = strongPassword();
      const created = await runCli(['user', 'create', username, '--admin'], { LO_DATA_DIR: dir, LO_USER_PASSWORD: password });
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, new RegExp(`created admin ${username}`));
      assert.ok(!created.stdout.includes(password), 'a given password is not echoed');
      const client = createClient({ url: server.url });
      await client.auth.login({ username, password });
      const me = await client.me.get();
      assert.deepEqual([me.username, me.role], [username, 'admin']);
    });

    test('lo migrate exits 0 on an existing data dir and keeps its data', async () => {
      const run = await runCli(['migrate'], { LO_DATA_DIR: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(server);
      assert.equal((await (await login(server.url)).messages.get(user.postId)).content, 'before the restart');
    });
  });

  describe('one-shot commands', { concurrency: 1 }, () => {
    test('lo migrate exits 0 on a fresh data dir', async () => {
      const dir = dataDir();
      const run = await runCli(['migrate'], { LO_DATA_DIR: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /latest schema/);
      assert.ok(fs.existsSync(path.join(dir, 'lo.db')));
    });

    test('lo user create with a common password exits non-zero and creates nobody', async () => {
      const dir = dataDir();
      const username = uniqueUsername('weak');
      const run = await runCli(['user', 'create', username], { LO_DATA_DIR: dir, LO_USER_PASSWORD: 'password' });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /common/i);
      const db = new BetterSqlite3(path.join(dir, 'lo.db'), { readonly: true });
      try {
        assert.deepEqual(db.prepare('SELECT username FROM users').all(), []);
      } finally {
        db.close();
      }
    });

    test('an invalid configuration (LO_PORT=abc) exits 1 with a message naming LO_PORT', async () => {
      const dir = dataDir();
      const run = await runCli(['serve'], { LO_DATA_DIR: dir, LO_PORT: 'abc' });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /LO_PORT=abc/);
      assert.ok(!fs.existsSync(path.join(dir, 'lo.db')), 'nothing is created from a bad configuration');
    });
  });
});
