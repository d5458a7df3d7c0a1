import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OperatorError } from '../src/errors/operator-error.js';
import { ArrivalScheduler } from '../src/loadgen/arrival-scheduler.js';
import { parseBenchOptions, parseLocalAddresses } from '../src/loadgen/bench-options.js';
import { LatencyRecorder } from '../src/loadgen/latency-recorder.js';
import { assignConnections, subscribersPerRoom } from '../src/loadgen/run-plan.js';
import { stagesOf } from '../src/loadgen/scenarios.js';
import { parsePrometheus } from '../src/loadgen/server-metrics.js';
import { evaluateThresholds, parseThreshold } from '../src/loadgen/thresholds.js';

/** The pieces of `lo bench` that decide pass/fail and shape the load, on their own. */
describe('lo bench parts', () => {
  test('histograms merge across workers: decoded snapshots add up to the recorded distribution', () => {
    const [a, b, total] = [new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder()];
    for (let i = 1; i <= 900; i++) a.record('delivery', i * 10);
    for (let i = 1; i <= 100; i++) b.record('delivery', 1_000_000 + i);
    b.error('publish', 'rate_limited', 3);
    b.count('recovered_messages', 7);
    total.merge(a.snapshot(true));
    total.merge(b.snapshot(true));
    assert.equal(total.successes('delivery'), 1000);
    assert.ok(Math.abs(total.stats(['delivery']).p50 - 5) < 0.01, 'p50 of the first 900 is 5 ms');
    assert.ok(total.stats(['delivery']).p99 > 1000, 'the slow tenth from the other worker is the p99');
    assert.deepEqual(total.errorsOf('publish'), { rate_limited: 3 });
    assert.equal(total.counter('recovered_messages'), 7);
    assert.equal(a.successes('delivery'), 0, 'a snapshot with reset starts the next delta from zero');
  });

  test('thresholds parse like k6 and fail when they should', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 100; i++) r.record('delivery', i * 1000); // 1..100 ms
    for (let i = 0; i < 98; i++) r.record('publish', 2000);
    r.error('publish', 'timeout', 2);
    r.record('nearby', 300_000);
    const results = evaluateThresholds(
      [
        'delivery.p99<50ms',
        'delivery.p50<=51ms',
        'delivery.max<1s',
        'errors<1%',
        'errors<5%',
        'publish.errors<3',
        'http.p95<200ms',
        'beacon.p99<1s',
        'publish.rate>=9/s',
        'delivery.count==100',
      ].map(parseThreshold),
      r,
      10,
    );
    assert.deepEqual(
      results.map((t) => [t.threshold, t.ok]),
      [
        ['delivery.p99<50ms', false],
        ['delivery.p50<=51ms', true],
        ['delivery.max<1s', true],
        ['errors<1%', false],
        ['errors<5%', true],
        ['publish.errors<3', true],
        ['http.p95<200ms', false],
        ['beacon.p99<1s', false], // nothing measured proves nothing
        ['publish.rate>=9/s', true],
        ['delivery.count==100', true],
      ],
    );
    for (const bad of ['delivery<50ms', 'latency.p99<1ms', 'delivery.p99<5%', 'errors.p99<1ms', 'p99 < fast']) {
      assert.throws(() => parseThreshold(bad), OperatorError, bad);
    }
  });

  test('scenarios are stages of one multiplier over the duration', () => {
    assert.deepEqual(stagesOf('baseline', 30, { factor: 1, steps: 1 }), [{ name: 'baseline', multiplier: 1, durationS: 30 }]);
    assert.deepEqual(
      stagesOf('stress', 60, { factor: 4, steps: 4 }).map((s) => [s.multiplier, s.durationS]),
      [
        [1, 15],
        [2, 15],
        [3, 15],
        [4, 15],
      ],
    );
    assert.deepEqual(
      stagesOf('spike', 50, { factor: 5, steps: 1 }).map((s) => [s.name, s.multiplier, s.durationS]),
      [
        ['before', 1, 20],
        ['spike', 5, 10],
        ['after', 1, 20],
      ],
    );
    assert.equal(stagesOf('breakpoint', 100, { factor: 10, steps: 10 }).at(-1)!.multiplier, 10);
    assert.deepEqual(stagesOf('storm', 30, { factor: 1, steps: 1 }), [
      { name: 'before', multiplier: 1, durationS: 10 },
      { name: 'storm', multiplier: 1, durationS: 20, storm: true },
    ]);
  });

  test('connections spread evenly over users and rooms', () => {
    const specs = assignConnections(200, 20, 2, 4);
    assert.deepEqual(subscribersPerRoom(specs, 4), [100, 100, 100, 100]);
    const perUser = new Map<number, number>();
    for (const s of specs) perUser.set(s.user, (perUser.get(s.user) ?? 0) + 1);
    assert.deepEqual(new Set(perUser.values()), new Set([10]));
    assert.ok(specs.every((s) => new Set(s.rooms).size === 2));
  });

  test('options: bounds, sizes that need --yes, local address ranges', () => {
    const url = 'http://127.0.0.1:1';
    assert.deepEqual(parseLocalAddresses('127.0.0.1-127.0.0.3,10.0.0.9'), ['127.0.0.1', '127.0.0.2', '127.0.0.3', '10.0.0.9']);
    assert.throws(() => parseLocalAddresses('127.0.0.9-127.0.0.1'), OperatorError);
    assert.throws(() => parseBenchOptions('baseline', { url, connections: '20000' }), /--yes/);
    assert.equal(parseBenchOptions('baseline', { url, connections: '20000', yes: true }).workers, 2, 'one worker per 15,000 sockets');
    assert.throws(() => parseBenchOptions('baseline', { url, duration: '25h', yes: true }), /at most 24h/);
    assert.throws(() => parseBenchOptions('nonsense', { url }), /unknown scenario/);
    assert.throws(() => parseBenchOptions('baseline', { url: 'ftp://example.org' }), /http/);
    assert.throws(() => parseBenchOptions('baseline', { url, beaconRate: '10', users: '5' }), /at least 20 --users/);
    const o = parseBenchOptions('baseline', { url, connections: '95' });
    assert.equal(o.users, 10, '95 connections at 10 per user');
    assert.equal(o.durationS, 30);
  });

  test('open model: arrivals keep their rate while nothing answers, and those past the in-flight bound are dropped', async () => {
    let dropped = 0;
    let started = 0;
    let release!: () => void;
    const unanswered = new Promise<void>((resolve) => (release = resolve));
    const scheduler = new ArrivalScheduler([{ name: 'publish', rate: 200, run: () => (started++, unanswered) }], {
      maxInFlight: 30,
      budget: 1_000_000,
      onDrop: () => dropped++,
    });
    scheduler.setMultiplier(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stopped = scheduler.stop();
    assert.equal(started, 30, 'no more than the bound in flight');
    assert.ok(scheduler.started >= 60 && scheduler.started <= 140, `about 100 arrivals in 0.5 s at 200/s: ${scheduler.started}`);
    release();
    await stopped;
    assert.equal(dropped, scheduler.started - 30);
  });

  test('Prometheus text: samples with labels, comments skipped', () => {
    const series = parsePrometheus('# HELP x\nlo_ws_closes{reason="slow_consumer"} 3\nlo_process_cpu_seconds_total 1.5 1700000000\n');
    assert.deepEqual(series, [
      { name: 'lo_ws_closes', labels: { reason: 'slow_consumer' }, value: 3 },
      { name: 'lo_process_cpu_seconds_total', labels: {}, value: 1.5 },
    ]);
  });
});
