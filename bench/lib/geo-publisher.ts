/**
 * The geo benchmark's publisher: geo posts over HTTP (`POST /api/messages`) on a fixed schedule (open
 * model: a post is sent at its time whether or not earlier ones were answered), from several users in
 * turn. Each post's content is `{"t": <send time, ms>}`, from which subscribers compute latency.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LogHistogram } from './histogram.js';
import { epochMs } from './rt-client.js';

/** Posts still unanswered beyond this are not sent (counted as failed): the run stays bounded. */
const MAX_OUTSTANDING = 5_000;
const ACK_GRACE_MS = 30_000;

export interface PostRun {
  sent: number;
  acked: number;
  failed: number;
  firstError?: string;
  /** HTTP round trip of the acknowledged posts. */
  latencyMs: { p50: number; p99: number };
}

export async function postSteady(
  base: string,
  tokens: string[],
  points: Array<[number, number]>,
  rate: number,
  radius: number,
): Promise<PostRun> {
  const run: PostRun = { sent: 0, acked: 0, failed: 0, latencyMs: { p50: NaN, p99: NaN } };
  const http = new LogHistogram();
  const start = performance.now();
  let outstanding = 0;
  const answers: Array<Promise<void>> = [];
  const fail = (error: string): void => {
    run.failed += 1;
    run.firstError ??= error;
  };
  for (const [i, [lat, lng]] of points.entries()) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    run.sent += 1;
    if (outstanding >= MAX_OUTSTANDING) {
      fail(`over ${MAX_OUTSTANDING} posts unanswered`);
      continue;
    }
    outstanding += 1;
    const sentAt = performance.now();
    const body = JSON.stringify({ content: JSON.stringify({ t: epochMs() }), lat, lng, radius });
    answers.push(
      fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length] ?? ''}` },
        body,
        signal: AbortSignal.timeout(ACK_GRACE_MS),
      })
        .then(async (res) => {
          const text = await res.text();
          if (res.status === 201) {
            run.acked += 1;
            http.record((performance.now() - sentAt) * 1000);
          } else fail(`${res.status} ${text.slice(0, 200)}`);
        })
        .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
        .finally(() => void (outstanding -= 1)),
    );
  }
  await Promise.allSettled(answers);
  run.latencyMs = { p50: http.percentile(50) / 1000, p99: http.percentile(99) / 1000 };
  return run;
}
