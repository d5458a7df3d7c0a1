/**
 * Area counts on a real server (GET /api/areas/count and the `area.count` frame): people with a live,
 * shown beacon, counted by their coarse point; "few" below k (LO_AREA_K, 5 here); the asker not
 * counted; and the real `area` rate rule shared by both transports.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GEO_LIMITS, type AreaCount } from '@lo/protocol';
import { api, assertProblem } from './helpers/http.js';
import { beacon, northOf, PARIS, person } from './helpers/live-location.js';
import { startServer, TEST_ENV, type TestServer } from './helpers/test-server.js';
import { expectError } from './helpers/ws-assert.js';

let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };

let server: TestServer;
before(async () => {
  server = await startServer({ LO_AREA_K: '5' }, undefined, clock);
});
after(() => server.close());

const SHARING = { location_sharing: 'friends' } as const;
/** Far wider than a coarse point's offset (≤ ~2.7 km), so everyone near Paris counts whatever their cell. */
const AREA = { ...PARIS, radius: 10_000 };

async function both(asker: Awaited<ReturnType<typeof person>>): Promise<AreaCount> {
  const rest = await api<AreaCount>(server, 'GET', `/areas/count?lat=${AREA.lat}&lng=${AREA.lng}&radius=${AREA.radius}`, {
    token: asker.auth.access_token,
  });
  assert.equal(rest.status, 200, JSON.stringify(rest.body));
  const ws = await asker.ws.ok<AreaCount>({ type: 'area.count', ...AREA });
  assert.deepEqual(ws, rest.body, 'HTTP and WebSocket give the same answer');
  return rest.body;
}

test('"few" below k, the exact count from k on; the asker, hidden people, far ones and expired beacons not counted', async () => {
  const asker = await person(server, 'asker', SHARING);
  const near = [];
  for (let i = 0; i < 4; i++) near.push(await person(server, `near${i}`, SHARING));
  const off = await person(server, 'off');
  const ghost = await person(server, 'ghost', { ...SHARING, ghost_mode: true });
  const far = await person(server, 'far', SHARING);
  for (const [i, p] of near.entries()) await beacon(p.ws, northOf(PARIS, i * 300));
  await beacon(off.ws, PARIS);
  await beacon(ghost.ws, PARIS);
  await beacon(far.ws, northOf(PARIS, 20_000));
  await beacon(asker.ws, PARIS);
  assert.deepEqual(await both(asker), { count: 'few' }, 'four others: below k');

  const fifth = await person(server, 'fifth', { location_sharing: 'public' });
  await beacon(fifth.ws, northOf(PARIS, 50));
  assert.deepEqual(await both(asker), { count: 5 });
  assert.deepEqual(await both(fifth), { count: 5 }, 'the asker is the one left out');
  await ghost.client.me.update({ ghost_mode: false });
  await beacon(ghost.ws, PARIS);
  assert.deepEqual(await both(asker), { count: 6 });

  offsetMs += GEO_LIMITS.beaconTtlS * 1000 + 1000;
  assert.deepEqual(await both(asker), { count: 'few' }, 'expired beacons count no more');
});

test('area probes are bounded by the `area` rule, one budget for HTTP and WebSocket', async () => {
  const strict = await startServer({ LO_RATE_LIMITS: TEST_ENV.LO_RATE_LIMITS!.replace(/,area=[^,]*/, '') });
  try {
    const asker = await person(strict, 'prober');
    const query = `/areas/count?lat=${PARIS.lat}&lng=${PARIS.lng}&radius=500`;
    for (let i = 0; i < 5; i++) {
      assert.equal((await api(strict, 'GET', query, { token: asker.auth.access_token })).status, 200);
      await asker.ws.ok({ type: 'area.count', ...PARIS, radius: 500 });
    }
    const refused = expectError(await asker.ws.request({ type: 'area.count', ...PARIS, radius: 500 }), 'rate_limited');
    assert.ok((refused.retry_after ?? 0) >= 1);
    const problem = await api(strict, 'GET', query, { token: asker.auth.access_token });
    assertProblem(problem, 429, 'rate_limited');
    assert.ok(Number(problem.headers.get('retry-after')) >= 1);
  } finally {
    await strict.close();
  }
});
