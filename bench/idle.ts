/**
 * Benchmark: server memory (RSS) per idle, authenticated, subscribed connection at 10,000 connections,
 * for a bare `ws` server, Socket.IO and Lo, in the same run (DESIGN section 10). Each server runs in its
 * own process; the connections come from several client processes and loopback source addresses. Writes
 * the "Idle connections" section of bench/results.md.
 * Run: npm run bench:idle -- [--connections N] [--clients N] … (--help lists them)
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWatchdog } from './lib/children.js';
import { ClientFleet } from './lib/client-fleet.js';
import {
  IDLE_TITLE,
  idleShortfalls,
  kibPerConnection,
  averageKibPerConnection,
  renderIdle,
  type IdleResult,
  type IdleResults,
  type MemoryReading,
} from './lib/idle-report.js';
import { hasLoGateway } from './lib/lo-server.js';
import { currentLoad, describeMachine } from './lib/machine.js';
import { rssKiB } from './lib/procfs.js';
import { commandLine, parseFlags } from './lib/rt-args.js';
import { connect, SERVER_NAMES, type ServerKind } from './lib/rt-client.js';
import { codeVersion, packageVersion, writeGeneratedSection } from './lib/section.js';
import { collectGarbage, startServer, type RunningServer } from './lib/servers.js';

const root = path.resolve(import.meta.dirname, '..');
const CHANNEL = 'public:bench';
const WARM_UP_CONNECTIONS = 50;
/**
 * V8 grows its young generation (up to 32 MiB here) under any burst of allocation, such as opening
 * connections, and shrinks it again when it likes, whatever the number of connections: readings jumped by
 * ±30 MiB with it. Capped at 1 MiB semi-spaces for every server, it stays out of the figures.
 */
const SERVER_FLAGS = ['--max-semi-space-size=1', '--min-semi-space-size=1'];
/** Two readings this close (KiB) count as steady. */
const STEADY_KIB = 256;

const flags = parseFlags(process.argv.slice(2), 'usage: npm run bench:idle -- [flags]', {
  connections: { default: 10_000, integer: true, doc: 'idle connections to open' },
  clients: { default: 4, integer: true, doc: 'client processes the connections are spread over' },
  addresses: { default: 4, integer: true, doc: 'loopback source addresses (127.0.0.1 … 127.0.0.N)' },
  users: { default: 10, integer: true, doc: 'distinct users whose tokens the connections share' },
  steps: { default: 4, integer: true, doc: 'memory readings while the connections are opened (the figure is fitted on them)' },
  'settle-seconds': { default: 5, doc: 'rest before each memory reading' },
  concurrency: { default: 100, integer: true, doc: 'connections being set up at once per client process' },
  timeout: { default: 900, doc: 'seconds after which the whole run is stopped' },
});
const f = flags.values;
startWatchdog(f.timeout);
const machine = describeMachine();
const addresses = Array.from({ length: Math.min(f.addresses, 254) }, (_, i) => `127.0.0.${i + 1}`);
const log = (text: string): void => console.log(text);

/** RSS (KiB) and V8 heap in use after two full GCs and a second's rest, repeated until RSS is steady. */
async function memory(server: RunningServer): Promise<Omit<MemoryReading, 'connections'>> {
  let previous = NaN;
  for (let attempt = 1; ; attempt += 1) {
    const usage = await collectGarbage(server);
    await sleep(1_000);
    const rss = rssKiB(server.child.pid);
    if (Math.abs(rss - previous) < STEADY_KIB || attempt === 4)
      return { rssKiB: rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, newSpace: usage.newSpace, external: usage.external };
    previous = rss;
  }
}

/**
 * Opens and closes a few connections (with a publish) before the first reading, so that code loaded or
 * compiled on a server's first connection is not counted as the connections' memory.
 */
async function warmUp(server: RunningServer): Promise<void> {
  const connections = await Promise.all(
    Array.from({ length: WARM_UP_CONNECTIONS }, (_, i) =>
      connect(server.endpoint, { token: server.tokens[i % server.tokens.length] ?? '', channel: CHANNEL, timeoutMs: 30_000 }),
    ),
  );
  await connections[0]?.publish(CHANNEL, { warm: true });
  await sleep(500);
  for (const connection of connections) connection.close();
}

