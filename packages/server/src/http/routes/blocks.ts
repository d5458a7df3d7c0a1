import { commonErrors, NoContent, Page, PageQuery, Problem, UserIdParams } from '../schemas/common.js';
import { BlockEntry, UserIdBody } from '../schemas/users.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

export function registerBlockRoutes(http: Http, { social, secured }: RouteDeps): void {
  const base = { tags: ['social'], security: [{ bearer: [] }] };

  http.post(
    '/blocks',
    {
      schema: { ...base, body: UserIdBody, response: { 201: BlockEntry, ...commonErrors, 404: Problem } },
      ...secured('write'),
    },
    async (request, reply) => reply.code(201).send(await social.block(principalOf(request).userId, request.body.user_id)),
  );

  http.delete(
    '/blocks/:userId',
    {
      schema: { ...base, params: UserIdParams, response: { 204: NoContent, ...commonErrors, 404: Problem } },
      ...secured('write'),
    },
    async (request, reply) => {
      await social.unblock(principalOf(request).userId, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  http.get(
    '/blocks',
    { schema: { ...base, querystring: PageQuery, response: { 200: Page(BlockEntry), ...commonErrors } }, ...secured() },
    async (request) => social.blocks(principalOf(request).userId, request.query.limit ?? 20, request.query.cursor),
  );
}
