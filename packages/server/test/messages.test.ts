import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { GeoMessage } from '@lo/client';
import { rawRequest, rejectsWith } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, strongPassword, uniqueUsername, type TestUser } from './helpers/users.js';

/** The server runs on a pinned clock so tests can move past edit windows and expiry. */
let now = Date.UTC(2030, 0, 1);
const clock = { now: () => now };
let server: TestServer;

before(async () => {
  server = await startServer({}, undefined, clock);
});
after(() => server.close());

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const DEFAULT_TTL_S = 604_800;
const EDIT_WINDOW_S = 900;

/** A place of its own for each test (about 55 km apart), so feeds do not mix. */
let places = 0;
function place(): { lat: number; lng: number } {
  places += 1;
  return { lat: 40 + places * 0.5, lng: 10.123456 };
}

/** `lat` moved north by `metres`. */
function north(at: { lat: number; lng: number }, metres: number) {
  return { lat: at.lat + metres / 111_195, lng: at.lng };
}

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(path.join(server.dataDir, 'lo.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function countPosts(authorId: string): number {
  return rows<{ n: number }>('SELECT count(*) AS n FROM messages WHERE author_id = ?', authorId)[0]!.n;
}

/** A user who has told the server where they are (through a nearby query, as apps do). */
async function userAt(at: { lat: number; lng: number }, prefix = 'viewer'): Promise<TestUser> {
  const user = await signup(server, prefix);
  await user.client.messages.nearby(at);
  return user;
}

async function feedIds(user: TestUser, at: { lat: number; lng: number }): Promise<string[]> {
  return (await user.client.messages.nearbyAll(at)).map((m) => m.id);
}

test('POST /api/messages answers 201 with the author view: exact location, mine, defaults filled in', async () => {
  const author = await signup(server, 'author');
  const at = { lat: 41.123457, lng: 10.987654 };
  const response = await rawRequest(server.url, '/api/messages', {
    token: author.auth.access_token,
    body: { content: 'hello, square', ...at },
  });
  assert.equal(response.status, 201);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const message = response.json as GeoMessage;
  assert.match(message.id, ULID);
  assert.deepEqual(
    { ...message, id: '' },
    {
      id: '',
      kind: 'geo',
      content: 'hello, square',
      author: { id: author.id, username: author.username },
      created_at: new Date(now).toISOString(),
      edited_at: null,
      expires_at: new Date(now + DEFAULT_TTL_S * 1000).toISOString(),
      radius: 1000,
      visibility: 'public',
      distance_band: '<100 m',
      location: at,
      reactions: [],
      my_reactions: [],
      mine: true,
    },
  );
});

test('a retry with the same client_msg_id answers 200 with the original post and stores no copy', async () => {
  const author = await signup(server, 'retrier');
  const at = place();
  const body = { content: 'only once', ...at, client_msg_id: 'draft-42' };
  const first = await rawRequest(server.url, '/api/messages', { token: author.auth.access_token, body });
  const retry = await rawRequest(server.url, '/api/messages', { token: author.auth.access_token, body });
  assert.equal(first.status, 201);
  assert.equal(retry.status, 200);
  assert.equal((retry.json as GeoMessage).id, (first.json as GeoMessage).id);
  assert.equal((retry.json as GeoMessage).content, 'only once');
  assert.equal(countPosts(author.id), 1);
  assert.deepEqual(await feedIds(author, at), [(first.json as GeoMessage).id]);

  // Idempotency is per author: someone else's post with the same client_msg_id is a post of its own.
  const other = await signup(server, 'same_key');
  const theirs = await rawRequest(server.url, '/api/messages', { token: other.auth.access_token, body });
  assert.equal(theirs.status, 201);
  assert.notEqual((theirs.json as GeoMessage).id, (first.json as GeoMessage).id);
});

test('content of exactly 4096 ASCII bytes is accepted and 4097 bytes is 400 content_too_long', async () => {
  const author = await signup(server, 'long');
  const at = place();
  const full = await author.client.messages.create({ content: 'a'.repeat(4096), ...at });
  assert.equal(full.content.length, 4096);
  await rejectsWith(author.client.messages.create({ content: 'a'.repeat(4097), ...at }), 400, 'content_too_long');
  assert.equal(countPosts(author.id), 1);
});

test('content is bounded in UTF-8 bytes: 1366 three-byte characters (4098 bytes) is content_too_long, 1365 is fine', async () => {
  const author = await signup(server, 'utf8');
  const at = place();
  await rejectsWith(author.client.messages.create({ content: '€'.repeat(1366), ...at }), 400, 'content_too_long');
  const ok = await author.client.messages.create({ content: '€'.repeat(1365), ...at });
  assert.equal(ok.content, '€'.repeat(1365));
  assert.equal(countPosts(author.id), 1);
});

test('empty or whitespace-only content is refused with 400 validation_failed and stores nothing', async () => {
  const author = await signup(server, 'blank');
  const at = place();
  for (const content of ['', '   ', '\n\t \r\n']) {
    const error = await rejectsWith(author.client.messages.create({ content, ...at }), 400, 'validation_failed');
    assert.equal(error.errors[0]?.path, '/content');
  }
  assert.equal(countPosts(author.id), 0);
});

test('radius, expires_in, lat and lng out of bounds are 400 validation_failed naming the field', async () => {
  const author = await signup(server, 'bounds');
  const at = place();
  const cases: Array<[Record<string, number>, string]> = [
    [{ radius: 299 }, '/radius'],
    [{ radius: 10_001 }, '/radius'],
    [{ radius: 500.5 }, '/radius'],
    [{ expires_in: 59 }, '/expires_in'],
    [{ expires_in: 30 * 24 * 3600 + 1 }, '/expires_in'],
    [{ lat: 90.000001 }, '/lat'],
    [{ lat: -91 }, '/lat'],
    [{ lng: 180.5 }, '/lng'],
    [{ lng: -181 }, '/lng'],
  ];
  for (const [override, field] of cases) {
    const error = await rejectsWith(author.client.messages.create({ content: 'x', ...at, ...override }), 400, 'validation_failed');
    assert.equal(error.errors[0]?.path, field, JSON.stringify(override));
  }
  assert.equal(countPosts(author.id), 0);
});

test('GET /api/messages/:id shows a post to a nearby viewer, with a distance band and no location', async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'visible nearby', ...at });
  const viewer = await userAt(north(at, 50));
  const seen = await viewer.client.messages.get(posted.id);
  assert.equal(seen.id, posted.id);
  assert.equal(seen.content, 'visible nearby');
  assert.equal(seen.mine, false);
  assert.equal(seen.location, undefined);
  assert.equal(typeof seen.distance_band, 'string');
});

