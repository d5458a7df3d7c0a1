import fs from 'node:fs';
import type { Agreement } from './baseline.js';
import type { Machine } from './machine.js';
import type { ReadyRun } from './ready.js';
import type { SeedInfo } from './seed.js';
import { ms, type Summary } from './stats.js';
import type { FeedRun } from './store-feed.js';

export const SECTION_TITLE = '## Local feed on SQLite';

const TARGETS = { feedP95Ms: 5, readyMs: 500, ingestPerS: 20_000, postgisP95Ms: 41 } as const;

export interface FeedResults {
  command: string;
  machine: Machine;
  distribution: string[];
  queries: number;
  httpRequests: number;
  seed: SeedInfo;
  dbMiB: number;
  recent: FeedRun;
  distance: FeedRun;
  http: FeedRun;
  baseline: FeedRun;
  baselinePlan: string[];
  agreement: Agreement;
  /** The first entry is the one `lo` runs and is judged against the target. */
  ready: ReadyRun[];
}

const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');

function latencyRow(name: string, run: FeedRun, target: string, ok: boolean | null): string {
  const s = run.latency;
  const items = `${run.meanItems.toFixed(1)} (${Math.round(run.fullPages * 100)} % full)`;
  return `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(s.max)} | ${items} | ${target} | ${ok === null ? 'context' : verdict(ok)} |`;
}

function readyRow(run: ReadyRun, judged: boolean): string {
  const samples = run.samplesMs.map((x) => x.toFixed(0)).join(', ');
  const figure = run.error === undefined ? `median ${ms(run.medianMs)} ms, max ${ms(run.maxMs)} ms (${samples})` : 'not measured';
  const target = judged ? `≤ ${TARGETS.readyMs} ms (every run)` : 'context';
  const result = run.error !== undefined ? '**not measured**' : judged ? verdict(run.maxMs <= TARGETS.readyMs) : 'context';
  return `| ${run.name} ready on this data dir (spawn → first 200 from /api/health/ready) | ${figure} | ${target} | ${result} |`;
}

function areaRow(name: string, s: Summary): string {
  return `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} | ${s.count} |`;
}

/** Plain statements of every target missed, with the figure beside it. */
export function shortfalls(r: FeedResults): string[] {
  const out: string[] = [];
  const t = TARGETS;
  if (!(r.recent.latency.p95 <= t.feedP95Ms))
    out.push(`Local feed in the store: p95 ${ms(r.recent.latency.p95)} ms, target ≤ ${t.feedP95Ms} ms.`);
  if (!(r.http.latency.p95 <= t.feedP95Ms)) out.push(`Local feed over HTTP: p95 ${ms(r.http.latency.p95)} ms, target ≤ ${t.feedP95Ms} ms.`);
  if (!(r.seed.postsPerS >= t.ingestPerS)) out.push(`Ingest: ${Math.round(r.seed.postsPerS)} posts/s, target ≥ ${t.ingestPerS}/s.`);
  const ready = r.ready[0];
  if (ready === undefined || ready.error !== undefined) out.push(`Ready time not measured: ${ready?.error ?? 'no entry point'}`);
  else if (!(ready.maxMs <= t.readyMs))
    out.push(`${ready.name} ready: median ${ms(ready.medianMs)} ms, max ${ms(ready.maxMs)} ms, target ≤ ${t.readyMs} ms.`);
  if (r.agreement.mismatches > 0)
    out.push(`Lo and the baseline disagreed on ${r.agreement.mismatches} of ${r.agreement.checked} query points.`);
  return out;
}