async function benchServer(kind: ServerKind): Promise<IdleResult> {
  log(`${SERVER_NAMES[kind]}: starting the server…`);
  const result: IdleResult = { kind, requested: f.connections, opened: 0, failed: 0, connectS: 0, readings: [], open: 0, lost: 0 };
  let server: RunningServer | undefined;
  let fleet: ClientFleet | undefined;
  try {
    server = await startServer(kind, root, f.users, SERVER_FLAGS);
    await warmUp(server);
    await sleep(f['settle-seconds'] * 1000);
    const read = async (): Promise<void> => {
      const reading = { connections: result.opened, ...(await memory(server as RunningServer)) };
      result.readings.push(reading);
      log(
        `  ${reading.connections} connections: RSS ${(reading.rssKiB / 1024).toFixed(1)} MiB, V8 heap ${(reading.heapUsed / 2 ** 20).toFixed(1)} MiB used ` +
          `of ${(reading.heapTotal / 2 ** 20).toFixed(1)} MiB (new space ${(reading.newSpace / 2 ** 20).toFixed(1)} MiB), external ${(reading.external / 2 ** 20).toFixed(1)} MiB`,
      );
    };
    await read();
    fleet = ClientFleet.start(root, f.clients);
    for (let step = 1; step <= f.steps; step += 1) {
      const target = Math.round((f.connections * step) / f.steps);
      const opened = await fleet.open(server, {
        connections: target - result.opened - result.failed,
        channel: CHANNEL,
        localAddresses: addresses,
        concurrency: f.concurrency,
        timeoutMs: 60_000,
      });
      result.opened += opened.opened;
      result.failed += opened.failed;
      result.connectS += opened.ms / 1000;
      if (opened.firstError !== undefined) result.firstError ??= opened.firstError;
      if (opened.failed > 0) log(`  ${opened.failed} connections failed: ${opened.firstError}`);
      await sleep(f['settle-seconds'] * 1000);
      await read();
    }
    const stats = await fleet.stats();
    result.open = stats.open;
    result.lost = stats.lost;
    log(
      `  ${result.opened} connections opened in ${result.connectS.toFixed(1)} s: ${kibPerConnection(result).toFixed(2)} KiB each ` +
        `(from none ${averageKibPerConnection(result).toFixed(2)}); ${stats.open} open, ${stats.lost} lost` +
        (stats.firstLost !== undefined ? ` (${stats.firstLost})` : ''),
    );
    if (result.opened === 0) throw new Error(`no connection could be opened: ${result.firstError}`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${result.error}`);
  } finally {
    await fleet?.close();
    await server?.child.stop();
  }
  return result;
}

function ephemeralPorts(): number {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return (high ?? 0) - (low ?? 0) + 1;
  } catch {
    return 28_232; // Linux's default range 32768–60999
  }
}

log(
  `Idle connections: ${f.connections} per server from ${f.clients} processes and ${addresses.length} addresses; servers ${flags.servers.join(', ')}`,
);
log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadStart.toFixed(2)}`);
if (flags.servers.includes('lo') && !hasLoGateway(root))
  log('note: packages/server/src/realtime/gateway.ts is missing: the Lo row will likely fail');
const servers: IdleResult[] = [];
for (const kind of flags.servers) servers.push(await benchServer(kind));
machine.loadEnd = currentLoad();

const results: IdleResults = {
  code: codeVersion(root, ['packages/server/src', 'packages/protocol/src']),
  command: commandLine('bench:idle', flags.given),
  machine,
  software: `ws ${packageVersion(root, 'ws')}, socket.io ${packageVersion(root, 'socket.io')} (client ${packageVersion(root, 'socket.io-client')})`,
  settings: {
    connections: f.connections,
    clientProcesses: f.clients,
    addresses,
    settleSeconds: f['settle-seconds'],
    steps: f.steps,
    serverFlags: SERVER_FLAGS,
    users: f.users,
    fdLimit: execSync('ulimit -n', { encoding: 'utf8', shell: '/bin/sh' }).trim(),
    ephemeralPorts: ephemeralPorts(),
  },
  servers,
};
const resultsFile = path.join(root, 'bench/results.md');
if (!flags.dryRun) writeGeneratedSection(resultsFile, IDLE_TITLE, 'idle', renderIdle(results));

log('\nsummary (server RSS KiB per idle connection):');
for (const s of servers) {
  const figures = `${kibPerConnection(s).toFixed(2)} (from none ${averageKibPerConnection(s).toFixed(2)})`;
  log(`  ${SERVER_NAMES[s.kind].padEnd(10)} ${s.error === undefined ? figures : `not measured: ${s.error}`}`);
}
const missed = idleShortfalls(results);
log(missed.length === 0 ? 'every target met' : `shortfalls:\n  ${missed.join('\n  ')}`);
log(flags.dryRun ? 'dry run: results not written' : `wrote ${path.relative(root, resultsFile)}`);
process.exit(0);
