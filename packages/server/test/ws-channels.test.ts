/**
 * Channels over the WebSocket (DESIGN sections 5-6): one delivery path for HTTP posts and `pub`,
 * offsets, recovery with `since`, DMs and blocks, `user:` notifications, ephemeral `public:`
 * channels and chat data checks. Presence, typing and status are in ws-presence.test.ts.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  dmChannel,
  type ChannelMessage,
  type MessageFrame,
  type Page,
  type Room,
  type SubResult,
  type UnsubscribedFrame,
} from '@lo/protocol';
import { barrier, befriend, chatApi, isMsg, pushAfter, WAIT_MS, wsFails, wsOk, type ChatApi, type Socket } from './helpers/chat.js';
import { assertProblem } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';

let server: TestServer;
let chat: ChatApi;
const sockets: Socket[] = [];

before(async () => {
  server = await startServer();
  chat = chatApi(server);
});
after(() => server.close());
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.close();
});

const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

async function users(n: number, prefix: string, on: TestServer = server): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => signup(on, prefix)));
}

async function connect(user: TestUser, api: ChatApi = chat): Promise<Socket> {
  const ws = await api.connect(user);
  sockets.push(ws);
  return ws;
}

/** A public room of `owner` that `members` joined. */
async function roomOf(owner: TestUser, members: TestUser[], api: ChatApi = chat): Promise<Room> {
  const room = await api.createRoom(owner);
  for (const member of members) await api.join(member, room);
  return room;
}

function sub(ws: Socket, channel: string, since?: { offset: number; epoch: string }): Promise<SubResult> {
  return wsOk<SubResult>(ws, { type: 'sub', channel, ...(since !== undefined && { since }) });
}

/** The `msg` frame of a stored message, as the WebSocket sends it. */
function frameOf(message: ChannelMessage): MessageFrame {
  return { type: 'msg', ...message };
}

function offsets(frames: Array<{ offset?: number | undefined }>): Array<number | undefined> {
  return frames.map((f) => f.offset);
}

/** Waits until `ws` got the message with this offset on `channel`. */
function msgAt(ws: Socket, channel: string, offset: number): Promise<unknown> {
  return ws.next((f) => isMsg(f) && f.channel === channel && f.offset === offset, WAIT_MS);
}

