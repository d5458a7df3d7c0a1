import { commonErrors } from '../schemas/common.js';
import { AreaCount, AreaCountQuery, FriendLocations } from '../schemas/live-location.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

/** Live location over HTTP: friends' beacons and area counts (beacons themselves come over WebSocket). */
export function registerLiveLocationRoutes(http: Http, { beacons, areas, secured }: RouteDeps): void {
  const base = { tags: ['live location'], security: [{ bearer: [] }] };

  http.get(
    '/friends/locations',
    { schema: { ...base, response: { 200: FriendLocations, ...commonErrors } }, ...secured() },
    async (request) => ({ items: await beacons.friendLocations(principalOf(request).userId) }),
  );

  // Rate limited inside AreaService (rule `area`), so HTTP and `area.count` frames share one budget.
  http.get(
    '/areas/count',
    { schema: { ...base, querystring: AreaCountQuery, response: { 200: AreaCount, ...commonErrors } }, ...secured() },
    async (request) => areas.count(principalOf(request).userId, request.query),
  );
}
