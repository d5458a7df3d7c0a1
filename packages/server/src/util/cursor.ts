import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

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

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals a cursor (AES-256-GCM, 32-byte key) so the client can neither read nor alter it. For cursors
 * whose keyset value is itself private: a nearby cursor sorted by distance carries the exact distance
 * to a post, and DESIGN section 7 lets viewers learn distance bands only.
 */
export function sealCursor(cursor: string, key: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The cursor inside a sealed one, or null when it was not sealed with this key or was altered. */
export function openSealedCursor(sealed: string, key: Uint8Array): string | null {
  if (sealed.length > 512 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
