import { commonErrors, IdParams, Problem } from '../schemas/common.js';
import { PublicUser } from '../schemas/users.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

export function registerUserRoutes(http: Http, { users, secured }: RouteDeps): void {
  http.get(
    '/users/:id',
    {
      schema: {
        tags: ['social'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: PublicUser, ...commonErrors, 404: Problem },
      },
      ...secured(),
    },
    async (request) => users.profile(principalOf(request).userId, request.params.id),
  );
}
