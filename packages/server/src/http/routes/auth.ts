import { Type } from '@sinclair/typebox';
import type { Http, RouteDeps } from '../http-deps.js';
import { principalOf } from '../auth-hook.js';
import { AuthResult, Credentials, RefreshBody, SessionInfo } from '../schemas/auth.js';
import { commonErrors, IdParams, NoContent, Problem } from '../schemas/common.js';

export function registerAuthRoutes(http: Http, { auth, secured, limit }: RouteDeps): void {
  const tags = ['auth'];

  http.post(
    '/auth/signup',
    {
      schema: { tags, body: Credentials, response: { 201: AuthResult, ...commonErrors, 409: Problem } },
      preHandler: [limit('signup')],
    },
    async (request, reply) => reply.code(201).send(await auth.signup(request.body, { ip: request.ip })),
  );

  // Login is throttled inside AuthService (per IP, per account and IP, per account from unknown IPs).
  http.post(
    '/auth/login',
    { schema: { tags, body: Credentials, response: { 200: AuthResult, ...commonErrors, 403: Problem } } },
    async (request) => auth.login(request.body, { ip: request.ip }),
  );

  http.post(
    '/auth/refresh',
    { schema: { tags, body: RefreshBody, response: { 200: AuthResult, ...commonErrors } }, preHandler: [limit('refresh')] },
    async (request) => auth.refresh(request.body.refresh_token),
  );

  http.post(
    '/auth/logout',
    {
      schema: { tags, security: [{ bearer: [] }], response: { 204: NoContent, ...commonErrors } },
      ...secured('write'),
    },
    async (request, reply) => {
      await auth.logout(principalOf(request));
      return reply.code(204).send(null);
    },
  );

  http.get(
    '/auth/sessions',
    {
      schema: {
        tags,
        security: [{ bearer: [] }],
        response: { 200: Type.Object({ items: Type.Array(SessionInfo), next_cursor: Type.Null() }), ...commonErrors },
      },
      ...secured(),
    },
    async (request) => ({ items: await auth.sessions(principalOf(request)), next_cursor: null }),
  );

  http.delete(
    '/auth/sessions/:id',
    {
      schema: { tags, security: [{ bearer: [] }], params: IdParams, response: { 204: NoContent, ...commonErrors, 404: Problem } },
      ...secured('write'),
    },
    async (request, reply) => {
      await auth.endSession(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
