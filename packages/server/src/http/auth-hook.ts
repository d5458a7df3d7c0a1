import type { FastifyRequest } from 'fastify';
import { LoError } from '../errors/lo-error.js';
import type { AuthService } from '../core/auth/auth-service.js';
import type { AccessClaims } from '../core/ports.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: AccessClaims | null;
  }
}

/** A preHandler that requires a live access token (`Authorization: Bearer …`). */
export function requireAuth(auth: AuthService) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    if (header === undefined) throw new LoError('unauthenticated');
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header);
    if (match === null) throw new LoError('token_invalid');
    request.principal = await auth.authenticate(match[1]!);
  };
}

/** The authenticated caller; only valid behind requireAuth. */
export function principalOf(request: FastifyRequest): AccessClaims {
  if (request.principal === null) throw new LoError('unauthenticated');
  return request.principal;
}
