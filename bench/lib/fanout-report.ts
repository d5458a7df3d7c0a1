/** The "Fan-out" section of bench/results.md: figures, ratios, targets and shortfalls of bench/fanout.ts. */
import type { Machine } from './machine.js';
import type { PublishRun } from './publisher.js';
import { SERVER_NAMES, type ServerKind } from './rt-client.js';
import { fmt, machineLines, verdict } from './section.js';

export const FANOUT_TITLE = '## Fan-out';

/** DESIGN section 10, and the figures it quotes from earlier measurements on this kind of machine. */
export const FANOUT_TARGETS = { loDrainUs: 1, loSteadyShareOfWs: 0.5 } as const;
const EARLIER = { drain: { ws: 8.3, socketio: 7.6 }, steady: { ws: 11.2, socketio: 16.7 } } as const;

export interface PhaseResult {
  run: PublishRun;
  delivered: number;
  /** Acknowledged publishes × subscribers. */
  expected: number;
  /** From just before the first publish to the last delivery counted. */
  wallS: number;
  serverCpuUs: number;
  clientCpuUs: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface ServerResult {
  kind: ServerKind;
  subscribers: number;
  connectS: number;
  /** Server CPU with the subscribers connected and no traffic, in ms per second. */
  restCpuMsPerS: number;
  drain?: PhaseResult;
  steady?: PhaseResult;
  error?: string;
}

export interface FanoutSettings {
  subscribers: number;
  clientProcesses: number;
  window: number;
  drainSeconds: number;
  warmupSeconds: number;
  restSeconds: number;
  rate: number;
  seconds: number;
  lagLimit: number;
  dataBytes: number;
}

export interface FanoutResults {
  /** The Lo code measured (codeVersion). */
  code: string;
  command: string;
  machine: Machine;
  software: string;
  settings: FanoutSettings;
  servers: ServerResult[];
  loGateway: boolean;
}

export const perDelivery = (p: PhaseResult | undefined): number =>
  p === undefined || p.delivered === 0 ? NaN : p.serverCpuUs / p.delivered;

function phaseRow(name: string, phase: string, p: PhaseResult | undefined, error?: string): string {
  if (p === undefined) return `| ${name} | ${phase} | not measured: ${error ?? 'no result'} | | | | | | | |`;
  const share = p.expected === 0 ? NaN : (100 * p.delivered) / p.expected;
  const load = (100 * p.serverCpuUs) / 1e6 / p.wallS;
  const held = p.run.pausedMs > 0 ? `${fmt(p.run.pausedMs / 1000, 1)} s` : '0';
  return (
    `| ${name} | ${phase} | ${p.run.acked.toLocaleString('en-US')} | ${p.delivered.toLocaleString('en-US')} (${fmt(share, 1)} %) | ` +
    `${Math.round(p.delivered / p.wallS).toLocaleString('en-US')} | ${fmt(p.serverCpuUs / 1e6)} s (${fmt(load, 0)} % of a core) | ` +
    `**${fmt(perDelivery(p))}** | ${fmt(p.latencyMs.p50)} | ${fmt(p.latencyMs.p99)} | ${held} |`
  );
}

/** Servers whose steady phase ended well after its schedule: the rate was more than they (or the clients) could take. */
function behindNote(r: FanoutResults): string[] {
  const behind = r.servers.filter((x) => x.steady !== undefined && x.steady.wallS > r.settings.seconds + 0.5);
  if (behind.length === 0) return [];
  const list = behind.map(
    (x) => `${SERVER_NAMES[x.kind]} (last delivery ${fmt((x.steady?.wallS ?? NaN) - r.settings.seconds, 1)} s after the schedule's end)`,
  );
  return [
    `Fell behind in (b): ${list.join(', ')}. For these, ${r.settings.rate} messages/s × ${r.settings.subscribers.toLocaleString('en-US')} subscribers was more than this machine (server and clients together) could deliver, so (b) measured a saturated server, not a steady one; latency shows the queue.`,
    '',
  ];
}

function find(r: FanoutResults, kind: ServerKind): ServerResult | undefined {
  return r.servers.find((s) => s.kind === kind);
}

export function fanoutShortfalls(r: FanoutResults): string[] {
  const out: string[] = [];
  const lo = find(r, 'lo');
  const ws = find(r, 'ws');
  if (lo === undefined) return ['Lo was not part of this run (--servers).'];
  if (lo.error !== undefined) return [`Lo not measured: ${lo.error}`];
  const drain = perDelivery(lo.drain);
  if (!(drain <= FANOUT_TARGETS.loDrainUs))
    out.push(`Drain phase: Lo spent ${fmt(drain)} µs of server CPU per delivery, target ≤ ${FANOUT_TARGETS.loDrainUs} µs.`);
  const steadyRatio = perDelivery(lo.steady) / perDelivery(ws?.steady);
  if (!(steadyRatio <= FANOUT_TARGETS.loSteadyShareOfWs))
    out.push(
      `Steady ${r.settings.rate}/s: Lo ${fmt(perDelivery(lo.steady))} µs per delivery = ${fmt(steadyRatio)} × bare ws ` +
        `(${fmt(perDelivery(ws?.steady))} µs), target ≤ ${FANOUT_TARGETS.loSteadyShareOfWs} ×.`,
    );
  for (const s of r.servers) {
    for (const [phase, p] of [
      ['drain', s.drain],
      ['steady', s.steady],
    ] as const) {
      if (p !== undefined && p.delivered < p.expected)
        out.push(`${SERVER_NAMES[s.kind]}, ${phase}: ${p.expected - p.delivered} of ${p.expected} deliveries never arrived.`);
      if (p !== undefined && p.run.failed > 0)
        out.push(`${SERVER_NAMES[s.kind]}, ${phase}: ${p.run.failed} publishes failed (${p.run.firstError}).`);
    }
  }
  return out;
}

export function renderFanout(r: FanoutResults): string {
  const s = r.settings;
  const ws = find(r, 'ws');
  const sio = find(r, 'socketio');
  const lo = find(r, 'lo');
  const cell = (x: ServerResult | undefined, phase: 'drain' | 'steady'): string =>
    x === undefined ? 'not run' : x.error !== undefined ? 'not measured' : fmt(perDelivery(x[phase]));
  const ratio = (a: ServerResult | undefined, b: ServerResult | undefined, phase: 'drain' | 'steady'): string =>
    fmt(perDelivery(a?.[phase]) / perDelivery(b?.[phase]));
  const loDrain = perDelivery(lo?.drain);
  const loSteadyRatio = perDelivery(lo?.steady) / perDelivery(ws?.steady);
  const missed = fanoutShortfalls(r);
  return [
    `Taken ${r.machine.date} by \`bench/fanout.ts\`. Command:`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    ...machineLines(r.machine, r.software),
    `Lo code: ${r.code}.`,
    '',
    '### Method',
    '',
    `- Each server runs alone in its own Node process; its CPU time is utime + stime of that process (every thread: GC and libuv included) from \`/proc/<pid>/stat\`, read just before the first publish of a phase and again once the clients have counted the last delivery. CPU per delivery = that time / deliveries counted by the clients.`,
    `- ${s.subscribers.toLocaleString('en-US')} subscribers of one channel, spread over ${s.clientProcesses} client processes; one publisher connection (not subscribed) in the benchmark's own process. Every server gets the same frames: Lo's protocol v1 (the bare ws baseline implements its auth/sub/pub subset; \`public:bench\` on Lo is ephemeral, so there is no database write per message), Socket.IO the same frame object through \`io.to(room).emit\`. Message data \`{seq, t, text}\`: ${s.dataBytes} bytes of JSON.`,
    `- Bare ws: \`new WebSocketServer({perMessageDeflate: false})\`, one \`JSON.stringify\` per message, then \`send\` once per subscriber. Socket.IO: rooms, websocket transport only, handshake \`auth.token\`.`,
    `- (a) drain: ${s.warmupSeconds} s of warm-up (not counted), then for ${s.drainSeconds} s the publisher keeps ${s.window} publishes awaiting the server's acknowledgement, and holds back while the subscribers are more than ${s.lagLimit} messages behind (the last column: time held back).`,
    `- (b) steady: ${s.rate} messages/s for ${s.seconds} s on a fixed schedule.`,
    '- Latency: arrival in a client minus the send time the publisher stamped into the message (one clock: same machine). In (a) it is mostly queueing behind the window.',
    '',
    '### Results',
    '',
    '| server | phase | messages | deliveries (of expected) | deliveries/s | server CPU | CPU µs / delivery | latency p50 ms | p99 ms | publisher held back |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.servers.flatMap((x) => [
      phaseRow(SERVER_NAMES[x.kind], '(a) drain', x.drain, x.error),
      phaseRow(SERVER_NAMES[x.kind], `(b) steady ${s.rate}/s`, x.steady, x.error),
    ]),
    '',
    ...behindNote(r),
    `Server CPU at rest (subscribers connected, no messages, ${s.restSeconds} s before the phases): ` +
      r.servers.map((x) => `${SERVER_NAMES[x.kind]} ${fmt(x.restCpuMsPerS, 1)} ms/s`).join(', ') +
      `. The steady phase's figure includes ${s.seconds} s of that.`,
    '',
    '### Against the targets (DESIGN §10)',
    '',
    '| server CPU µs per delivery | Lo | bare ws | Socket.IO | measured earlier on this kind of machine | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| (a) drain | ${cell(lo, 'drain')} | ${cell(ws, 'drain')} | ${cell(sio, 'drain')} | ws ${EARLIER.drain.ws}, Socket.IO ${EARLIER.drain.socketio} | Lo ≤ ${FANOUT_TARGETS.loDrainUs} µs | ${lo?.drain === undefined ? 'not measured' : verdict(loDrain <= FANOUT_TARGETS.loDrainUs)} |`,
    `| (b) steady ${s.rate}/s | ${cell(lo, 'steady')} | ${cell(ws, 'steady')} | ${cell(sio, 'steady')} | ws ${EARLIER.steady.ws}, Socket.IO ${EARLIER.steady.socketio} | Lo ≤ ${FANOUT_TARGETS.loSteadyShareOfWs} × bare ws of this run | ${lo?.steady === undefined ? 'not measured' : verdict(loSteadyRatio <= FANOUT_TARGETS.loSteadyShareOfWs)} |`,
    '',
    `Ratios to bare ws in this run: Lo ${ratio(lo, ws, 'drain')} (drain), ${ratio(lo, ws, 'steady')} (steady); ` +
      `Socket.IO ${ratio(sio, ws, 'drain')} (drain), ${ratio(sio, ws, 'steady')} (steady).`,
    ...(r.loGateway ? [] : ['', 'The Lo gateway (`packages/server/src/realtime/gateway.ts`) was not in this checkout when this ran.']),
    '',
    '### Shortfalls',
    '',
    ...(missed.length === 0 ? ['None: every target above was met in this run.'] : missed.map((m) => `- ${m}`)),
  ].join('\n');
}
