import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Me, MyLocation } from '@lo/client';
import { api, assertProblem, rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

/** Real time plus an offset the tests can move forward (ghost expiry, travel time). */
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };

let server: TestServer;
before(async () => {
  server = await startServer({ LO_LOCATION_MAX_SPEED: '300' }, undefined, clock);
});
after(() => server.close());

const PARIS = { lat: 48.8566, lng: 2.3522 };
/** Metres to degrees of latitude. */
const northOf = (p: { lat: number; lng: number }, metres: number) => ({ lat: p.lat + metres / 111_195, lng: p.lng });

async function patchRaw(user: TestUser, body: unknown) {
  return api<Me>(server, 'PATCH', '/me', { token: user.auth.access_token, body });
}

interface Export {
  format: string;
  user: Me;
  location: MyLocation | null;
  sessions: Array<{ id: string; current: boolean }>;
  friends: Array<{ user: { id: string; username: string | null } }>;
  friend_requests: { incoming: Array<{ from: { id: string } }>; outgoing: Array<{ to: { id: string } }> };
  blocks: Array<{ user: { id: string } }>;
  messages: Array<{ id: string; content: string; lat: number; lng: number }>;
}

describe('GET /me', () => {
  test('returns my profile with the documented defaults', async () => {
    const user = await signup(server, 'me');
    const me = await user.client.me.get();
    assert.deepEqual(me, {
      id: user.id,
      username: user.username,
      display_name: null,
      role: 'user',
      created_at: me.created_at,
      visibility_radius: 1000,
      location_sharing: 'off',
      location_precision: 'coarse',
      ghost_mode: false,
      ghost_until: null,
      proximity_radius: null,
    });
    assert.ok(Math.abs(Date.parse(me.created_at) - clock.now()) < 60_000);
  });
});

describe('PATCH /me', () => {
  test('updates each field, persists it, and leaves the other fields alone', async () => {
    const user = await signup(server, 'patch');
    const before = await user.client.me.get();
    assert.equal((await user.client.me.update({ display_name: '  Ada L.  ' })).display_name, 'Ada L.');
    assert.equal((await user.client.me.update({ visibility_radius: 300 })).visibility_radius, 300);
    assert.equal((await user.client.me.update({ visibility_radius: 10_000 })).visibility_radius, 10_000);
    for (const sharing of ['friends', 'public', 'off'] as const) {
      assert.equal((await user.client.me.update({ location_sharing: sharing })).location_sharing, sharing);
    }
    assert.equal((await user.client.me.update({ location_precision: 'exact' })).location_precision, 'exact');
    const after = await user.client.me.get();
    assert.deepEqual(after, { ...before, display_name: 'Ada L.', visibility_radius: 10_000, location_precision: 'exact' });
    // A blank or null display name clears it.
    assert.equal((await user.client.me.update({ display_name: '   ' })).display_name, null);
    await user.client.me.update({ display_name: 'Ada' });
    assert.equal((await user.client.me.update({ display_name: null })).display_name, null);
  });

  test('visibility_radius outside 300 to 10000 metres, or not an integer, gets 400 validation_failed', async () => {
    const user = await signup(server, 'radius');
    for (const bad of [299, 10_001, 0, -5, 500.5, '500', null]) {
      const problem = assertProblem(await patchRaw(user, { visibility_radius: bad }), 400, 'validation_failed');
      assert.ok(
        problem.errors?.some((e) => e.path === '/visibility_radius'),
        JSON.stringify(problem.errors),
      );
    }
    assert.equal((await user.client.me.get()).visibility_radius, 1000, 'nothing changed');
  });

  test('other invalid values get 400 validation_failed and change nothing', async () => {
    const user = await signup(server, 'invalid');
    for (const body of [
      { location_sharing: 'everyone' },
      { location_precision: 'fuzzy' },
      { ghost_mode: 'yes' },
      { display_name: 'x'.repeat(65) },
      { ghost_until: 'tomorrow' },
    ]) {
      assertProblem(await patchRaw(user, body), 400, 'validation_failed');
    }
    const me = await user.client.me.get();
    assert.equal(me.location_sharing, 'off');
    assert.equal(me.display_name, null);
  });

  test('an unknown field, even alongside valid ones, gets 400 with its path and nothing is applied', async () => {
    const user = await signup(server, 'unknown');
    const problem = assertProblem(await patchRaw(user, { display_name: 'Eve', role: 'admin' }), 400, 'validation_failed');
    assert.deepEqual(
      problem.errors?.map((e) => e.path),
      ['/role'],
    );
    const me = await user.client.me.get();
    assert.equal(me.role, 'user');
    assert.equal(me.display_name, null);
    const banned = assertProblem(await patchRaw(user, { banned_at: null }), 400, 'validation_failed');
    assert.deepEqual(
      banned.errors?.map((e) => e.path),
      ['/banned_at'],
    );
  });

  test('an empty patch {} or a body that is not JSON gets 400', async () => {
    const user = await signup(server, 'empty');
    assertProblem(await patchRaw(user, {}), 400, 'validation_failed');
    assertProblem(await patchRaw(user, []), 400, 'validation_failed');
    const res = await fetch(`${server.url}/api/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.auth.access_token}`, 'content-type': 'application/json' },
      body: '{"display_name": ',
    });
    assertProblem({ status: res.status, headers: res.headers, body: await res.json() }, 400, 'invalid_json');
  });
});

