import { Type } from '@sinclair/typebox';
import { LoError } from '../../errors/lo-error.js';
import { commonErrors, Page, Problem } from '../schemas/common.js';
import { GeoMessage, NearbyRpc } from '../schemas/messages.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

/**
 * Named server functions (`POST /api/rpc/<name>`), each with its own schema. Static routes win over
 * the catch-all, which answers `rpc_not_found` for any other name.
 */
export function registerRpcRoutes(http: Http, { messages, secured }: RouteDeps): void {
  const base = { tags: ['rpc'], security: [{ bearer: [] }] };

  http.post(
    '/rpc/get_nearby_messages',
    {
      schema: { ...base, body: NearbyRpc, response: { 200: Page(GeoMessage), ...commonErrors, 422: Problem } },
      ...secured('probe'),
    },
    async (request) => {
      const { radius_meters, ...rest } = request.body;
      return messages.nearby(principalOf(request), { ...rest, ...(radius_meters !== undefined && { radius: radius_meters }) });
    },
  );

  http.post(
    '/rpc/:fn',
    {
      schema: { ...base, params: Type.Object({ fn: Type.String({ maxLength: 64 }) }), response: { 404: Problem } },
      ...secured(),
    },
    async (request) => {
      throw new LoError('rpc_not_found', `No server function "${request.params.fn}".`);
    },
  );
}
