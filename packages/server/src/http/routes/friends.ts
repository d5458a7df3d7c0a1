import { commonErrors, IdParams, NoContent, Page, PageQuery, Problem, UserIdParams } from '../schemas/common.js';
import { Friend, FriendRequest, UserIdBody } from '../schemas/users.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

export function registerFriendRoutes(http: Http, { social, secured }: RouteDeps): void {
  const base = { tags: ['social'], security: [{ bearer: [] }] };
  const errors = { ...commonErrors, 404: Problem, 409: Problem };

  http.post(
    '/friends/requests',
    { schema: { ...base, body: UserIdBody, response: { 201: FriendRequest, ...errors } }, ...secured('write') },
    async (request, reply) => reply.code(201).send(await social.request(principalOf(request).userId, request.body.user_id)),
  );

  http.get(
    '/friends/requests',
    { schema: { ...base, querystring: PageQuery, response: { 200: Page(FriendRequest), ...commonErrors } }, ...secured() },
    async (request) => social.incoming(principalOf(request).userId, request.query.limit ?? 20, request.query.cursor),
  );

  for (const [action, status] of [
    ['accept', 'accepted'],
    ['decline', 'declined'],
  ] as const) {
    http.post(
      `/friends/requests/:id/${action}`,
      { schema: { ...base, params: IdParams, response: { 200: FriendRequest, ...errors } }, ...secured('write') },
      async (request) => social.respond(principalOf(request).userId, request.params.id, status),
    );
  }

  http.get(
    '/friends',
    { schema: { ...base, querystring: PageQuery, response: { 200: Page(Friend), ...commonErrors } }, ...secured() },
    async (request) => social.friends(principalOf(request).userId, request.query.limit ?? 20, request.query.cursor),
  );

  http.delete(
    '/friends/:userId',
    { schema: { ...base, params: UserIdParams, response: { 204: NoContent, ...errors } }, ...secured('write') },
    async (request, reply) => {
      await social.removeFriend(principalOf(request).userId, request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