describe('delivery', () => {
  test('a message posted over HTTP reaches subscribers as the same message: offset, id, author, data, time', async () => {
    const [owner, member] = await users(2, 'deliver');
    const room = await roomOf(owner!, [member!]);
    const ws = await connect(member!);
    await sub(ws, room.channel);
    const posted = await chat.post(owner!, room, 'over http');
    assert.deepEqual(await msgAt(ws, room.channel, 1), frameOf(posted));
  });

  test('a WebSocket pub reaches other subscribers and HTTP history', async () => {
    const [owner, member] = await users(2, 'wspub');
    const room = await roomOf(owner!, [member!]);
    const publisher = await connect(owner!);
    const reader = await connect(member!);
    await sub(reader, room.channel);
    const reply = await wsOk<{ offset: number; id: string; created_at: string }>(publisher, {
      type: 'pub',
      channel: room.channel,
      data: { text: 'over ws' },
    });
    assert.deepEqual(Object.keys(reply).sort(), ['created_at', 'id', 'offset']);
    assert.equal(reply.offset, 1);
    const pushed = await msgAt(reader, room.channel, 1);
    const stored = (await chat.history(member!, room)).items;
    assert.deepEqual(stored, [
      {
        channel: room.channel,
        offset: 1,
        id: reply.id,
        author: { id: owner!.id, username: owner!.username },
        data: { text: 'over ws' },
        created_at: reply.created_at,
      },
    ]);
    assert.deepEqual(pushed, frameOf(stored[0]!));
  });

  test('concurrent publishers over HTTP and WebSocket get offsets 1..N, delivered once each, in order', async () => {
    const [owner, a, b, reader] = await users(4, 'offsets');
    const room = await roomOf(owner!, [a!, b!, reader!]);
    const readerWs = await connect(reader!);
    await sub(readerWs, room.channel);
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    const perPublisher = 8;
    const replies = await Promise.all([
      ...Array.from({ length: perPublisher }, (_, i) =>
        wsOk<{ offset: number }>(aWs, { type: 'pub', channel: room.channel, data: { text: `a${i}` } }),
      ),
      ...Array.from({ length: perPublisher }, (_, i) =>
        wsOk<{ offset: number }>(bWs, { type: 'pub', channel: room.channel, data: { text: `b${i}` } }),
      ),
      ...Array.from({ length: perPublisher }, (_, i) => chat.post(owner!, room, `o${i}`)),
    ]);
    const n = 3 * perPublisher;
    const all = Array.from({ length: n }, (_, i) => i + 1);
    assert.deepEqual(
      replies.map((r) => r.offset).sort((x, y) => x - y),
      all,
    );
    await msgAt(readerWs, room.channel, n);
    await barrier(readerWs);
    const received = readerWs.messages(room.channel);
    assert.deepEqual(offsets(received), all);
    const history = (await chat.history(reader!, room, `?after_offset=0&limit=100`)).items;
    assert.deepEqual(received, history.map(frameOf));
    // A connection's publishes are stored in the order it sent them (parallel HTTP calls promise no order).
    for (const prefix of ['a', 'b']) {
      const texts = history.map((m) => (m.data as { text: string }).text).filter((t) => t.startsWith(prefix));
      assert.deepEqual(
        texts,
        Array.from({ length: perPublisher }, (_, i) => `${prefix}${i}`),
      );
    }
  });
});

describe('retries', () => {
  test('a pub retried with its client_msg_id answers the original; subscribers and mentioned users get it once', async () => {
    const [owner, member] = await users(2, 'wsretry');
    const room = await roomOf(owner!, [member!]);
    const publisher = await connect(owner!);
    const reader = await connect(member!);
    await sub(reader, room.channel);
    await sub(reader, `user:${member!.id}`);
    const frame = { type: 'pub', channel: room.channel, data: { text: `ping @${member!.username}` }, client_msg_id: 'ws-retry-1' };
    const first = await wsOk<{ offset: number; id: string; created_at: string }>(publisher, frame);
    const again = await wsOk<{ offset: number; id: string; created_at: string }>(publisher, frame);
    assert.deepEqual(again, first);
    // HTTP and WebSocket share the key: the same id over HTTP is the same message.
    const viaHttp = await chat.call<ChannelMessage>(owner!, 'POST', `/rooms/${room.id}/messages`, {
      text: 'other',
      client_msg_id: 'ws-retry-1',
    });
    assert.equal(viaHttp.status, 200);
    assert.equal(viaHttp.body.id, first.id);
    const next = await chat.post(owner!, room, 'next');
    assert.equal(next.offset, 2);
    await msgAt(reader, room.channel, 2);
    await barrier(reader);
    assert.deepEqual(offsets(reader.messages(room.channel)), [1, 2]);
    assert.deepEqual(
      reader.messages(`user:${member!.id}`).map((m) => m.data),
      [{ kind: 'mention', channel: room.channel, message_id: first.id, offset: 1 }],
    );
  });
});