test('GET /api/messages/:id is 404 message_not_found for a viewer out of range', async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'local only', ...at, radius: 500 });
  const far = await userAt(north(at, 20_000));
  await rejectsWith(far.client.messages.get(posted.id), 404, 'message_not_found');
  // The same post for an id that never existed answers the same way.
  await rejectsWith(far.client.messages.get('01ARZ3NDEKTSV4RRFFQ69G5FAV'), 404, 'message_not_found');
});

test('GET /api/messages/:id is 409 location_unknown for a viewer who never reported a position', async () => {
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'where are you?', ...place() });
  const stranger = await signup(server, 'nowhere');
  await rejectsWith(stranger.client.messages.get(posted.id), 409, 'location_unknown');
});

test('friends-only posts are seen by friends and by nobody else, in the feed and by id', async () => {
  const at = place();
  const author = await signup(server, 'author');
  const friend = await userAt(at, 'friend');
  const stranger = await userAt(at, 'stranger');
  const request = await friend.client.friends.request(author.id);
  await author.client.friends.accept(request.id);
  const secret = await author.client.messages.create({ content: 'friends only', ...at, visibility: 'friends' });
  const open = await author.client.messages.create({ content: 'everyone', ...at });

  assert.deepEqual(await feedIds(friend, at), [open.id, secret.id]);
  assert.equal((await friend.client.messages.get(secret.id)).visibility, 'friends');
  assert.deepEqual(await feedIds(stranger, at), [open.id]);
  await rejectsWith(stranger.client.messages.get(secret.id), 404, 'message_not_found');
});

