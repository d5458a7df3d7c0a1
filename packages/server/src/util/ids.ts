import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/**
 * A new time-sortable id (ULID: 48-bit millisecond time + 80 random bits, Crockford base32).
 * Monotonic within this process, so ids made in the same millisecond still sort in creation order.
 */
export function newId(now: number = Date.now()): string {
  return nextUlid(now);
}
