/**
 * The ephemeral side of the real-time protocol (DESIGN section 5): channel presence, typing, blocks
 * hiding both, and user status merged over a user's devices and shown to friends only.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { PresenceEntry, PresenceEventFrame, Room, ServerPush, StatusEventFrame, StatusResult, UserRef } from '@lo/protocol';
import { barrier, befriend, chatApi, pushAfter, WAIT_MS, wsFails, wsOk, type ChatApi, type Socket } from './helpers/chat.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { eventually } from './helpers/ws-assert.js';
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

async function users(n: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => signup(server, prefix)));
}

async function connect(user: TestUser): Promise<Socket> {
  const ws = await chat.connect(user);
  sockets.push(ws);
  return ws;
}

async function roomOf(owner: TestUser, members: TestUser[]): Promise<Room> {
  const room = await chat.createRoom(owner);
  for (const member of members) await chat.join(member, room);
  return room;
}

const ref = (user: TestUser): UserRef => ({ id: user.id, username: user.username });

function presenceEvents(ws: Socket, channel: string): PresenceEventFrame[] {
  return ws.pushes.filter((f): f is PresenceEventFrame => f.type.startsWith('presence.') && 'channel' in f && f.channel === channel);
}

function typingFrom(ws: Socket, channel: string, user: TestUser): ServerPush[] {
  return ws.pushes.filter((f) => f.type === 'typing' && f.channel === channel && f.user.id === user.id);
}

async function presenceOf(ws: Socket, channel: string): Promise<PresenceEntry[]> {
  const { items } = await wsOk<{ items: PresenceEntry[] }>(ws, { type: 'presence.get', channel });
  return items.sort((x, y) => (x.client < y.client ? -1 : 1));
}

function entries(...list: Array<[Socket, TestUser, unknown]>): PresenceEntry[] {
  return list.map(([ws, user, state]) => ({ client: ws.clientId, user: ref(user), state })).sort((x, y) => (x.client < y.client ? -1 : 1));
}

describe('presence', () => {
  test('sub joins, presence sets state, unsub and closing leave; presence.get lists who is there', async () => {
    const [a, b] = await users(2, 'presence');
    const room = await roomOf(a!, [b!]);
    const channel = room.channel;
    const aWs = await connect(a!);
    await wsOk(aWs, { type: 'sub', channel });
    const own = await pushAfter(aWs, 0, (f) => f.type === 'presence.join');
    assert.deepEqual(own, { type: 'presence.join', channel, client: aWs.clientId, user: ref(a!) });

    let mark = aWs.pushes.length;
    const bWs = await connect(b!);
    await wsOk(bWs, { type: 'sub', channel });
    assert.deepEqual(await pushAfter(aWs, mark, (f) => f.type === 'presence.join'), {
      type: 'presence.join',
      channel,
      client: bWs.clientId,
      user: ref(b!),
    });

    mark = aWs.pushes.length;
    await wsOk(bWs, { type: 'presence', channel, state: { mood: '🙂' } });
    assert.deepEqual(await pushAfter(aWs, mark, (f) => f.type === 'presence.state'), {
      type: 'presence.state',
      channel,
      client: bWs.clientId,
      user: ref(b!),
      state: { mood: '🙂' },
    });
    const both = entries([aWs, a!, null], [bWs, b!, { mood: '🙂' }]);
    assert.deepEqual(await presenceOf(aWs, channel), both);
    assert.deepEqual(await presenceOf(bWs, channel), both);

    // A second device of b is a second entry; closing it leaves.
    mark = aWs.pushes.length;
    const bPhone = await connect(b!);
    await wsOk(bPhone, { type: 'sub', channel });
    await pushAfter(aWs, mark, (f) => f.type === 'presence.join' && f.client === bPhone.clientId);
    assert.deepEqual(await presenceOf(aWs, channel), entries([aWs, a!, null], [bWs, b!, { mood: '🙂' }], [bPhone, b!, null]));
    mark = aWs.pushes.length;
    bPhone.close();
    assert.deepEqual(await pushAfter(aWs, mark, (f) => f.type === 'presence.leave'), {
      type: 'presence.leave',
      channel,
      client: bPhone.clientId,
      user: ref(b!),
    });

    mark = aWs.pushes.length;
    await wsOk(bWs, { type: 'unsub', channel });
    assert.deepEqual(await pushAfter(aWs, mark, (f) => f.type === 'presence.leave'), {
      type: 'presence.leave',
      channel,
      client: bWs.clientId,
      user: ref(b!),
    });
    assert.deepEqual(await presenceOf(aWs, channel), entries([aWs, a!, null]));
    await barrier(aWs);
    assert.deepEqual(
      presenceEvents(aWs, channel).map((e) => `${e.type} ${e.client === aWs.clientId ? 'a' : e.client === bWs.clientId ? 'b' : 'phone'}`),
      ['presence.join a', 'presence.join b', 'presence.state b', 'presence.join phone', 'presence.leave phone', 'presence.leave b'],
    );
  });

  test('presence needs a subscription, a namespace with presence and a small state', async () => {
    const [a] = await users(1, 'presbad');
    const room = await roomOf(a!, []);
    const ws = await connect(a!);
    await wsFails(ws, { type: 'presence', id: 1, channel: room.channel, state: 'here' }, 'not_subscribed');
    await wsFails(ws, { type: 'presence.get', channel: room.channel }, 'not_subscribed');
    await wsOk(ws, { type: 'sub', channel: `user:${a!.id}` });
    await wsFails(ws, { type: 'presence', channel: `user:${a!.id}`, state: 'here' }, 'channel_forbidden');
    await wsFails(ws, { type: 'presence.get', channel: `user:${a!.id}` }, 'channel_forbidden');
    await wsFails(ws, { type: 'typing', channel: `user:${a!.id}` }, 'channel_forbidden');
    await wsOk(ws, { type: 'sub', channel: room.channel });
    await wsFails(ws, { type: 'presence', channel: room.channel, state: 'x'.repeat(600) }, 'invalid_frame');
    assert.deepEqual(await presenceOf(ws, room.channel), entries([ws, a!, null]));
  });
});

describe('typing', () => {
  test('typing reaches the other subscribers but not the sender; it needs a subscription', async () => {
    const [a, b] = await users(2, 'typing');
    const room = await roomOf(a!, [b!]);
    const aWs = await connect(a!);
    const bWs = await connect(b!);
    await wsOk(aWs, { type: 'sub', channel: room.channel });
    await wsOk(bWs, { type: 'sub', channel: room.channel });
    await wsOk(aWs, { type: 'typing', channel: room.channel });
    assert.deepEqual(await bWs.next((f) => f.type === 'typing', WAIT_MS), { type: 'typing', channel: room.channel, user: ref(a!) });
    await barrier(aWs);
    assert.deepEqual(typingFrom(aWs, room.channel, a!), []);

    // The sender's other device does see it.
    const aPhone = await connect(a!);
    await wsOk(aPhone, { type: 'sub', channel: room.channel });
    const mark = aPhone.pushes.length;
    aWs.send({ type: 'typing', channel: room.channel });
    await pushAfter(aPhone, mark, (f) => f.type === 'typing');
    await barrier(aWs);
    assert.deepEqual(typingFrom(aWs, room.channel, a!), []);

    const other = await roomOf(a!, []);
    await wsFails(aWs, { type: 'typing', channel: other.channel }, 'not_subscribed');
  });
});

describe('blocks hide presence and typing', () => {
  test('a blocked user’s joins, states, typing and leaves do not reach the blocker, and the other way round', async () => {
    const [owner, blocker, blocked] = await users(3, 'presblock');
    const room = await roomOf(owner!, [blocker!, blocked!]);
    const channel = room.channel;
    await blocker!.client.blocks.add(blocked!.id);
    const ownerWs = await connect(owner!);
    const blockerWs = await connect(blocker!);
    const blockedWs = await connect(blocked!);
    await wsOk(ownerWs, { type: 'sub', channel });
    await wsOk(blockerWs, { type: 'sub', channel });
    await wsOk(blockedWs, { type: 'sub', channel });
    await wsOk(blockedWs, { type: 'presence', channel, state: 'here' });
    await wsOk(blockedWs, { type: 'typing', channel });
    await wsOk(blockerWs, { type: 'presence', channel, state: 'also here' });
    await wsOk(blockerWs, { type: 'typing', channel });
    await ownerWs.next((f) => f.type === 'typing' && f.user.id === blocker!.id, WAIT_MS);
    await ownerWs.next((f) => f.type === 'typing' && f.user.id === blocked!.id, WAIT_MS);
    // The owner's typing reaches both: what they do not get below is hidden, not lost.
    await wsOk(ownerWs, { type: 'typing', channel });
    await blockerWs.next((f) => f.type === 'typing' && f.user.id === owner!.id, WAIT_MS);
    await blockedWs.next((f) => f.type === 'typing' && f.user.id === owner!.id, WAIT_MS);

    assert.deepEqual(
      await presenceOf(ownerWs, channel),
      entries([ownerWs, owner!, null], [blockerWs, blocker!, 'also here'], [blockedWs, blocked!, 'here']),
    );
    assert.deepEqual(await presenceOf(blockerWs, channel), entries([ownerWs, owner!, null], [blockerWs, blocker!, 'also here']));
    assert.deepEqual(await presenceOf(blockedWs, channel), entries([ownerWs, owner!, null], [blockedWs, blocked!, 'here']));

    await wsOk(blockedWs, { type: 'unsub', channel });
    await ownerWs.next((f) => f.type === 'presence.leave' && f.user.id === blocked!.id, WAIT_MS);
    await Promise.all([barrier(blockerWs), barrier(blockedWs)]);
    const seenUsers = (ws: Socket) =>
      new Set(
        [...presenceEvents(ws, channel), ...ws.pushes.filter((f) => f.type === 'typing')].map((f) => (f as { user: UserRef }).user.id),
      );
    assert.deepEqual(seenUsers(ownerWs), new Set([owner!.id, blocker!.id, blocked!.id]));
    assert.equal(seenUsers(blockerWs).has(blocked!.id), false, 'the blocker saw the blocked user');
    assert.equal(seenUsers(blockedWs).has(blocker!.id), false, 'the blocked user saw the blocker');
    assert.ok(seenUsers(blockerWs).has(owner!.id) && seenUsers(blockedWs).has(owner!.id));
  });
});

describe('status', () => {
  test('a user is online while any device is, idle when all are, offline when none: friends see each change, strangers nothing', async () => {
    const [a, friend, stranger] = await users(3, 'status');
    await befriend(a!, friend!);
    const friendWs = await connect(friend!);
    const strangerWs = await connect(stranger!);
    const changes = (ws: Socket) =>
      ws.pushes.filter((f): f is StatusEventFrame => f.type === 'status' && f.user.id === a!.id).map((f) => f.status);
    const nthChange = (n: number) => friendWs.next((f) => f.type === 'status' && changes(friendWs).length >= n, WAIT_MS);

    const laptop = await connect(a!);
    await nthChange(1);
    assert.deepEqual(
      friendWs.pushes.find((f) => f.type === 'status'),
      { type: 'status', user: ref(a!), status: 'online' },
    );
    const phone = await connect(a!);
    await wsOk(laptop, { type: 'status', status: 'idle' });
    await barrier(friendWs);
    assert.deepEqual(changes(friendWs), ['online'], 'one idle device of two leaves the user online');

    await wsOk(phone, { type: 'status', status: 'idle' });
    await nthChange(2);
    assert.deepEqual((await wsOk<StatusResult>(friendWs, { type: 'status.get' })).items, [{ user: ref(a!), status: 'idle' }]);
    await wsOk(laptop, { type: 'status', status: 'online' });
    await nthChange(3);
    laptop.close();
    await nthChange(4);
    phone.close();
    await nthChange(5);
    assert.deepEqual(changes(friendWs), ['online', 'idle', 'online', 'idle', 'offline']);
    assert.deepEqual((await wsOk<StatusResult>(friendWs, { type: 'status.get' })).items, [{ user: ref(a!), status: 'offline' }]);

    await barrier(strangerWs);
    assert.deepEqual(
      strangerWs.pushes.filter((f) => f.type === 'status'),
      [],
    );
    assert.deepEqual((await wsOk<StatusResult>(strangerWs, { type: 'status.get' })).items, []);
  });

  test('closing some of a user’s online sockets announces nothing while one stays online; closing the last announces offline', async () => {
    const [a, friend] = await users(2, 'statusmany');
    await befriend(a!, friend!);
    const friendWs = await connect(friend!);
    const changes = () =>
      friendWs.pushes.filter((f): f is StatusEventFrame => f.type === 'status' && f.user.id === a!.id).map((f) => f.status);
    const devices = await Promise.all(Array.from({ length: 4 }, () => connect(a!)));
    await friendWs.next((f) => f.type === 'status' && changes().length >= 1, WAIT_MS);
    await wsOk(devices[0]!, { type: 'status', status: 'idle' });
    for (const ws of devices.slice(1, 3)) ws.close();
    // Once the server dropped their entries, whatever it announced for the closes is before the barrier.
    const statusEntries = () => server.app.realtime.deps.presence.list(`status:${a!.id}`);
    await eventually(async () => assert.equal((await statusEntries()).size, 2), 'two closes handled');
    await barrier(friendWs);
    assert.deepEqual(changes(), ['online']);
    assert.deepEqual((await wsOk<StatusResult>(friendWs, { type: 'status.get' })).items, [{ user: ref(a!), status: 'online' }]);
    devices[3]!.close();
    await friendWs.next((f) => f.type === 'status' && changes().length >= 2, WAIT_MS);
    devices[0]!.close();
    await friendWs.next((f) => f.type === 'status' && changes().length >= 3, WAIT_MS);
    assert.deepEqual(changes(), ['online', 'idle', 'offline']);
  });

  test('status.get lists friends only, with their merged status', async () => {
    const [a, online, offline, stranger] = await users(4, 'statusget');
    await befriend(a!, online!);
    await befriend(offline!, a!);
    await connect(stranger!);
    const onlineWs = await connect(online!);
    await wsOk(onlineWs, { type: 'status', status: 'idle' });
    const ws = await connect(a!);
    const { items } = await wsOk<StatusResult>(ws, { type: 'status.get' });
    assert.deepEqual(
      items.sort((x, y) => (x.user.id < y.user.id ? -1 : 1)),
      [
        { user: ref(online!), status: 'idle' as const },
        { user: ref(offline!), status: 'offline' as const },
      ].sort((x, y) => (x.user.id < y.user.id ? -1 : 1)),
    );
  });
});