describe('recovery', () => {
  test('sub with since replays exactly the missed messages in order, then live delivery continues without repeats', async () => {
    const [owner, member] = await users(2, 'recover');
    const room = await roomOf(owner!, [member!]);
    const first = await connect(member!);
    const start = await sub(first, room.channel);
    assert.equal(start.offset, 0);
    assert.equal(start.recovered, true);
    for (let i = 1; i <= 3; i++) await chat.post(owner!, room, `live ${i}`);
    await msgAt(first, room.channel, 3);
    first.close();

    const missed: ChannelMessage[] = [];
    for (let i = 4; i <= 7; i++) missed.push(await chat.post(owner!, room, `missed ${i}`));
    const second = await connect(member!);
    const resumed = await sub(second, room.channel, { offset: 3, epoch: start.epoch });
    assert.deepEqual(resumed, { offset: 7, epoch: start.epoch, recovered: true, missed: missed.map(frameOf) });

    const live = [await chat.post(owner!, room, 'live 8'), await chat.post(owner!, room, 'live 9')];
    await msgAt(second, room.channel, 9);
    await barrier(second);
    assert.deepEqual(second.messages(room.channel), live.map(frameOf));
  });

  test('publications racing a recovering sub arrive once each, in order, across missed and live', async () => {
    const [owner, member] = await users(2, 'race');
    const room = await roomOf(owner!, [member!]);
    for (let i = 1; i <= 5; i++) await chat.post(owner!, room, `before ${i}`);
    const { epoch } = await sub(await connect(owner!), room.channel);
    const ws = await connect(member!);
    const total = 5 + 30;
    const [resumed] = await Promise.all([
      sub(ws, room.channel, { offset: 2, epoch }),
      (async () => {
        for (let i = 6; i <= total; i++) await chat.post(owner!, room, `during ${i}`);
      })(),
    ]);
    assert.equal(resumed.recovered, true);
    if (resumed.missed.at(-1)?.offset !== total) await msgAt(ws, room.channel, total);
    await barrier(ws);
    const seen = [...offsets(resumed.missed), ...offsets(ws.messages(room.channel))];
    assert.deepEqual(
      seen,
      Array.from({ length: total - 2 }, (_, i) => i + 3),
    );
  });

  test('a wrong epoch or a since ahead of the channel gives recovered:false and nothing replayed; live still flows', async () => {
    const [owner, member] = await users(2, 'epoch');
    const room = await roomOf(owner!, [member!]);
    for (let i = 1; i <= 3; i++) await chat.post(owner!, room, `m${i}`);
    const probe = await connect(member!);
    const { epoch } = await sub(probe, room.channel);
    probe.close();

    const wrong = await connect(member!);
    assert.deepEqual(await sub(wrong, room.channel, { offset: 1, epoch: 'not-the-epoch' }), {
      offset: 3,
      epoch,
      recovered: false,
      missed: [],
    });
    const ahead = await connect(member!);
    assert.deepEqual(await sub(ahead, room.channel, { offset: 4, epoch }), { offset: 3, epoch, recovered: false, missed: [] });
    const level = await connect(member!);
    assert.deepEqual(await sub(level, room.channel, { offset: 3, epoch }), { offset: 3, epoch, recovered: true, missed: [] });

    const next = await chat.post(owner!, room, 'm4');
    for (const ws of [wrong, ahead, level]) {
      await msgAt(ws, room.channel, 4);
      await barrier(ws);
      assert.deepEqual(ws.messages(room.channel), [frameOf(next)]);
    }
  });

  test('a gap larger than the namespace history size (LO_NAMESPACES) is not recovered', async () => {
    const small = await startServer({ LO_NAMESPACES: '{"room":{"historySize":5}}' });
    const api = chatApi(small);
    try {
      const [owner, member] = await users(2, 'small', small);
      const room = await roomOf(owner!, [member!], api);
      await api.post(owner!, room, 'seen');
      const probe = await connect(member!, api);
      const { epoch } = await sub(probe, room.channel);
      probe.close();

      const five: ChannelMessage[] = [];
      for (let i = 2; i <= 6; i++) five.push(await api.post(owner!, room, `m${i}`));
      const within = await connect(member!, api);
      assert.deepEqual(await sub(within, room.channel, { offset: 1, epoch }), {
        offset: 6,
        epoch,
        recovered: true,
        missed: five.map(frameOf),
      });

      for (let i = 7; i <= 12; i++) await api.post(owner!, room, `m${i}`);
      const beyond = await connect(member!, api);
      assert.deepEqual(await sub(beyond, room.channel, { offset: 6, epoch }), { offset: 12, epoch, recovered: false, missed: [] });
      const next = await api.post(owner!, room, 'm13');
      await msgAt(beyond, room.channel, 13);
      assert.deepEqual(beyond.messages(room.channel), [frameOf(next)]);
    } finally {
      for (const ws of sockets.splice(0)) ws.close();
      await small.close();
    }
  });
});