test('the author edits their post within the edit window: new content and edited_at set', async () => {
  const at = place();
  const author = await signup(server, 'editor');
  const posted = await author.client.messages.create({ content: 'typo', ...at });
  now += 60_000;
  const edited = await author.client.messages.edit(posted.id, 'fixed');
  assert.equal(edited.content, 'fixed');
  assert.equal(edited.edited_at, new Date(now).toISOString());
  assert.equal(edited.created_at, posted.created_at);
  await rejectsWith(author.client.messages.edit(posted.id, 'a'.repeat(4097)), 400, 'content_too_long');
  await rejectsWith(author.client.messages.edit(posted.id, ' '), 400, 'validation_failed');
  const viewer = await userAt(at);
  const seen = await viewer.client.messages.get(posted.id);
  assert.deepEqual([seen.content, seen.edited_at], ['fixed', edited.edited_at]);
});

test("editing another user's post is 403 forbidden and changes nothing", async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'mine', ...at });
  const other = await userAt(at, 'meddler');
  await rejectsWith(other.client.messages.edit(posted.id, 'yours now'), 403, 'forbidden');
  const after = await author.client.messages.get(posted.id);
  assert.deepEqual([after.content, after.edited_at], ['mine', null]);
});

test('editing after the edit window is 409 edit_window_closed and changes nothing', async () => {
  const author = await signup(server, 'late');
  const posted = await author.client.messages.create({ content: 'first draft', ...place() });
  now += EDIT_WINDOW_S * 1000 - 1000;
  await author.client.messages.edit(posted.id, 'still in time');
  now += 2000;
  await rejectsWith(author.client.messages.edit(posted.id, 'too late'), 409, 'edit_window_closed');
  assert.equal((await author.client.messages.get(posted.id)).content, 'still in time');
});

test('the author deletes their post: 204, then GET is 404 and the feed no longer has it', async () => {
  const at = place();
  const author = await signup(server, 'deleter');
  const viewer = await userAt(at);
  const kept = await author.client.messages.create({ content: 'kept', ...at });
  const gone = await author.client.messages.create({ content: 'gone', ...at });
  const response = await rawRequest(server.url, `/api/messages/${gone.id}`, { method: 'DELETE', token: author.auth.access_token });
  assert.equal(response.status, 204);
  assert.equal(response.text, '');
  await rejectsWith(author.client.messages.get(gone.id), 404, 'message_not_found');
  await rejectsWith(viewer.client.messages.get(gone.id), 404, 'message_not_found');
  assert.deepEqual(await feedIds(author, at), [kept.id]);
  assert.deepEqual(await feedIds(viewer, at), [kept.id]);
  await rejectsWith(author.client.messages.delete(gone.id), 404, 'message_not_found');
});

test("deleting another user's post is 403 forbidden and the post stays", async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'stays', ...at });
  const other = await userAt(at, 'vandal');
  await rejectsWith(other.client.messages.delete(posted.id), 403, 'forbidden');
  assert.deepEqual(await feedIds(other, at), [posted.id]);
});

test("an admin deletes anyone's post (without being near it): 204, gone for everyone, and audited", async () => {
  const at = place();
  const author = await signup(server, 'author');
  const viewer = await userAt(at);
  const posted = await author.client.messages.create({ content: 'against the rules', ...at });
  const username = uniqueUsername('admin');
  const password = strongPassword();
  await server.app.auth.signup({ username, password }, { ip: 't' }, 'admin');
  const admin = server.client();
  const { user } = await admin.auth.login({ username, password });
  assert.equal((await admin.me.get()).role, 'admin');

  const deleted = await rawRequest(server.url, `/api/messages/${posted.id}`, { method: 'DELETE', token: admin.session!.access_token });
  assert.equal(deleted.status, 204);
  await rejectsWith(viewer.client.messages.get(posted.id), 404, 'message_not_found');
  await rejectsWith(author.client.messages.get(posted.id), 404, 'message_not_found');
  assert.deepEqual(await feedIds(viewer, at), []);

  const audit = await server.app.store.audit.list(100);
  const entry = audit.find((e) => e.action === 'admin.message_deleted' && e.target === posted.id);
  assert.ok(entry, 'an admin.message_deleted audit entry for the post');
  assert.equal(entry.actorId, user.id);
  assert.deepEqual(entry.data, { author_id: author.id });
});

