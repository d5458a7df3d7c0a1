import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OperatorError } from '../src/errors/operator-error.js';
import { parseBenchOptions, type BenchFlags } from '../src/loadgen/bench-options.js';
import { runBench, type BenchResult, type RunHooks } from '../src/loadgen/bench-runner.js';
import { exitCodeOf } from '../src/loadgen/summary-report.js';
import { startServer, type TestServer } from './helpers/test-server.js';

/**
 * `lo bench` (issue 6) run through its entry function, in this process (--workers 0), against a real
 * server on port 0: what it reports must be what the server saw, and every run must stop at its bounds
 * and leave no account behind.
 */
let server: TestServer;
before(async () => {
  // Presence off in rooms: then every frame the server counts in lo_ws_deliveries is a room message,
  // and the tool's delivery count can be compared with it exactly.
  server = await startServer({ LO_NAMESPACES: JSON.stringify({ room: { presence: false } }) });
});
after(() => server.close());

function bench(scenario: string, flags: BenchFlags, hooks: RunHooks = {}): Promise<BenchResult> {
  return runBench(parseBenchOptions(scenario, { url: server.url, workers: '0', ...flags }, {}), hooks);
}

async function wsConnections(): Promise<number> {
  const text = await (await fetch(`${server.url}/api/metrics`)).text();
  return Number(/^lo_ws_connections (\d+)/m.exec(text)?.[1]);
}

describe('lo bench against a real server', { concurrency: 1 }, () => {
  test('the summary counts what the server saw: connections, stored messages once each, subscribers × messages deliveries, geo posts', async () => {
    const usersBefore = await server.app.store.users.count();
    const stored = { room: 0, distinct: 0, contiguous: true, geo: 0 };
    const result = await bench(
      'baseline',
      {
        connections: '200',
        subscriptions: '2',
        rooms: '4',
        publishRate: '40',
        geoPostRate: '5',
        nearbyRate: '10',
        duration: '3s',
      },
      {
        // What the run left on the server, read from its store before the accounts are deleted.
        async beforeCleanup({ users }) {
          const byChannel = new Map<string, number[]>();
          for (const user of users) {
            for (const m of await server.app.store.channels.byAuthor(user.id))
              byChannel.set(m.channel, [...(byChannel.get(m.channel) ?? []), m.offset]);
            stored.geo += (await server.app.store.messages.byAuthor(user.id)).length;
          }
          for (const offsets of byChannel.values()) {
            stored.room += offsets.length;
            stored.distinct += new Set(offsets).size;
            const sorted = [...offsets].sort((a, b) => a - b);
            stored.contiguous &&= sorted.every((offset, i) => offset === i + 1);
          }
        },
      },
    );
    const r = result.recorder;
    assert.equal(result.endedBy, 'duration');
    assert.equal(result.users, 20, '200 connections at 10 per user');
    assert.equal(result.openAtStart, 200);
    assert.equal(result.server.wsConnectionsAtStart, 200, 'the server had the same 200 sockets open');
    assert.deepEqual(result.subscribers, [100, 100, 100, 100]);
    const published = r.successes('publish');
    assert.ok(published >= 60, `publishes at 40/s for 3 s: ${published}`);
    assert.deepEqual(r.errorsOf('publish'), {});
    assert.equal(stored.room, published, 'every acknowledged publish is stored');
    assert.equal(stored.distinct, stored.room, 'and stored once');
    assert.ok(stored.contiguous, 'offsets 1..n in every room');
    assert.equal(r.successes('delivery'), 100 * published, 'each message reached its room’s 100 subscribers');
    assert.deepEqual(r.errorsOf('delivery'), {}, 'no gap, no duplicate');
    assert.equal(result.server.deliveries, r.successes('delivery'), 'lo_ws_deliveries counted the same frames');
    assert.equal(stored.geo, r.successes('geo_post'));
    assert.equal(result.server.geoPosts, r.successes('geo_post'));
    assert.ok(r.successes('nearby') >= 15);
    assert.ok(result.server.cpuSeconds !== null && result.server.rssAfterBytes !== null, 'CPU and memory read from /api/metrics');
    assert.deepEqual(result.leftoverUsers, []);
    assert.equal(await server.app.store.users.count(), usersBefore, 'the test users are gone');
    assert.equal(await wsConnections(), 0, 'and so are their sockets');
  });

  test('a run ends when --max-ops arrivals are spent, long before its duration', async () => {
    const start = performance.now();
    const result = await bench('baseline', { connections: '20', publishRate: '100', duration: '60s', maxOps: '40' });
    assert.equal(result.endedBy, 'max-ops');
    assert.equal(result.arrivals, 40);
    assert.equal(result.recorder.successes('publish') + result.recorder.errorTotal('publish'), 40);
    assert.ok(result.loadElapsedS < 10, `load lasted ${result.loadElapsedS} s`);
    assert.ok(performance.now() - start < 25_000);
  });

  test('a run ends at --duration', async () => {
    const result = await bench('baseline', { connections: '10', publishRate: '5', nearbyRate: '5', duration: '1500ms' });
    assert.equal(result.endedBy, 'duration');
    assert.ok(result.loadElapsedS >= 1.45 && result.loadElapsedS < 4, `load lasted ${result.loadElapsedS} s`);
    assert.ok(result.arrivals <= 10 * result.loadElapsedS + 3, `about 10/s while it lasted, not more: ${result.arrivals}`);
  });

  test('breakpoint raises the rates step by step, stops at the first step that breaks a threshold and reports the last good one', async () => {
    const result = await bench('breakpoint', {
      connections: '10',
      publishRate: '10',
      steps: '4',
      factor: '7',
      duration: '6s',
      threshold: ['publish.rate<20'],
    });
    assert.equal(result.endedBy, 'breakpoint');
    assert.deepEqual(
      result.stages.map((s) => [s.multiplier, s.ok]),
      [
        [1, true],
        [3, false],
      ],
      'steps ×1, ×3, ×5, ×7: the second (30/s) breaks, the rest never run',
    );
    assert.equal(result.lastGood?.multiplier, 1);
    assert.equal(result.brokeAt?.multiplier, 3);
    assert.equal(exitCodeOf(result), 0, 'finding the breakpoint is the run succeeding');
  });

  test('reconnects recover with sub since: nothing lost, nothing twice', async () => {
    const result = await bench('baseline', {
      connections: '40',
      subscriptions: '2',
      rooms: '2',
      publishRate: '30',
      reconnectRate: '10',
      duration: '2s',
    });
    const r = result.recorder;
    assert.ok(r.successes('reconnect') >= 10, `reconnects: ${r.successes('reconnect')}`);
    assert.deepEqual(r.errorsOf('reconnect'), {});
    assert.deepEqual(r.errorsOf('delivery'), {});
    // Each connection follows both rooms: every message reaches all 40, live or in a sub reply.
    assert.equal(r.successes('delivery') + r.counter('recovered_messages'), 40 * r.successes('publish'));
  });

  test('storm: every connection dropped at once comes back with sub since, each timed from the drop; nothing lost, nothing twice', async () => {
    const result = await bench('storm', { connections: '40', subscriptions: '2', rooms: '2', publishRate: '30', duration: '3s' });
    const r = result.recorder;
    assert.deepEqual(
      result.stages.map((s) => s.name),
      ['before', 'storm'],
    );
    assert.equal(r.counter('storm_dropped'), 40);
    assert.equal(result.stages[1]!.stats.reconnect?.count, 40, 'every dropped connection recovered once, in the storm stage');
    assert.deepEqual(r.errorsOf('reconnect'), {});
    assert.deepEqual(r.errorsOf('delivery'), {});
    // Publishes in flight on a dropped socket lose their ack but may be stored: at least every acked one arrives everywhere.
    assert.ok(r.successes('delivery') + r.counter('recovered_messages') >= 40 * r.successes('publish'));
    assert.ok(r.counter('recovered_messages') > 0, 'messages published during the storm were replayed by sub since');
  });

  test('ctrl-C (the abort signal) ends the load early and still deletes the accounts', async () => {
    const usersBefore = await server.app.store.users.count();
    const interrupt = new AbortController();
    const result = await bench(
      'soak',
      { connections: '10', publishRate: '10', duration: '10m' },
      { signal: interrupt.signal, onProgress: (p) => p.phase === 'load' && interrupt.abort() },
    );
    assert.equal(result.endedBy, 'interrupted');
    assert.ok(result.loadElapsedS < 5);
    assert.equal(await server.app.store.users.count(), usersBefore);
  });
});

