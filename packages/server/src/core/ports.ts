/** Small seams between core services and the libraries behind them (argon2, jose, word lists). */
import type { Role } from '@lo/protocol';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password; never throws for a wrong one. */
  verify(hash: string, password: string): Promise<boolean>;
}

/** What an access token says, once its signature, algorithm, issuer, audience, type and expiry are checked. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
  /** When the token expires (ms since the epoch); set on verified tokens. */
  expiresAt?: number;
}

export interface TokenCodec {
  issueAccess(claims: AccessClaims, ttlS: number): Promise<string>;
  /** Throws LoError `token_expired` or `token_invalid`. */
  verifyAccess(token: string): Promise<AccessClaims>;
}

export interface PasswordList {
  /** Whether the password is among the most common ones (compared case-insensitively). */
  isCommon(password: string): boolean;
}