describe('direct messages', () => {
  test('friends talk in dm:<a>:<b> over HTTP and WebSocket; history holds both', async () => {
    const [a, b] = await users(2, 'dm');
    await befriend(a!, b!);
    const channel = dmChannel(a!.id, b!.id);
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    await sub(aWs, channel);
    await sub(bWs, channel);

    const viaHttp = await chat.expect<ChannelMessage>(201, a!, 'POST', `/dms/${b!.id}/messages`, { text: 'hi b' });
    assert.equal(viaHttp.channel, channel);
    assert.equal(viaHttp.offset, 1);
    assert.deepEqual(await msgAt(bWs, channel, 1), frameOf(viaHttp));

    const reply = await wsOk<{ offset: number; id: string }>(bWs, { type: 'pub', channel, data: { text: 'hi a' } });
    assert.equal(reply.offset, 2);
    const pushed = await msgAt(aWs, channel, 2);

    const seenByA = await chat.expect<Page<ChannelMessage>>(200, a!, 'GET', `/dms/${b!.id}/messages`);
    const seenByB = await chat.expect<Page<ChannelMessage>>(200, b!, 'GET', `/dms/${a!.id}/messages`);
    assert.deepEqual(seenByA, seenByB);
    assert.deepEqual(
      seenByA.items.map((m) => [m.offset, m.author.id, m.data]),
      [
        [1, a!.id, { text: 'hi b' }],
        [2, b!.id, { text: 'hi a' }],
      ],
    );
    assert.deepEqual(pushed, frameOf(seenByA.items[1]!));
  });

  test('only friends may post (403 not_friends); a third user may not subscribe or publish (channel_forbidden)', async () => {
    const [a, b, stranger] = await users(3, 'dmdeny');
    const channel = dmChannel(a!.id, stranger!.id);
    assertProblem(await chat.call(a!, 'POST', `/dms/${stranger!.id}/messages`, { text: 'hello?' }), 403, 'not_friends');
    const aWs = await connect(a!);
    await wsFails(aWs, { type: 'pub', channel, data: { text: 'hello?' } }, 'not_friends');

    await befriend(a!, b!);
    const theirs = dmChannel(a!.id, b!.id);
    const strangerWs = await connect(stranger!);
    await wsFails(strangerWs, { type: 'sub', channel: theirs }, 'channel_forbidden');
    await wsFails(strangerWs, { type: 'pub', channel: theirs, data: { text: 'intrude' } }, 'channel_forbidden');
    await wsFails(strangerWs, { type: 'presence.get', channel: theirs }, 'not_subscribed');

    const [low, high] = [a!.id, b!.id].sort() as [string, string];
    await wsFails(aWs, { type: 'sub', channel: `dm:${high}:${low}` }, 'channel_not_found');
    await wsFails(aWs, { type: 'sub', channel: dmChannel(a!.id, UNKNOWN_ID) }, 'channel_not_found');
    await wsFails(aWs, { type: 'sub', channel: `dm:${a!.id}:${a!.id}` }, 'channel_not_found');
    assertProblem(await chat.call(a!, 'POST', `/dms/${UNKNOWN_ID}/messages`, { text: 'anyone?' }), 404, 'channel_not_found');
    assert.deepEqual((await chat.expect<Page<ChannelMessage>>(200, a!, 'GET', `/dms/${b!.id}/messages`)).items, []);
  });

  test('a block either way closes the DM: posts, history and subs are refused with channel_forbidden', async () => {
    const [a, b] = await users(2, 'dmblock');
    await befriend(a!, b!);
    const channel = dmChannel(a!.id, b!.id);
    await chat.expect(201, a!, 'POST', `/dms/${b!.id}/messages`, { text: 'before' });
    await b!.client.blocks.add(a!.id);
    for (const [me, other] of [
      [a!, b!],
      [b!, a!],
    ] as const) {
      assertProblem(await chat.call(me, 'POST', `/dms/${other.id}/messages`, { text: 'after' }), 403, 'channel_forbidden');
      assertProblem(await chat.call(me, 'GET', `/dms/${other.id}/messages`), 403, 'channel_forbidden');
      const ws = await connect(me);
      await wsFails(ws, { type: 'sub', channel }, 'channel_forbidden');
      await wsFails(ws, { type: 'pub', channel, data: { text: 'after' } }, 'channel_forbidden');
    }
    // Unblocking does not restore the friendship the block ended.
    await b!.client.blocks.remove(a!.id);
    assertProblem(await chat.call(a!, 'POST', `/dms/${b!.id}/messages`, { text: 'again?' }), 403, 'not_friends');
  });

  test('a block while subscribed ends both sides’ DM subscriptions with an unsubscribed push', async () => {
    const [a, b] = await users(2, 'dmlive');
    await befriend(a!, b!);
    const channel = dmChannel(a!.id, b!.id);
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    await sub(aWs, channel);
    await sub(bWs, channel);
    await a!.client.blocks.add(b!.id);
    for (const ws of [aWs, bWs]) {
      const ended = (await ws.next((f) => f.type === 'unsubscribed', WAIT_MS)) as UnsubscribedFrame;
      assert.equal(ended.channel, channel);
      assert.equal(ended.error.code, 'channel_forbidden');
      await wsFails(ws, { type: 'unsub', channel }, 'not_subscribed');
    }
  });
});