test('--local-addresses spreads sockets over source addresses, past a per-address cap of the server', async () => {
  const capped = await startServer({ LO_WS_MAX_CONNECTIONS_PER_IP: '10' });
  try {
    const run = (flags: BenchFlags) =>
      runBench(parseBenchOptions('baseline', { url: capped.url, workers: '0', connections: '20', duration: '500ms', ...flags }, {}));
    const spread = await run({ localAddresses: '127.0.0.1-127.0.0.2' });
    assert.equal(spread.openAtStart, 20);
    assert.equal(spread.server.wsConnectionsAtStart, 20);
    const single = await run({});
    assert.equal(single.openAtStart, 10, 'one address: the server refuses the 11th socket');
    assert.deepEqual(single.recorder.errorsOf('connect'), { rate_limited: 10 }, 'and the summary says why');
  } finally {
    await capped.close();
  }
});

test('access tokens are refreshed during the run, so sockets outlive their first token', async () => {
  const shortLived = await startServer({ LO_ACCESS_TOKEN_TTL: '5' });
  try {
    const options = parseBenchOptions(
      'baseline',
      { url: shortLived.url, workers: '0', connections: '10', publishRate: '5', duration: '7s' },
      {},
    );
    const result = await runBench(options);
    assert.equal(result.recorder.counter('connections_lost'), 0, JSON.stringify(result.recorder.errorsOf('connect')));
    assert.deepEqual(result.recorder.errorsOf('publish'), {});
    assert.ok(result.recorder.successes('publish') >= 25);
    assert.deepEqual(result.leftoverUsers, []);
    assert.equal(await shortLived.app.store.users.count(), 0);
  } finally {
    await shortLived.close();
  }
});

test('a signup answered 429 stops the run with what to raise on the target, and deletes the accounts it made', async () => {
  const limited = await startServer({ LO_RATE_LIMITS: 'signup=3/3600' });
  try {
    const options = parseBenchOptions('baseline', { url: limited.url, workers: '0', connections: '10', users: '6', duration: '1s' }, {});
    await assert.rejects(
      runBench(options),
      (error: unknown) =>
        error instanceof OperatorError && /429 rate_limited/.test(error.message) && /LO_RATE_LIMITS=signup=6\/3600/.test(error.message),
    );
    assert.equal(await limited.app.store.users.count(), 0);
  } finally {
    await limited.close();
  }
});
