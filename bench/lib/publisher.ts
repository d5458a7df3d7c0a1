/**
 * The two ways the fan-out benchmark publishes: as fast as the server acknowledges (a window of
 * outstanding publishes), and at a steady rate. Each message's data carries its sequence number and the
 * wall-clock time it was sent (`t`, ms), from which the clients compute delivery latency.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs, type Connection } from './rt-client.js';

/** How long to wait for acknowledgements still outstanding when a phase ends. */
const ACK_GRACE_MS = 30_000;

export interface PublishRun {
  sent: number;
  acked: number;
  failed: number;
  firstError?: string;
  /** Time the windowed publisher held back because subscribers were too far behind (see `lagLimit`). */
  pausedMs: number;
}

export function payload(seq: number): { seq: number; t: number; text: string } {
  return { seq, t: epochMs(), text: 'fan-out benchmark message' };
}

export interface WindowOptions {
  window: number;
  seconds: number;
  /**
   * Most messages the publisher may be ahead of the subscribers (published minus delivered per
   * subscriber). It bounds what piles up in the server's socket buffers when the clients, not the
   * server, are the bottleneck; `subscriberProgress` is polled from the client processes.
   */
  lagLimit: number;
  subscriberProgress: () => number;
}

/** One publisher made of several connections, each taking the next publish in turn. */
export function roundRobin(connections: Connection[]): Connection {
  let next = 0;
  return {
    publish: (channel, data) => connections[next++ % connections.length]!.publish(channel, data),
    close: () => connections.forEach((connection) => connection.close()),
  };
}

/** Keeps `window` publishes outstanding for `seconds`, then waits for the last acknowledgements. */
export function publishWindowed(publisher: Connection, channel: string, options: WindowOptions): Promise<PublishRun> {
  return new Promise((resolve) => {
    const run: PublishRun = { sent: 0, acked: 0, failed: 0, pausedMs: 0 };
    const end = performance.now() + options.seconds * 1000;
    let inflight = 0;
    let pausedSince: number | null = null;
    let done = false;
    const finish = (force = false): void => {
      if (done || (!force && (performance.now() < end || inflight > 0))) return;
      done = true;
      clearInterval(timer);
      clearTimeout(grace);
      if (pausedSince !== null) run.pausedMs += Math.min(end, performance.now()) - pausedSince;
      resolve(run);
    };
    const pump = (): void => {
      while (!done && inflight < options.window && performance.now() < end) {
        const now = performance.now();
        if (run.sent - options.subscriberProgress() >= options.lagLimit) {
          pausedSince ??= now;
          break;
        }
        if (pausedSince !== null) {
          run.pausedMs += now - pausedSince;
          pausedSince = null;
        }
        inflight += 1;
        run.sent += 1;
        publisher
          .publish(channel, payload(run.sent))
          .then(
            () => void (run.acked += 1),
            (error: unknown) => {
              run.failed += 1;
              run.firstError ??= error instanceof Error ? error.message : String(error);
            },
          )
          .finally(() => {
            inflight -= 1;
            pump();
          });
      }
      finish();
    };
    const timer = setInterval(pump, 10);
    const grace = setTimeout(() => finish(true), options.seconds * 1000 + ACK_GRACE_MS);
    pump();
  });
}

/** Publishes `rate` messages a second for `seconds` (on a fixed schedule), then waits for the acknowledgements. */
export async function publishSteady(publisher: Connection, channel: string, rate: number, seconds: number): Promise<PublishRun> {
  const run: PublishRun = { sent: 0, acked: 0, failed: 0, pausedMs: 0 };
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const acks: Array<Promise<void>> = [];
  for (let i = 0; i < total; i += 1) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    run.sent += 1;
    acks.push(
      publisher.publish(channel, payload(run.sent)).then(
        () => void (run.acked += 1),
        (error: unknown) => {
          run.failed += 1;
          run.firstError ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.race([Promise.allSettled(acks), sleep(ACK_GRACE_MS)]);
  return run;
}
