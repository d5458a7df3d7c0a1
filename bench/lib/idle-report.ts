/** The "Idle connections" section of bench/results.md: memory per idle connection, from bench/idle.ts. */
import type { Machine } from './machine.js';
import { SERVER_NAMES, type ServerKind } from './rt-client.js';
import { fmt, machineLines, verdict } from './section.js';

export const IDLE_TITLE = '## Idle connections';
export const IDLE_TARGETS = { loShareOfWs: 1.2, connectionsPerNode: 100_000 } as const;
const EARLIER = { ws: 7, socketio: 16 } as const;

/** The server's memory after forced GCs, with `connections` open. */
export interface MemoryReading {
  connections: number;
  rssKiB: number;
  heapUsed: number;
  heapTotal: number;
  /** V8's young generation, committed bytes (part of heapTotal). */
  newSpace: number;
  /** Memory of C++ objects bound to JS objects (Buffers and the like), bytes. */
  external: number;
}

export interface IdleResult {
  kind: ServerKind;
  requested: number;
  opened: number;
  failed: number;
  firstError?: string;
  connectS: number;
  /** First with no connection open, then one per step. */
  readings: MemoryReading[];
  /** Connections still open at the end, and lost while idle. */
  open: number;
  lost: number;
  error?: string;
}

export interface IdleSettings {
  connections: number;
  clientProcesses: number;
  addresses: string[];
  settleSeconds: number;
  steps: number;
  /** Node flags every server ran with (besides --expose-gc). */
  serverFlags: string[];
  users: number;
  fdLimit: string;
  /** Ephemeral ports per source address (ip_local_port_range). */
  ephemeralPorts: number;
}

export interface IdleResults {
  /** The Lo code measured (codeVersion). */
  code: string;
  command: string;
  machine: Machine;
  software: string;
  settings: IdleSettings;
  servers: IdleResult[];
}

const measured = (r: IdleResult | undefined): r is IdleResult => r !== undefined && r.error === undefined;

