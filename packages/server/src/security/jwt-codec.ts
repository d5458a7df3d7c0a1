import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '@lo/protocol';
import { LoError } from '../errors/lo-error.js';
import type { AccessClaims, TokenCodec } from '../core/ports.js';

export const JWT_ISSUER = 'lo';
export const JWT_AUDIENCE = 'lo-api';
/** RFC 9068 access-token type: a token of any other type (or none) is refused as an access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** The algorithm allowlist (ASVS 9.1.2): one symmetric algorithm, so no key confusion and never `none`. */
const ALGORITHMS = ['HS256'];

const ROLES: readonly Role[] = ['user', 'admin'];

export function jwtCodec(secret: Uint8Array): TokenCodec {
  return {
    issueAccess(claims, ttlS) {
      // RFC 9068 requires a unique `jti`; without it two tokens issued in the same second for one
      // session (signup, then refresh) were byte-identical, so a refresh did not yield a new token.
      return new SignJWT({ sid: claims.sessionId, role: claims.role })
        .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYP })
        .setSubject(claims.userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${ttlS}s`)
        .sign(secret);
    },
    async verifyAccess(token) {
      try {
        const { payload } = await jwtVerify(token, secret, {
          algorithms: ALGORITHMS,
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          typ: ACCESS_TOKEN_TYP,
          requiredClaims: ['exp', 'sub', 'sid'],
          clockTolerance: 5,
        });
        const { sub, sid, role } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || !ROLES.includes(role as Role)) throw new LoError('token_invalid');
        return { userId: sub, sessionId: sid, role: role as Role } satisfies AccessClaims;
      } catch (error) {
        if (error instanceof LoError) throw error;
        if (error instanceof errors.JWTExpired) throw new LoError('token_expired');
        throw new LoError('token_invalid');
      }
    },
  };
}