test('an author deleting their own post leaves no admin audit entry', async () => {
  const author = await signup(server, 'self_delete');
  const posted = await author.client.messages.create({ content: 'mine to delete', ...place() });
  await author.client.messages.delete(posted.id);
  const audit = await server.app.store.audit.list(100);
  assert.equal(audit.filter((e) => e.target === posted.id).length, 0);
});

test('reactions: add is 201, the same again 200, counts and my_reactions per viewer, remove is 204', async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'react to me', ...at });
  const anna = await userAt(at, 'anna');
  const ben = await userAt(at, 'ben');
  const react = (user: TestUser, emoji: string) =>
    rawRequest(server.url, `/api/messages/${posted.id}/reactions`, { token: user.auth.access_token, body: { emoji } });

  const first = await react(anna, '👍');
  assert.equal(first.status, 201);
  assert.deepEqual(first.json, { reactions: [{ emoji: '👍', count: 1 }], my_reactions: ['👍'] });
  const again = await react(anna, '👍');
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, first.json);
  assert.equal((await react(ben, '👍')).status, 201);
  assert.equal((await react(ben, '🎉')).status, 201);

  const byAnna = await anna.client.messages.get(posted.id);
  const counts = (m: GeoMessage) => Object.fromEntries(m.reactions.map((r) => [r.emoji, r.count]));
  assert.deepEqual(counts(byAnna), { '👍': 2, '🎉': 1 });
  assert.deepEqual(byAnna.my_reactions, ['👍']);
  const byBen = (await ben.client.messages.nearby(at)).items.find((m) => m.id === posted.id)!;
  assert.deepEqual(counts(byBen), { '👍': 2, '🎉': 1 });
  assert.deepEqual([...byBen.my_reactions].sort(), ['👍', '🎉'].sort());

  const removed = await rawRequest(server.url, `/api/messages/${posted.id}/reactions/${encodeURIComponent('👍')}`, {
    method: 'DELETE',
    token: anna.auth.access_token,
  });
  assert.equal(removed.status, 204);
  const after = await author.client.messages.get(posted.id);
  assert.deepEqual(counts(after), { '👍': 1, '🎉': 1 });
  assert.deepEqual(after.my_reactions, []);
  assert.deepEqual((await anna.client.messages.get(posted.id)).my_reactions, []);
});

test('reporting a post is 201 with the report; reporting it again is 409 already_reported', async () => {
  const at = place();
  const author = await signup(server, 'author');
  const posted = await author.client.messages.create({ content: 'report me', ...at });
  const reporter = await userAt(at, 'reporter');
  const response = await rawRequest(server.url, `/api/messages/${posted.id}/reports`, {
    token: reporter.auth.access_token,
    body: { reason: '  spam  ' },
  });
  assert.equal(response.status, 201);
  const report = response.json as { id: string; message_id: string; reason: string; created_at: string };
  assert.match(report.id, ULID);
  assert.deepEqual({ ...report, id: '' }, { id: '', message_id: posted.id, reason: 'spam', created_at: new Date(now).toISOString() });
  await rejectsWith(reporter.client.messages.report(posted.id, 'still spam'), 409, 'already_reported');
  const stored = rows<{ reason: string }>('SELECT reason FROM reports WHERE message_id = ?', posted.id);
  assert.deepEqual(stored, [{ reason: 'spam' }]);
});

test('an expired post vanishes from the feed and GET answers 404 once the clock passes expires_in', async () => {
  const at = place();
  const author = await signup(server, 'ephemeral');
  const viewer = await userAt(at);
  const shortLived = await author.client.messages.create({ content: 'one minute', ...at, expires_in: 60 });
  const lasting = await author.client.messages.create({ content: 'an hour', ...at, expires_in: 3600 });
  assert.equal(shortLived.expires_at, new Date(now + 60_000).toISOString());
  now += 59_000;
  assert.deepEqual(await feedIds(viewer, at), [lasting.id, shortLived.id]);
  now += 1_000;
  assert.deepEqual(await feedIds(viewer, at), [lasting.id]);
  await rejectsWith(viewer.client.messages.get(shortLived.id), 404, 'message_not_found');
  await rejectsWith(author.client.messages.get(shortLived.id), 404, 'message_not_found');
  assert.equal((await viewer.client.messages.get(lasting.id)).id, lasting.id);
});