/** Least-squares slope of `key` against the connection count (KiB per connection). */
function fit(readings: readonly MemoryReading[], key: 'rssKiB' | 'heapUsed'): number {
  if (readings.length < 2) return NaN;
  const ys = readings.map((x) => (key === 'heapUsed' ? x.heapUsed / 1024 : x.rssKiB));
  const mx = readings.reduce((sum, x) => sum + x.connections, 0) / readings.length;
  const my = ys.reduce((sum, y) => sum + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  readings.forEach((x, i) => {
    num += (x.connections - mx) * ((ys[i] ?? NaN) - my);
    den += (x.connections - mx) ** 2;
  });
  return den === 0 ? NaN : num / den;
}

/** The readings the headline is fitted on: those with connections open (all of them when there is only one step). */
function withConnections(r: IdleResult): MemoryReading[] {
  const open = r.readings.filter((x) => x.connections > 0);
  return open.length >= 2 ? open : r.readings;
}

/**
 * The headline: RSS per connection as the slope over the readings with connections open. Leaving out
 * the reading with none leaves out the free space a server starts with in its heap and allocator, which
 * the first connections fill without new pages (Lo starts with ~8 MiB of it).
 */
export const kibPerConnection = (r: IdleResult | undefined): number => (measured(r) ? fit(withConnections(r), 'rssKiB') : NaN);
/** RSS growth per connection from no connection to all of them (a cross-check). */
export const averageKibPerConnection = (r: IdleResult | undefined): number =>
  measured(r)
    ? fit(
        [r.readings[0], r.readings.at(-1)].filter((x) => x !== undefined),
        'rssKiB',
      )
    : NaN;
const heapKib = (r: IdleResult): number => fit(withConnections(r), 'heapUsed');

function row(r: IdleResult): string {
  if (r.error !== undefined) return `| ${SERVER_NAMES[r.kind]} | not measured: ${r.error} | | | | | | |`;
  const mib = (bytes: number): string => fmt(bytes / 2 ** 20, 1);
  const opened = `${r.opened.toLocaleString('en-US')}${r.failed > 0 ? ` (${r.failed} failed: ${r.firstError})` : ''}`;
  const rss = r.readings.map((x) => fmt(x.rssKiB / 1024, 0)).join(' → ');
  const first = r.readings[0];
  const last = r.readings.at(-1);
  const young = first === undefined || last === undefined ? 'n/a' : `${mib(first.newSpace)} → ${mib(last.newSpace)}`;
  return (
    `| ${SERVER_NAMES[r.kind]} | ${opened} in ${fmt(r.connectS, 1)} s | ${rss} | ${young} | **${fmt(kibPerConnection(r))}** | ` +
    `${fmt(averageKibPerConnection(r))} | ${fmt(heapKib(r))} | ${r.open.toLocaleString('en-US')} (${r.lost} lost) |`
  );
}

const find = (r: IdleResults, kind: ServerKind): IdleResult | undefined => r.servers.find((s) => s.kind === kind);

export function idleShortfalls(r: IdleResults): string[] {
  const lo = find(r, 'lo');
  if (lo === undefined) return ['Lo was not part of this run (--servers).'];
  if (lo.error !== undefined) return [`Lo not measured: ${lo.error}`];
  const out: string[] = [];
  const ratio = kibPerConnection(lo) / kibPerConnection(find(r, 'ws'));
  if (!(ratio <= IDLE_TARGETS.loShareOfWs))
    out.push(
      `Lo holds ${fmt(kibPerConnection(lo))} KiB of RSS per idle connection = ${fmt(ratio)} × bare ws, target ≤ ${IDLE_TARGETS.loShareOfWs} ×.`,
    );
  for (const s of r.servers) {
    if (s.error === undefined && (s.failed > 0 || s.lost > 0))
      out.push(`${SERVER_NAMES[s.kind]}: ${s.failed} connections failed and ${s.lost} were lost of ${s.requested}.`);
  }
  out.push(
    `${IDLE_TARGETS.connectionsPerNode.toLocaleString('en-US')} connections on one node: not shown (${r.settings.fdLimit} open files per process on these machines); the estimate above says what it would need.`,
  );
  return out;
}

/** Free V8 heap (total − used) of each server before any connection. */
function slackText(r: IdleResults): string {
  return r.servers
    .filter(measured)
    .map((x) => `${SERVER_NAMES[x.kind]} ${fmt(((x.readings[0]?.heapTotal ?? NaN) - (x.readings[0]?.heapUsed ?? NaN)) / 2 ** 20, 1)} MiB`)
    .join(', ');
}

export function renderIdle(r: IdleResults): string {
  const s = r.settings;
  const ws = find(r, 'ws');
  const sio = find(r, 'socketio');
  const lo = find(r, 'lo');
  const m = kibPerConnection;
  const avg = averageKibPerConnection;
  const loRatio = m(lo) / m(ws);
  const loBase = lo?.error === undefined ? (lo?.readings[0]?.rssKiB ?? NaN) : NaN;
  const estimate = (loBase + m(lo) * IDLE_TARGETS.connectionsPerNode) / 1024 / 1024;
  const missed = idleShortfalls(r);
  const n = IDLE_TARGETS.connectionsPerNode.toLocaleString('en-US');
  return [
    `Taken ${r.machine.date} by \`bench/idle.ts\`. Command:`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    ...machineLines(r.machine, r.software),
    `Lo code: ${r.code}.`,
    `Open files per process: ${s.fdLimit} (\`ulimit -n\`).`,
    '',
    '### Method',
    '',
    `- Each server runs alone in its own Node process started with \`--expose-gc\`. Its RSS (\`VmRSS\` of \`/proc/<pid>/status\`) is read after two forced full GCs and a second of rest (repeated until two readings are within 256 KiB): once with no connection, then after each of ${s.steps} equal steps of opening connections, each followed by ${s.settleSeconds} s idle.`,
    `- Before the first reading 50 connections were opened, used for one publish and closed, and the server rested ${s.settleSeconds} s, so that code first loaded on a connection is not counted. Every server runs under the same TypeScript loader (tsx, whose loader thread accounts for much of the RSS at rest).`,
    `- ${s.connections.toLocaleString('en-US')} connections from ${s.clientProcesses} client processes and source addresses ${s.addresses.join(', ')}, each authenticated (${s.users} users' tokens shared round-robin) and subscribed to one channel, then idle.`,
    '- Bare ws: `new WebSocketServer({perMessageDeflate: false})`, the token checked in an `auth` frame (HMAC), a `Set` per channel. Socket.IO: token in the handshake `auth`, `socket.join(room)`, websocket transport only. Lo: `lo serve` from the sources, JWT access token in the `auth` frame, `sub` to `public:bench` (presence off for `public:` in this run, as the baselines have none).',
    `- Every server runs with \`${s.serverFlags.join(' ')}\`: V8 grows its young generation (up to 32 MiB) under any burst of allocation, such as opening connections, and shrinks it when it likes, whatever the number of connections; uncapped, it moved readings by ±30 MiB (3 KiB per connection at 10,000). The figure is the least-squares slope of RSS against connections over the readings with connections open: it leaves out the free space a server starts with in its heap and allocator, which the first connections fill without new pages (V8 heap free at the first reading: ${slackText(r)}). The plain growth from no connection to all, per connection, is a cross-check.`,
    '',
    '### Results',
    '',
    '| server | connections | RSS MiB at each reading | young generation MiB | **RSS KiB / connection** (slope) | RSS KiB / connection from none | V8 heap used KiB / connection (slope) | open at the end |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.servers.map(row),
    '',
    '| RSS per idle connection | Lo | bare ws | Socket.IO | measured earlier on this kind of machine | target (DESIGN §10) | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| KiB | ${fmt(m(lo))} | ${fmt(m(ws))} | ${fmt(m(sio))} | ws ~${EARLIER.ws}, Socket.IO ~${EARLIER.socketio} | | |`,
    `| ratio to bare ws | ${fmt(loRatio)} | 1 | ${fmt(m(sio) / m(ws))} | Socket.IO ~${fmt(EARLIER.socketio / EARLIER.ws)} | Lo ≤ ${IDLE_TARGETS.loShareOfWs} | ${lo === undefined || lo.error !== undefined ? 'not measured' : verdict(loRatio <= IDLE_TARGETS.loShareOfWs)} |`,
    `| ratio to bare ws, growth from no connection | ${fmt(avg(lo) / avg(ws))} | 1 | ${fmt(avg(sio) / avg(ws))} | | context | |`,
    `| V8 heap used per connection, KiB (slope) | ${fmt(measured(lo) ? heapKib(lo) : NaN)} | ${fmt(measured(ws) ? heapKib(ws) : NaN)} | ${fmt(measured(sio) ? heapKib(sio) : NaN)} | | context | |`,
    '',
    `What ${n} connections on one Lo node would need, from these figures: ` +
      (Number.isFinite(estimate)
        ? `about ${fmt(estimate, 1)} GiB of RSS (${fmt(loBase / 1024, 0)} MiB at rest + ${fmt(m(lo))} KiB × ${n}), `
        : 'an RSS that this run could not estimate (Lo not measured), ') +
      `an open-file limit above ${n} (one descriptor per socket; these machines allow ${s.fdLimit} per process), ` +
      `and for a loopback test at least ${Math.ceil(IDLE_TARGETS.connectionsPerNode / s.ephemeralPorts)} source addresses (${s.ephemeralPorts.toLocaleString('en-US')} ephemeral ports per source address and server port here).`,
    '',
    '### Shortfalls',
    '',
    ...(missed.length === 0 ? ['None: every target above was met in this run.'] : missed.map((x) => `- ${x}`)),
  ].join('\n');
}
