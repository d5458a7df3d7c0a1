/** The "Live geo fan-out" section of bench/results.md, written by bench/geo.ts. */
import type { PostRun } from './geo-publisher.js';
import type { Machine } from './machine.js';

export const GEO_TITLE = '## Live geo fan-out';

/** DESIGN / issue 4 target: delivery p99 at most this, in ms. */
const P99_TARGET_MS = 50;

export interface GeoResults {
  code: string;
  command: string;
  machine: Machine;
  settings: Record<string, number>;
  connectS?: number;
  run?: {
    posts: PostRun;
    delivered: number;
    wallS: number;
    serverCpuUs: number;
    latencyMs: { p50: number; p90: number; p99: number; max: number };
  };
  error?: string;
}

const n = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function renderGeo(r: GeoResults): string {
  const m = r.machine;
  const s = r.settings;
  const lines = [
    `Run ${m.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ${n(m.ramGiB, 0)} GiB, Node ${m.node}; load ${n(m.loadStart)} → ${n(m.loadEnd ?? NaN)}; code ${r.code}.`,
    '',
    `Command: \`${r.command}\``,
    '',
    `${s.subscribers} connections, each with a \`geo.sub\` of radius ${s.radius} m at a uniform point of a ${s['city-km']} km disc ` +
      `(Berlin); geo posts over HTTP at ${s.rate}/s for ${s.seconds} s (after ${s['warmup-seconds']} s of warm-up) at uniform points ` +
      `of the same disc, radius ${s.radius} m, from ${s.authors} users; server, ${s.clients} client processes and the publisher on this machine. ` +
      'Latency: from the publisher sending the post to a subscriber reading the `geo.msg` (one clock, loopback).',
    '',
  ];
  if (r.run === undefined) return [...lines, `Not measured: ${r.error ?? 'unknown error'}`].join('\n');
  const run = r.run;
  const perDelivery = run.serverCpuUs / Math.max(run.delivered, 1);
  lines.push(
    '| posts acked / sent | deliveries | per post | deliveries/s | p50 | p90 | p99 | max | server CPU per delivery | HTTP post p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${run.posts.acked} / ${run.posts.sent} | ${run.delivered} | ${n(run.delivered / Math.max(run.posts.acked, 1), 1)} | ` +
      `${Math.round(run.delivered / Math.max(run.wallS, 0.001))} | ${n(run.latencyMs.p50)} ms | ${n(run.latencyMs.p90)} ms | ` +
      `${n(run.latencyMs.p99)} ms | ${n(run.latencyMs.max)} ms | ${n(perDelivery)} µs | ${n(run.posts.latencyMs.p50)} / ${n(run.posts.latencyMs.p99)} ms |`,
    '',
    run.latencyMs.p99 <= P99_TARGET_MS
      ? `Target delivery p99 ≤ ${P99_TARGET_MS} ms: met.`
      : `Target delivery p99 ≤ ${P99_TARGET_MS} ms: **missed** (${n(run.latencyMs.p99)} ms).`,
  );
  if (run.posts.failed > 0) lines.push('', `${run.posts.failed} posts failed: ${run.posts.firstError ?? ''}`);
  return lines.join('\n');
}