describe('ghost mode', () => {
  test('ghost_until in the future turns ghost mode on until then', async () => {
    const user = await signup(server, 'ghost');
    const until = new Date(clock.now() + 3600_000).toISOString();
    const me = await user.client.me.update({ ghost_until: until });
    assert.equal(me.ghost_mode, true);
    assert.equal(me.ghost_until, until);
    assert.deepEqual(await user.client.me.get(), me);
  });

  test('ghost_until in the past gets 400 validation_failed on /ghost_until and changes nothing', async () => {
    const user = await signup(server, 'ghostpast');
    const problem = assertProblem(
      await patchRaw(user, { ghost_until: new Date(clock.now() - 60_000).toISOString() }),
      400,
      'validation_failed',
    );
    assert.deepEqual(
      problem.errors?.map((e) => e.path),
      ['/ghost_until'],
    );
    assertProblem(
      await patchRaw(user, { ghost_mode: true, ghost_until: new Date(clock.now() - 1).toISOString() }),
      400,
      'validation_failed',
    );
    const me = await user.client.me.get();
    assert.equal(me.ghost_mode, false);
    assert.equal(me.ghost_until, null);
  });

  test('ghost_mode true alone has no end; ghost_mode false turns it off and clears ghost_until', async () => {
    const user = await signup(server, 'ghostoff');
    const on = await user.client.me.update({ ghost_mode: true });
    assert.deepEqual([on.ghost_mode, on.ghost_until], [true, null]);
    await user.client.me.update({ ghost_until: new Date(clock.now() + 7200_000).toISOString() });
    const off = await user.client.me.update({ ghost_mode: false });
    assert.deepEqual([off.ghost_mode, off.ghost_until], [false, null]);
    // false wins over an end time sent with it.
    const still = await user.client.me.update({ ghost_mode: false, ghost_until: new Date(clock.now() + 7200_000).toISOString() });
    assert.deepEqual([still.ghost_mode, still.ghost_until], [false, null]);
    // Turning it on again later does not resurrect the old end time.
    const again = await user.client.me.update({ ghost_mode: true });
    assert.deepEqual([again.ghost_mode, again.ghost_until], [true, null]);
  });

  test('ghost mode with an end time ends by itself when that time passes', async () => {
    const user = await signup(server, 'ghostends');
    await user.client.me.update({ ghost_until: new Date(clock.now() + 60_000).toISOString() });
    assert.equal((await user.client.me.get()).ghost_mode, true);
    offsetMs += 120_000;
    const me = await user.client.me.get();
    assert.deepEqual([me.ghost_mode, me.ghost_until], [false, null]);
  });
});

describe('PUT /me/location', () => {
  test('stores my position and returns it', async () => {
    const user = await signup(server, 'loc');
    const res = await api<MyLocation>(server, 'PUT', '/me/location', { token: user.auth.access_token, body: { ...PARIS, accuracy: 12.5 } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ...PARIS, accuracy: 12.5, at: res.body.at });
    assert.ok(Math.abs(Date.parse(res.body.at) - clock.now()) < 60_000);
    const noAccuracy = await user.client.me.setLocation(northOf(PARIS, 10));
    assert.equal(noAccuracy.accuracy, null);
    const exported = (await user.client.me.export()) as unknown as Export;
    assert.deepEqual(exported.location, noAccuracy);
  });

  test('out-of-range coordinates get 400 validation_failed', async () => {
    const user = await signup(server, 'locbad');
    for (const body of [
      { lat: 91, lng: 0 },
      { lat: 0, lng: -181 },
      { lat: '48.8', lng: 2.3 },
      { lat: 1 },
      { lat: 1, lng: 1, accuracy: -1 },
    ]) {
      assertProblem(await api(server, 'PUT', '/me/location', { token: user.auth.access_token, body }), 400, 'validation_failed');
    }
  });

  test('a 100 km jump right after a report gets 422 location_implausible and keeps the old position; a 50 m move is fine', async () => {
    const user = await signup(server, 'jump');
    const start = await user.client.me.setLocation(PARIS);
    const far = northOf(PARIS, 100_000);
    await rejectsWith(user.client.me.setLocation(far), 422, 'location_implausible');
    // The feed and posting are position reports too: they cannot jump either.
    await rejectsWith(user.client.messages.nearby(far), 422, 'location_implausible');
    await rejectsWith(user.client.messages.create({ content: 'from afar', ...far }), 422, 'location_implausible');
    assert.deepEqual(((await user.client.me.export()) as unknown as Export).location, start);

    const near = northOf(PARIS, 50);
    const moved = await user.client.me.setLocation(near);
    assert.deepEqual([moved.lat, moved.lng], [near.lat, near.lng]);
    // After an hour, 100 km is an ordinary trip (28 m/s).
    offsetMs += 3600_000;
    const travelled = await user.client.me.setLocation(far);
    assert.deepEqual([travelled.lat, travelled.lng], [far.lat, far.lng]);
  });
});

