/** What fault tests watch: readiness answers, and that the process never met an unhandled error. */
import { rawRequest } from './http.js';

/** Polls `GET /api/health/ready` until it answers `status`; resolves with how long that took (ms). */
export async function readinessBecomes(url: string, status: 200 | 503, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const answer = await rawRequest(url, '/api/health/ready').then(
      (res) => res.status,
      () => 0,
    );
    if (answer === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} readiness still ${answer}, not ${status}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Records unhandled rejections and uncaught exceptions while it listens (the nodes run in this process,
 * so either would be a node crashing). `stop` returns what it saw.
 */
export function watchProcess(): { stop(): unknown[] } {
  const seen: unknown[] = [];
  const record = (err: unknown) => seen.push(err);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    stop() {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
      return seen;
    },
  };
}

/** Resolves when `check` resolves true; throws naming `what` after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