describe('blocks in rooms', () => {
  test('blocked users’ messages are hidden both ways, live, in missed and in history', async () => {
    const [owner, blocker, blocked] = await users(3, 'roomblock');
    const room = await roomOf(owner!, [blocker!, blocked!]);
    const ownerWs = await connect(owner!);
    const blockerWs = await connect(blocker!);
    const blockedWs = await connect(blocked!);
    const { epoch } = await sub(ownerWs, room.channel);
    await sub(blockerWs, room.channel);
    await sub(blockedWs, room.channel);
    await blocker!.client.blocks.add(blocked!.id);

    await chat.post(blocked!, room, 'from the blocked'); // 1
    await chat.post(blocker!, room, 'from the blocker'); // 2
    await chat.post(owner!, room, 'from the owner'); // 3
    for (const ws of [ownerWs, blockerWs, blockedWs]) await msgAt(ws, room.channel, 3);
    await Promise.all([barrier(blockerWs), barrier(blockedWs)]);
    assert.deepEqual(offsets(ownerWs.messages(room.channel)), [1, 2, 3]);
    assert.deepEqual(offsets(blockerWs.messages(room.channel)), [2, 3]);
    assert.deepEqual(offsets(blockedWs.messages(room.channel)), [1, 3]);

    const blockerAgain = await connect(blocker!);
    const blockedAgain = await connect(blocked!);
    assert.deepEqual(offsets((await sub(blockerAgain, room.channel, { offset: 0, epoch })).missed), [2, 3]);
    assert.deepEqual(offsets((await sub(blockedAgain, room.channel, { offset: 0, epoch })).missed), [1, 3]);
    assert.deepEqual(
      (await chat.history(blocker!, room)).items.map((m) => m.offset),
      [2, 3],
    );
    assert.deepEqual(
      (await chat.history(blocked!, room)).items.map((m) => m.offset),
      [1, 3],
    );

    // Unblocking shows them again, live and in history.
    await blocker!.client.blocks.remove(blocked!.id);
    await chat.post(blocked!, room, 'after the unblock'); // 4
    await msgAt(blockerWs, room.channel, 4);
    assert.deepEqual(
      (await chat.history(blocker!, room)).items.map((m) => m.offset),
      [1, 2, 3, 4],
    );
  });
});

