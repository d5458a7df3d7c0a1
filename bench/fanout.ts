/**
 * Benchmark: server CPU per delivered message with 1,000 subscribers on one channel, for a bare `ws`
 * broadcast server, Socket.IO rooms and Lo, in the same run (DESIGN section 10). Each server runs in its
 * own process; the subscribers in client processes; the publisher here. Writes the "Fan-out" section of
 * bench/results.md. Run: npm run bench:fanout -- [--subscribers N] [--seconds S] … (--help lists them)
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWatchdog } from './lib/children.js';
import { ClientFleet } from './lib/client-fleet.js';
import {
  FANOUT_TITLE,
  fanoutShortfalls,
  perDelivery,
  renderFanout,
  type FanoutResults,
  type PhaseResult,
  type ServerResult,
} from './lib/fanout-report.js';
import { hasLoGateway } from './lib/lo-server.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { cpuTimeUs } from './lib/procfs.js';
import { payload, publishSteady, publishWindowed, type PublishRun } from './lib/publisher.js';
import { commandLine, parseFlags } from './lib/rt-args.js';
import { connect, epochMs, SERVER_NAMES, type Connection, type ServerKind } from './lib/rt-client.js';
import { codeVersion, packageVersion, writeGeneratedSection } from './lib/section.js';
import { startServer, type RunningServer } from './lib/servers.js';

const root = path.resolve(import.meta.dirname, '..');
const CHANNEL = 'public:bench';
/** Distinct users whose tokens the subscribers share (Lo caps nothing here: see lo-server.ts). */
const USERS = 5;
/** A phase's deliveries are complete when all expected arrived, or when none arrived for this long. */
const QUIET_MS = 3_000;
/** Seconds of no traffic, subscribers connected, over which the server's CPU at rest is read. */
const REST_S = 3;

const flags = parseFlags(process.argv.slice(2), 'usage: npm run bench:fanout -- [flags]', {
  subscribers: { default: 1000, integer: true, doc: 'subscribers of the one channel' },
  clients: { default: 2, integer: true, doc: 'client processes the subscribers are spread over' },
  window: { default: 64, integer: true, doc: 'outstanding publishes in the drain phase' },
  'drain-seconds': { default: 10, doc: 'length of the drain phase' },
  'warmup-seconds': { default: 2, doc: 'drain-phase warm-up before it is measured' },
  rate: { default: 50, doc: 'messages per second in the steady phase' },
  seconds: { default: 10, doc: 'length of the steady phase' },
  lag: { default: 256, integer: true, doc: 'most messages the publisher may be ahead of the subscribers' },
  timeout: { default: 900, doc: 'seconds after which the whole run is stopped' },
});
const f = flags.values;
startWatchdog(f.timeout);
const machine = describeMachine();
const log = (text: string): void => console.log(text);

/** Runs `publish` and measures server CPU, client CPU and deliveries until the clients have everything. */
async function measurePhase(
  server: RunningServer,
  fleet: ClientFleet,
  publish: (progress: () => number) => Promise<PublishRun>,
): Promise<PhaseResult> {
  await fleet.reset();
  let perSubscriber = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      perSubscriber = (await fleet.delivered()) / f.subscribers;
      await sleep(25);
    }
  })();
  const clientCpu = (): number => fleet.pids.reduce((sum, pid) => sum + cpuTimeUs(pid), 0);
  const cpu0 = cpuTimeUs(server.child.pid);
  const clientCpu0 = clientCpu();
  const t0 = epochMs();
  const run = await publish(() => perSubscriber);
  const expected = run.acked * f.subscribers;
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const delivered = await fleet.delivered();
    if (delivered >= expected) break;
    if (delivered !== last) {
      last = delivered;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > QUIET_MS) break;
    await sleep(10);
  }
  const serverCpuUs = cpuTimeUs(server.child.pid) - cpu0;
  const clientCpuUs = clientCpu() - clientCpu0;
  polling = false;
  await poller;
  const stats = await fleet.stats();
  const h = stats.latencyUs;
  return {
    run,
    delivered: stats.delivered,
    expected,
    wallS: (Math.max(stats.lastAt, t0 + 1) - t0) / 1000,
    serverCpuUs,
    clientCpuUs,
    latencyMs: { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.percentile(100) / 1000 },
  };
}

function show(name: string, p: PhaseResult): void {
  log(
    `  ${name}: ${p.run.acked} messages, ${p.delivered}/${p.expected} deliveries in ${p.wallS.toFixed(2)} s ` +
      `(${Math.round(p.delivered / p.wallS)}/s); server CPU ${(p.serverCpuUs / 1e6).toFixed(2)} s = ${perDelivery(p).toFixed(2)} µs/delivery; ` +
      `clients ${(p.clientCpuUs / Math.max(p.delivered, 1)).toFixed(2)} µs/delivery; latency p50 ${p.latencyMs.p50.toFixed(2)} ms, ` +
      `p99 ${p.latencyMs.p99.toFixed(2)} ms; held back ${(p.run.pausedMs / 1000).toFixed(1)} s` +
      (p.run.failed > 0 ? `; ${p.run.failed} publishes failed: ${p.run.firstError}` : ''),
  );
}

