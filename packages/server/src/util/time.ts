/** Milliseconds since the epoch to the ISO 8601 form used on the wire. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms == null ? null : iso(ms);
}

/** A clock seam: services read time through it so tests and benchmarks can pin it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A time for file names (backups, files kept aside): ISO 8601 in UTC without `:` or `.`, sortable. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}
