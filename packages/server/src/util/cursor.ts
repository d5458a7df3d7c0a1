/**
 * Opaque page cursors: base64url of a small JSON object. Opaque to clients, not secret; everything
 * decoded from a cursor is validated again by the caller's `check`, so a forged cursor can only ask
 * for a page the caller could have asked for anyway.
 */
export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Returns the decoded cursor, or null when it is not a cursor or `check` refuses its shape. */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T | null {
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return check(value) ? value : null;
  } catch {
    return null;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