export function renderSection(r: FeedResults): string {
  const m = r.machine;
  const t = TARGETS;
  const shared = m.loadStart > 0.5 || (m.loadEnd ?? 0) > 0.5;
  const lines = [
    SECTION_TITLE,
    '',
    `Taken ${m.date} by \`bench/feed-sqlite.ts\`. Command:`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB.toFixed(1)} GiB RAM, Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3).`,
    `Load average (1 min) at start ${m.loadStart.toFixed(2)}, at end ${(m.loadEnd ?? NaN).toFixed(2)}` +
      (shared ? ': a shared machine, other work (test runs) was going on, so tails are noisier than on an idle one.' : '.'),
    '',
    '### Data',
    '',
    ...r.distribution.map((line) => `- ${line}`),
    `- Database file ${r.dbMiB.toFixed(0)} MiB (WAL mode, page cache 64 MiB, memory map 1 GiB, as \`lo serve\` opens it; the baseline's connection the same).`,
    '',
    '### Results',
    '',
    `Each latency row: ${r.queries} timed queries (the HTTP row ${r.httpRequests} requests) at the query points, one at a time, after a warm-up.`,
    'The feed is the newest 50 posts within 1 km; the store rows call `store.messages.nearby` with the post-radius rule as `accept`,',
    'the HTTP row is `GET /api/messages/nearby?lat&lng&radius=1000&limit=50` on the real app over one keep-alive connection',
    '(client in the same process; includes auth, the viewer location report, reactions and JSON).',
    '',
    '| measurement | p50 ms | p95 ms | p99 ms | mean ms | max ms | items/query | target (DESIGN §10) | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    latencyRow('Lo local feed, store (sort=recent)', r.recent, `p95 ≤ ${t.feedP95Ms} ms`, r.recent.latency.p95 <= t.feedP95Ms),
    latencyRow('Lo local feed, HTTP end to end', r.http, `p95 ≤ ${t.feedP95Ms} ms`, r.http.latency.p95 <= t.feedP95Ms),
    latencyRow('Lo nearby, store (sort=distance)', r.distance, 'none (feed target for reference)', null),
    latencyRow(
      'Plain SQLite 2-D R*Tree baseline (recent)',
      r.baseline,
      `none; DESIGN's plain PostGIS \`ST_DWithin … ORDER BY created DESC\`: p95 ${t.postgisP95Ms} ms`,
      null,
    ),
    '',
    '| measurement | figure | target (DESIGN §10) | verdict |',
    '| --- | --- | --- | --- |',
    `| ingest (store.messages.importGeo, 10,000 per call) | ${Math.round(r.seed.postsPerS).toLocaleString('en-US')} posts/s; seeding took ${r.seed.totalS.toFixed(1)} s in all${r.seed.reused ? ' (from an earlier run: --reuse)' : ''} | ≥ ${t.ingestPerS.toLocaleString('en-US')}/s (batch commits) | ${verdict(r.seed.postsPerS >= t.ingestPerS)} |`,
    ...r.ready.map((run, i) => readyRow(run, i === 0)),
    '',
    'By area of the query point (store, latency in ms):',
    '',
    '| query | p50 | p95 | p99 | max | n |',
    '| --- | --- | --- | --- | --- | --- |',
    areaRow('recent, city centres', r.recent.byArea.centre),
    areaRow('recent, outskirts', r.recent.byArea.outskirts),
    areaRow('distance, city centres', r.distance.byArea.centre),
    areaRow('distance, outskirts', r.distance.byArea.outskirts),
    areaRow('baseline, city centres', r.baseline.byArea.centre),
    areaRow('baseline, outskirts', r.baseline.byArea.outskirts),
    '',
    `Same answers: at ${r.agreement.checked} query points Lo's recent feed (accept = always, 1 km) and the baseline returned ` +
      (r.agreement.mismatches === 0
        ? 'the same ids in the same order.'
        : `different ids at ${r.agreement.mismatches} points: ${r.agreement.examples.join('; ')}.`),
    '',
    `Baseline query plan (SQLite's choice): ${r.baselinePlan.map((d) => `\`${d}\``).join(', ')}.`,
    '',
    '### Shortfalls',
    '',
    ...(shortfalls(r).length === 0 ? ['None: every target above was met in this run.'] : shortfalls(r).map((s) => `- ${s}`)),
    '',
  ];
  return lines.join('\n');
}

/** Writes the section into results.md, replacing only an earlier version of the same section. */
export function writeSection(file: string, section: string): void {
  const existing = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Lo benchmark results\n\nEach section is written by one benchmark script in `bench/`; rerunning it replaces only its section.\n\n';
  const lines = existing.split('\n');
  const start = lines.findIndex((line) => line.trim() === SECTION_TITLE);
  if (start === -1) {
    fs.writeFileSync(file, existing.replace(/\n*$/, '\n\n') + section);
    return;
  }
  let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  if (end === -1) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  fs.writeFileSync(file, (before === '' ? '' : before.replace(/\n*$/, '\n\n')) + section + (after === '' ? '' : '\n' + after));
}
