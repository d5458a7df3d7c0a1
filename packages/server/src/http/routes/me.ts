import { commonErrors, NoContent, Problem } from '../schemas/common.js';
import { LocationReport, Me, MePatch, MyLocation, UserExport } from '../schemas/users.js';
import { exportUserData } from '../../core/users/export-service.js';
import { myLocationView } from '../../core/users/location-service.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

export function registerMeRoutes(http: Http, { users, locations, store, clock, secured }: RouteDeps): void {
  const base = { tags: ['me'], security: [{ bearer: [] }] };

  http.get('/me', { schema: { ...base, response: { 200: Me, ...commonErrors } }, ...secured() }, async (request) =>
    users.me(principalOf(request).userId),
  );

  http.patch('/me', { schema: { ...base, body: MePatch, response: { 200: Me, ...commonErrors } }, ...secured('write') }, async (request) =>
    users.updateMe(principalOf(request).userId, request.body),
  );

  http.put(
    '/me/location',
    {
      schema: { ...base, body: LocationReport, response: { 200: MyLocation, ...commonErrors, 422: Problem } },
      ...secured('probe'),
    },
    async (request) => myLocationView(await locations.report(principalOf(request).userId, request.body)),
  );

  http.delete(
    '/me',
    { schema: { ...base, response: { 204: NoContent, ...commonErrors } }, ...secured('write') },
    async (request, reply) => {
      await users.deleteMe(principalOf(request).userId);
      return reply.code(204).send(null);
    },
  );

  http.get('/me/export', { schema: { ...base, response: { 200: UserExport, ...commonErrors } }, ...secured() }, async (request, reply) => {
    const principal = principalOf(request);
    const data = await exportUserData(store, clock, principal.userId, principal.sessionId);
    return reply.header('Content-Disposition', 'attachment; filename="lo-export.json"').send(data);
  });
}