async function benchServer(kind: ServerKind): Promise<ServerResult> {
  log(`${SERVER_NAMES[kind]}: starting the server…`);
  const result: ServerResult = { kind, subscribers: 0, connectS: 0, restCpuMsPerS: NaN };
  let server: RunningServer | undefined;
  let fleet: ClientFleet | undefined;
  let publisher: Connection | undefined;
  try {
    server = await startServer(kind, root, USERS);
    fleet = ClientFleet.start(root, f.clients);
    const opened = await fleet.open(server, {
      connections: f.subscribers,
      channel: CHANNEL,
      localAddresses: ['127.0.0.1'],
      concurrency: 50,
      timeoutMs: 30_000,
    });
    result.subscribers = opened.opened;
    result.connectS = opened.ms / 1000;
    log(
      `  ${opened.opened} subscribers in ${result.connectS.toFixed(1)} s${opened.failed > 0 ? `, ${opened.failed} failed: ${opened.firstError}` : ''}`,
    );
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${f.subscribers} subscribers could not connect: ${opened.firstError}`);
    const cpuAtStart = cpuTimeUs(server.child.pid);
    await sleep(REST_S * 1000);
    result.restCpuMsPerS = (cpuTimeUs(server.child.pid) - cpuAtStart) / 1000 / REST_S;
    log(`  at rest: ${result.restCpuMsPerS.toFixed(1)} ms of CPU per second`);
    publisher = await connect(server.endpoint, { token: server.tokens[0] ?? '', timeoutMs: 30_000 });
    const p = publisher;
    const windowed = (seconds: number) => (progress: () => number) =>
      publishWindowed(p, CHANNEL, { window: f.window, seconds, lagLimit: f.lag, subscriberProgress: progress });
    show('warm-up', await measurePhase(server, fleet, windowed(f['warmup-seconds'])));
    result.drain = await measurePhase(server, fleet, windowed(f['drain-seconds']));
    show('(a) drain', result.drain);
    result.steady = await measurePhase(server, fleet, () => publishSteady(p, CHANNEL, f.rate, f.seconds));
    show(`(b) steady ${f.rate}/s`, result.steady);
    const lost = (await fleet.stats()).lost;
    if (lost > 0) throw new Error(`${lost} subscribers were disconnected during the run`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${result.error}`);
  } finally {
    publisher?.close();
    await fleet?.close();
    await server?.child.stop();
  }
  return result;
}

log(`Fan-out: ${f.subscribers} subscribers of one channel; servers ${flags.servers.join(', ')}`);
log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadStart.toFixed(2)}`);
const loGateway = hasLoGateway(root);
if (flags.servers.includes('lo') && !loGateway)
  log('note: packages/server/src/realtime/gateway.ts is missing: the Lo rows will likely fail');
const servers: ServerResult[] = [];
for (const kind of flags.servers) servers.push(await benchServer(kind));
machine.loadEnd = currentLoad();

const results: FanoutResults = {
  code: codeVersion(root, ['packages/server/src', 'packages/protocol/src']),
  command: commandLine('bench:fanout', flags.given),
  machine,
  software: `ws ${packageVersion(root, 'ws')}, socket.io ${packageVersion(root, 'socket.io')} (client ${packageVersion(root, 'socket.io-client')})`,
  settings: {
    subscribers: f.subscribers,
    clientProcesses: f.clients,
    window: f.window,
    drainSeconds: f['drain-seconds'],
    warmupSeconds: f['warmup-seconds'],
    restSeconds: REST_S,
    rate: f.rate,
    seconds: f.seconds,
    lagLimit: f.lag,
    dataBytes: JSON.stringify(payload(12345)).length,
  },
  servers,
  loGateway,
};
const resultsFile = path.join(root, 'bench/results.md');
if (!flags.dryRun) writeGeneratedSection(resultsFile, FANOUT_TITLE, 'fanout', renderFanout(results));

log('\nsummary (server CPU µs per delivery):');
for (const s of servers) {
  const figures =
    s.error === undefined
      ? `drain ${perDelivery(s.drain).toFixed(2)}, steady ${perDelivery(s.steady).toFixed(2)}`
      : `not measured: ${s.error}`;
  log(`  ${SERVER_NAMES[s.kind].padEnd(10)} ${figures}`);
}
const missed = fanoutShortfalls(results);
log(missed.length === 0 ? 'every target met' : `shortfalls:\n  ${missed.join('\n  ')}`);
log(flags.dryRun ? 'dry run: results not written' : `wrote ${path.relative(root, resultsFile)}`);
process.exit(0);