describe('user channels', () => {
  test('user:<id> is only for its user, and nobody publishes there', async () => {
    const [me, other] = await users(2, 'userch');
    const ws = await connect(me!);
    await wsFails(ws, { type: 'sub', channel: `user:${other!.id}` }, 'channel_forbidden');
    await wsFails(ws, { type: 'pub', channel: `user:${me!.id}`, data: { kind: 'fake' } }, 'channel_forbidden');
    await wsFails(ws, { type: 'pub', channel: `user:${other!.id}`, data: { kind: 'fake' } }, 'channel_forbidden');
    const mine = await sub(ws, `user:${me!.id}`);
    assert.deepEqual({ ...mine, epoch: '' }, { offset: 0, epoch: '', recovered: true, missed: [] });
  });

  test('friend requests, acceptances and mentions arrive live and can be recovered', async () => {
    const [a, b, outsider] = await users(3, 'notify');
    const aChannel = `user:${a!.id}`;
    const bChannel = `user:${b!.id}`;
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    const outsiderWs = await connect(outsider!);
    const { epoch: bEpoch } = await sub(bWs, bChannel);
    await sub(aWs, aChannel);
    await sub(outsiderWs, `user:${outsider!.id}`);

    const request = await a!.client.friends.request(b!.id);
    const asked = (await msgAt(bWs, bChannel, 1)) as MessageFrame;
    assert.deepEqual(asked.author, { id: a!.id, username: a!.username });
    assert.deepEqual(asked.data, { kind: 'friend_request', request_id: request.id });

    await b!.client.friends.accept(request.id);
    const accepted = (await msgAt(aWs, aChannel, 1)) as MessageFrame;
    assert.deepEqual(accepted.author, { id: b!.id, username: b!.username });
    assert.deepEqual(accepted.data, { kind: 'friend_accepted', request_id: request.id });

    // Mentions reach members who can read the room, not the author nor non-members.
    const room = await roomOf(a!, [b!]);
    const posted = await chat.post(a!, room, `hey @${b!.username}, @${outsider!.username} and @${a!.username}`);
    const mention = (await msgAt(bWs, bChannel, 2)) as MessageFrame;
    assert.deepEqual(mention.data, { kind: 'mention', channel: room.channel, message_id: posted.id, offset: posted.offset });
    assert.deepEqual(mention.author, { id: a!.id, username: a!.username });
    await Promise.all([barrier(outsiderWs), barrier(aWs)]);
    assert.deepEqual(outsiderWs.messages(`user:${outsider!.id}`), []);
    assert.deepEqual(offsets(aWs.messages(aChannel)), [1]);

    // A mention over WebSocket, while b is away; b recovers everything after the first notification.
    bWs.close();
    const reply = await wsOk<{ offset: number; id: string }>(aWs, {
      type: 'pub',
      channel: room.channel,
      data: { text: `@${b!.username}?` },
    });
    const back = await connect(b!);
    const resumed = await sub(back, bChannel, { offset: 1, epoch: bEpoch });
    assert.equal(resumed.recovered, true);
    assert.deepEqual(
      resumed.missed.map((m) => m.data),
      [
        { kind: 'mention', channel: room.channel, message_id: posted.id, offset: posted.offset },
        { kind: 'mention', channel: room.channel, message_id: reply.id, offset: reply.offset },
      ],
    );
    assert.deepEqual(offsets(resumed.missed), [2, 3]);
  });

  test('a mention in a private room reaches members only', async () => {
    const [owner, member, outsider] = await users(3, 'privmention');
    const room = await chat.createRoom(owner!, { visibility: 'private' });
    await chat.addMember(owner!, room, member!);
    const memberWs = await connect(member!);
    const outsiderWs = await connect(outsider!);
    await sub(memberWs, `user:${member!.id}`);
    await sub(outsiderWs, `user:${outsider!.id}`);
    await chat.post(owner!, room, `@${outsider!.username} @${member!.username}`);
    await msgAt(memberWs, `user:${member!.id}`, 1);
    await barrier(outsiderWs);
    assert.deepEqual(outsiderWs.messages(`user:${outsider!.id}`), []);
  });
});

