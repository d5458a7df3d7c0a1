import { decodeTime, monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/**
 * A new time-sortable id (ULID: 48-bit millisecond time + 80 random bits, Crockford base32).
 * Monotonic within this process, so ids made in the same millisecond still sort in creation order.
 */
export function newId(now: number = Date.now()): string {
  return nextUlid(now);
}

/** The creation time (ms) a time-sortable id carries, or null when `id` is not one. */
export function idTime(id: string): number | null {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/i.test(id)) return null;
  try {
    return decodeTime(id.toUpperCase());
  } catch {
    return null;
  }
}
