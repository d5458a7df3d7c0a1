import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { killAllCli, runCli } from './helpers/spawn-cli.js';
import { startServer, type TestServer } from './helpers/test-server.js';

/** `lo bench` as an operator runs it: the real command, its exit codes, its output, what it contacts. */
let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  killAllCli();
  await server.close();
});

interface JsonSummary {
  exit_code: number;
  workers: number;
  metrics: Record<string, { count: number; errors: number; p99: number }>;
  thresholds: { threshold: string; ok: boolean }[];
  subscribers_per_room: number[];
  leftover_users: string[];
}

describe('lo bench (the command)', { concurrency: 1 }, () => {
  test('a threshold that cannot hold exits 99, with worker processes whose histograms merge into the summary', async () => {
    const usersBefore = await server.app.store.users.count();
    const run = await runCli(
      [
        'bench',
        'baseline',
        '--url',
        server.url,
        '--connections',
        '20',
        '--rooms',
        '2',
        '--publish-rate',
        '20',
        '--duration',
        '2s',
        '--workers',
        '2',
        '--local-addresses',
        '127.0.0.1-127.0.0.2',
        '--json',
        '--threshold',
        'delivery.p99<1us',
        '--threshold',
        'errors<50%',
      ],
      {},
      40_000,
    );
    assert.equal(run.code, 99, run.stderr);
    const summary = JSON.parse(run.stdout) as JsonSummary;
    assert.equal(summary.exit_code, 99);
    assert.equal(summary.workers, 2);
    assert.deepEqual(
      summary.thresholds.map((t) => [t.threshold, t.ok]),
      [
        ['delivery.p99<1us', false],
        ['errors<50%', true],
      ],
    );
    assert.deepEqual(summary.subscribers_per_room, [10, 10]);
    assert.ok(summary.metrics.publish!.count > 0);
    // Publishers and subscribers sit in both processes: the deliveries add up only if both merged.
    assert.equal(summary.metrics.delivery!.count, 10 * summary.metrics.publish!.count);
    assert.deepEqual(summary.leftover_users, []);
    assert.equal(await server.app.store.users.count(), usersBefore);
    assert.match(run.stderr, /lo bench .*(setup|connect|×1)/, 'a progress line on stderr');
  });

  test('thresholds that hold exit 0 and the text summary shows them passed', async () => {
    const run = await runCli(
      [
        'bench',
        'baseline',
        ...['--url', server.url, '--connections', '10', '--publish-rate', '10', '--nearby-rate', '5', '--duration', '1s', '--workers', '0'],
        ...['--threshold', 'delivery.p99<60s', '--threshold', 'http.p95<60s', '--threshold', 'publish.count>0'],
      ],
      {},
      30_000,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /ws delivery/);
    assert.match(run.stdout, /http GET \/api\/messages\/nearby/);
    assert.match(run.stdout, /✓ delivery\.p99<60s/);
    assert.match(run.stdout, /✓ publish\.count>0/);
    assert.match(run.stdout, /cpu +\d+% of one core/, 'the server’s CPU from /api/metrics');
  });

  test('a redirect to another host is refused, and that host is never contacted', async () => {
    const other: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      other.push(`${req.method} ${req.url}`);
      res.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.2', resolve));
    const seen: string[] = [];
    const redirecting = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(302, { location: `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      const run = await runCli(['bench', 'baseline', '--url', url, '--connections', '5', '--duration', '1s', '--workers', '0'], {}, 20_000);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /302 redirecting to http:\/\/127\.0\.0\.2.*follows no redirects/);
      assert.deepEqual(other, []);
      assert.deepEqual(seen, ['GET /api/health'], 'nothing was created after the refusal');
    } finally {
      redirecting.close();
      elsewhere.close();
    }
  });
});