describe('public channels', () => {
  test('public channels are ephemeral: sub at offset 0, no offsets on pub replies or messages, any JSON data', async () => {
    const [a, b, c] = await users(3, 'public');
    const channel = `public:lobby-${a!.id}`;
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    assert.deepEqual(await sub(aWs, channel), { offset: 0, epoch: '', recovered: true, missed: [] });
    await sub(bWs, channel);
    const values: unknown[] = [{ text: 'chat-like' }, { any: { nested: [1, true, null] } }, [1, 'two'], 'a string', 42, null];
    const mark = bWs.pushes.length;
    for (const data of values) {
      const reply = await wsOk<Record<string, unknown>>(aWs, { type: 'pub', channel, data });
      assert.deepEqual(Object.keys(reply).sort(), ['created_at', 'id']);
    }
    // Publishing needs no subscription.
    const cWs = await connect(c!);
    await wsOk(cWs, { type: 'pub', channel, data: { from: 'c' } });
    await pushAfter(bWs, mark, (f) => isMsg(f) && JSON.stringify(f.data) === '{"from":"c"}');
    const got = bWs.messages(channel);
    assert.deepEqual(
      got.map((m) => m.data),
      [...values, { from: 'c' }],
    );
    for (const m of got) assert.equal('offset' in m, false);
    assert.deepEqual(
      got.map((m) => m.author.id),
      [...values.map(() => a!.id), c!.id],
    );
    // Nothing is kept: resuming is never a recovery.
    const late = await connect(b!);
    assert.deepEqual(await sub(late, channel, { offset: 0, epoch: '' }), { offset: 0, epoch: '', recovered: false, missed: [] });
  });
});

describe('chat data', () => {
  test('room and DM data must be {text} with non-blank text: invalid_data otherwise, and nothing is stored', async () => {
    const [a, b] = await users(2, 'chatdata');
    await befriend(a!, b!);
    const room = await roomOf(a!, []);
    const ws = await connect(a!);
    const bad: unknown[] = [
      {},
      { text: '' },
      { text: ' \n ' },
      { text: 5 },
      { text: 'x', extra: 1 },
      { body: 'x' },
      'text',
      ['x'],
      7,
      null,
    ];
    for (const channel of [room.channel, dmChannel(a!.id, b!.id)]) {
      for (const data of bad) await wsFails(ws, { type: 'pub', channel, data }, 'invalid_data');
    }
    assert.deepEqual((await chat.history(a!, room)).items, []);
    assert.deepEqual((await chat.expect<Page<ChannelMessage>>(200, a!, 'GET', `/dms/${b!.id}/messages`)).items, []);
  });

  test('chat text is bounded at 4096 bytes over WebSocket as over HTTP (content_too_long beyond)', async () => {
    const [a] = await users(1, 'chatlen');
    const room = await roomOf(a!, []);
    const ws = await connect(a!);
    await wsFails(ws, { type: 'pub', channel: room.channel, data: { text: 'é'.repeat(2048) + 'x' } }, 'content_too_long');
    const longest = await wsOk<{ offset: number }>(ws, { type: 'pub', channel: room.channel, data: { text: 'é'.repeat(2048) } });
    assert.equal(longest.offset, 1);
  });
});
