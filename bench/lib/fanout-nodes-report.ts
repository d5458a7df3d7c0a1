/** The "Fan-out across nodes" section of bench/results.md, written by bench/fanout-nodes.ts. */
import type { ClusterPhase, ClusterSpec, NodeShare } from './lo-cluster.js';
import type { Machine } from './machine.js';
import { fmt, machineLines } from './section.js';

export const FANOUT_NODES_TITLE = '## Fan-out across nodes';

export interface ClusterResult {
  spec: ClusterSpec;
  subscribers: number;
  connectS: number;
  /** Each node's CPU at rest (subscribers connected, no traffic), ms per second. */
  restCpuMsPerS: number[];
  drain?: ClusterPhase;
  steady?: ClusterPhase;
  error?: string;
}

export interface FanoutNodesResults {
  code: string;
  command: string;
  machine: Machine;
  software: string;
  database: string;
  settings: {
    subscribers: number;
    clientProcesses: number;
    window: number;
    drainSeconds: number;
    warmupSeconds: number;
    rate: number;
    seconds: number;
    lagLimit: number;
    /** Publishing connections on node A (users of their own), taking the publishes in turn. */
    publishers: number;
    restSeconds: number;
  };
  clusters: ClusterResult[];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const totalCpuUs = (p: ClusterPhase): number => p.nodes.reduce((sum, n) => sum + n.cpuUs, 0);
/** Server CPU (all nodes) per delivery, µs. */
export const clusterPerDelivery = (p: ClusterPhase | undefined): number =>
  p === undefined || p.delivered === 0 ? NaN : totalCpuUs(p) / p.delivered;
const nodePerDelivery = (n: NodeShare): number => (n.delivered === 0 ? NaN : n.cpuUs / n.delivered);

function phaseRow(c: ClusterResult, phase: string, p: ClusterPhase | undefined): string {
  if (p === undefined) return `| ${c.spec.name} | ${phase} | not measured: ${c.error ?? 'no result'} | | | | | | | |`;
  const share = p.expected === 0 ? NaN : (100 * p.delivered) / p.expected;
  const broker = c.spec.broker === 'redis' ? `${fmt(p.brokerCpuUs / Math.max(p.run.acked, 1))} µs/message` : '–';
  return (
    `| ${c.spec.name} | ${phase} | ${count(p.run.acked)} | ${count(p.delivered)} (${fmt(share, 1)} %) | ${count(p.delivered / p.wallS)} | ` +
    `${fmt(totalCpuUs(p) / 1e6)} s | **${fmt(clusterPerDelivery(p))}** | ${fmt(p.latencyMs.p50)} | ${fmt(p.latencyMs.p99)} | ${broker} |`
  );
}

function nodeRows(c: ClusterResult, phase: string, p: ClusterPhase | undefined): string[] {
  if (p === undefined) return [];
  return p.nodes.map(
    (n) =>
      `| ${c.spec.name} | ${phase} | ${n.node}${n.node === 'A' ? ' (publisher)' : ''} | ${count(n.subscribers)} | ${count(n.delivered)} | ` +
      `${fmt(n.cpuUs / 1e6)} s (${fmt((100 * n.cpuUs) / 1e6 / p.wallS, 0)} % of a core) | **${fmt(nodePerDelivery(n))}** | ${fmt(n.latencyMs.p50)} | ${fmt(n.latencyMs.p99)} |`,
  );
}

export function fanoutNodesShortfalls(r: FanoutNodesResults): string[] {
  const out: string[] = [];
  for (const c of r.clusters) {
    if (c.error !== undefined) out.push(`${c.spec.name}: not measured: ${c.error}`);
    for (const [phase, p] of [
      ['drain', c.drain],
      ['steady', c.steady],
    ] as const) {
      if (p !== undefined && p.delivered < p.expected)
        out.push(`${c.spec.name}, ${phase}: ${count(p.expected - p.delivered)} of ${count(p.expected)} deliveries never arrived.`);
      if (p !== undefined && p.run.failed > 0)
        out.push(`${c.spec.name}, ${phase}: ${p.run.failed} publishes failed (${p.run.firstError}).`);
    }
  }
  return out;
}

export function renderFanoutNodes(r: FanoutNodesResults): string {
  const s = r.settings;
  const missed = fanoutNodesShortfalls(r);
  const steady = `(b) steady ${s.rate}/s`;
  return [
    `Taken ${r.machine.date} by \`bench/fanout-nodes.ts\`. Command:`,
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
    `- Each configuration starts its own \`lo serve\` processes from the sources (one per node), all on one database (${r.database}) with the same \`LO_JWT_SECRET\`; \`LO_BROKER_URL\` is \`memory\` (the default: one node) or Redis. Everything runs on this one machine: nodes, Redis, PostgreSQL, clients and publisher share its cores.`,
    `- ${count(s.subscribers)} subscribers of one \`public:\` channel (ephemeral: no database write per message), over ${s.clientProcesses} client processes; with two nodes, client process i connects to node i mod 2, so each node holds half. ${s.publishers === 1 ? 'The publisher (not subscribed) is connected' : `${s.publishers} publishers (not subscribed, each its own user, taking the publishes in turn) are connected`} to node A in the benchmark's own process. Same subscriber count in every configuration.`,
    `- The phases of the single-node fan-out benchmark: (a) drain: ${s.warmupSeconds} s warm-up, then ${s.drainSeconds} s with ${s.window} publishes awaiting acknowledgement, held back while subscribers are more than ${s.lagLimit} messages behind; (b) steady: ${s.rate} messages/s for ${s.seconds} s.`,
    '- Server CPU: utime + stime of each node process from `/proc`, over the phase. Per node, CPU per delivery = its CPU / the deliveries to its own subscribers (node A also takes the publishes and, with Redis, sends each to Redis once). Redis CPU (all `redis-server` processes) is shown per message published.',
    "- Latency: arrival in a client minus the publisher's send time (same clock), split by the node the subscriber is connected to.",
    '',
    '### Results',
    '',
    '| configuration | phase | messages | deliveries (of expected) | deliveries/s | server CPU (all nodes) | CPU µs / delivery | latency p50 ms | p99 ms | Redis CPU |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.clusters.flatMap((c) => [phaseRow(c, '(a) drain', c.drain), phaseRow(c, steady, c.steady)]),
    '',
    'Per node:',
    '',
    '| configuration | phase | node | subscribers | deliveries | node CPU | CPU µs / delivery to its subscribers | latency p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.clusters.flatMap((c) => [...nodeRows(c, '(a) drain', c.drain), ...nodeRows(c, steady, c.steady)]),
    '',
    `Node CPU at rest (subscribers connected, no messages, ${s.restSeconds} s): ` +
      r.clusters.map((c) => `${c.spec.name} ${c.restCpuMsPerS.map((x) => `${fmt(x, 1)} ms/s`).join(' + ')}`).join('; ') +
      '.',
    '',
    '### Shortfalls',
    '',
    'No target in DESIGN §10 is specific to several nodes; listed here are deliveries lost and publishes refused.',
    '',
    ...(missed.length === 0 ? ['None: every delivery arrived, on every node.'] : missed.map((m) => `- ${m}`)),
  ].join('\n');
}