describe('DELETE /me', () => {
  test('deletes the account: its token ends, its username is free again and its posts leave the feed', async () => {
    const leaving = await signup(server, 'leaving');
    const viewer = await signup(server, 'viewer');
    const other = server.client();
    await other.auth.login({ username: leaving.username, password: leaving.password });
    const post = await leaving.client.messages.create({ content: 'soon gone', ...PARIS });
    await viewer.client.friends.accept((await leaving.client.friends.request(viewer.id)).id);
    assert.ok((await viewer.client.messages.nearbyAll(PARIS)).some((m) => m.id === post.id));

    const res = await api(server, 'DELETE', '/me', { token: leaving.auth.access_token });
    assert.equal(res.status, 204);
    assertProblem(await api(server, 'GET', '/me', { token: leaving.auth.access_token }), 401, 'session_ended');
    await rejectsWith(other.me.get(), 401, 'session_ended');
    assertProblem(
      await api(server, 'POST', '/auth/refresh', { body: { refresh_token: leaving.auth.refresh_token } }),
      401,
      'refresh_token_invalid',
    );
    assertProblem(
      await api(server, 'POST', '/auth/login', { body: { username: leaving.username, password: leaving.password } }),
      401,
      'invalid_credentials',
    );
    assert.ok(!(await viewer.client.messages.nearbyAll(PARIS)).some((m) => m.id === post.id), 'the post is gone from the feed');
    await rejectsWith(viewer.client.messages.get(post.id), 404, 'message_not_found');
    assert.deepEqual((await viewer.client.friends.list()).items, [], 'the friendship went with the account');
    await rejectsWith(viewer.client.users.get(leaving.id), 404, 'user_not_found');

    const again = await server.client().auth.signup({ username: leaving.username, password: leaving.password });
    assert.notEqual(again.user.id, leaving.id);
    assert.equal(again.user.username, leaving.username);
  });

  test('the SDK delete drops its tokens', async () => {
    const user = await signup(server, 'sdkdelete');
    await user.client.me.delete();
    assert.equal(user.client.session, null);
    assertProblem(await api(server, 'GET', '/me', { token: user.auth.access_token }), 401, 'session_ended');
  });
});

describe('GET /me/export', () => {
  test('holds my profile, exact posts, friends, blocks, pending requests and location, and nothing of others', async () => {
    const me = await signup(server, 'exporter');
    const friend = await signup(server, 'friend');
    const blocked = await signup(server, 'blocked');
    const asker = await signup(server, 'asker');
    const asked = await signup(server, 'asked');
    await me.client.me.update({ display_name: 'Exporter' });

    const request = await me.client.friends.request(friend.id);
    await friend.client.friends.accept(request.id);
    await me.client.blocks.add(blocked.id);
    await asker.client.friends.request(me.id);
    await me.client.friends.request(asked.id);

    const exact = { lat: 48.85661234, lng: 2.35221234 };
    const mine = await me.client.messages.create({ content: 'my own post', ...exact, radius: 500 });
    const here = await me.client.me.setLocation({ lat: 48.85671234, lng: 2.35231234, accuracy: 7 });
    // A friend nearby posts and reports a distinctive position: none of it belongs in my export.
    const friendSpot = { lat: 48.85698765, lng: 2.35298765 };
    await friend.client.me.setLocation(friendSpot);
    await friend.client.messages.create({ content: 'the friend post', ...friendSpot });
    await blocked.client.messages.create({ content: 'the blocked post', ...friendSpot });

    const res = await api<Export>(server, 'GET', '/me/export', { token: me.auth.access_token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    const data = res.body;
    assert.equal(data.format, 'lo.user-export.v1');
    assert.deepEqual(data.user, await me.client.me.get());
    assert.deepEqual(data.location, here);
    assert.deepEqual(
      data.messages.map((m) => ({ id: m.id, content: m.content, lat: m.lat, lng: m.lng })),
      [{ id: mine.id, content: 'my own post', ...exact }],
    );
    assert.deepEqual(
      data.friends.map((f) => f.user),
      [{ id: friend.id, username: friend.username }],
    );
    assert.deepEqual(
      data.blocks.map((b) => b.user.id),
      [blocked.id],
    );
    assert.deepEqual(
      data.friend_requests.incoming.map((r) => r.from.id),
      [asker.id],
    );
    assert.deepEqual(
      data.friend_requests.outgoing.map((r) => r.to.id),
      [asked.id],
    );
    assert.equal(data.sessions.filter((s) => s.current).length, 1);

    const text = JSON.stringify(data);
    for (const leak of ['48.85698765', '2.35298765', 'the friend post', 'the blocked post']) {
      assert.ok(!text.includes(leak), `export leaks ${leak}`);
    }
    // Secrets are not part of "my data".
    for (const secret of ['$argon2', 'password', 'ip_hash', 'token_hash']) assert.ok(!text.includes(secret), `export holds ${secret}`);
  });
});
