/**
 * Access tokens of the two baseline servers: `<user>.<HMAC-SHA256(user)>`, checked with the secret the
 * parent passes in BENCH_TOKEN_SECRET. A real server verifies a token once per connection too; this is
 * the cheapest honest version of that (Lo verifies a JWT).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_SECRET_ENV = 'BENCH_TOKEN_SECRET';

export function newTokenSecret(): string {
  return randomBytes(32).toString('base64url');
}

function mac(secret: string, user: string): Buffer {
  return createHmac('sha256', secret).update(user).digest();
}

export function makeToken(secret: string, user: string): string {
  return `${user}.${mac(secret, user).toString('base64url')}`;
}

/** The user a token names, or null when it is not one of ours. */
export function verifyToken(secret: string, token: unknown): string | null {
  if (typeof token !== 'string') return null;
  const dot = token.lastIndexOf('.');
  if (dot < 1) return null;
  const user = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(secret, user);
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : null;
}

export function tokenSecretFromEnv(): string {
  const secret = process.env[TOKEN_SECRET_ENV];
  if (secret === undefined || secret === '') throw new Error(`${TOKEN_SECRET_ENV} is not set`);
  return secret;
}
