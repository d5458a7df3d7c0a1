import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ERRORS, WS_LIMITS, type ReplyError, type ServerFrame } from '@lo/protocol';
import fc from 'fast-check';
import { api } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup, type TestUser } from './helpers/users.js';
import { WsTestClient } from './helpers/ws-client.js';
import { FrameLog, openSocket } from './helpers/ws-raw.js';

/**
 * DESIGN section 8: bad input gets a clear error code and changes nothing; it never crashes the
 * process. Random and mangled frames go to a real server; whatever they are, the answer is a reply, a
 * push or a close with a protocol code, never `internal`, and the server keeps serving.
 */
let server: TestServer;
let owner: TestUser;
let fuzzer: TestUser;
let room: string;

before(async () => {
  server = await startServer();
  [owner, fuzzer] = await Promise.all([signup(server, 'owner'), signup(server, 'fuzzer')]);
  const created = await api<{ id: string; channel: string }>(server, 'POST', '/rooms', {
    token: owner.auth.access_token,
    body: { name: 'fuzz room', visibility: 'public' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  room = created.body.channel;
  const joined = await api(server, 'POST', `/rooms/${created.body.id}/join`, { token: fuzzer.auth.access_token });
  assert.ok(joined.status >= 200 && joined.status < 300, JSON.stringify(joined.body));
});
after(() => server.close());

const WAIT_MS = 15_000;
const CODES = new Set(Object.keys(ERRORS));

async function authenticated(user: TestUser = fuzzer): Promise<{ log: FrameLog; client: string }> {
  const log = new FrameLog(await openSocket(server.url));
  log.send({ type: 'auth', id: 'auth', token: user.auth.access_token });
  const reply = await log.reply('auth', 0, WAIT_MS);
  assert.ok(reply !== null && 're' in reply && reply.ok, `auth failed: ${JSON.stringify(reply)}`);
  return { log, client: (reply.result as { client: string }).client };
}

async function closeLog(log: FrameLog): Promise<void> {
  log.socket.close();
  await log.closed;
}

/** The protocol's rule for a usable request id (docs/PROTOCOL.md): an integer, or a string of 1-64 characters. */
function usableId(value: unknown): value is string | number {
  return (typeof value === 'string' && value.length >= 1 && value.length <= WS_LIMITS.requestIdMaxLength) || Number.isSafeInteger(value);
}

/** What the server must do with one WebSocket text message: close with this code, or answer it (null). */
function expectedClose(text: string): number | null {
  if (Buffer.byteLength(text) > WS_LIMITS.frameMaxBytes) return 1009;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? null : 4503;
  } catch {
    return 4503;
  }
}

function assertNoInternal(frames: ServerFrame[], context: string): void {
  for (const frame of frames) {
    const error = 'error' in frame ? (frame as ReplyError).error : undefined;
    if (error === undefined) continue;
    assert.notEqual(error.code, 'internal', `${context}: ${JSON.stringify(frame)}`);
    assert.ok(CODES.has(error.code), `${context}: an error code outside the catalogue: ${JSON.stringify(frame)}`);
    assert.equal(typeof error.message, 'string', context);
  }
}

// ---- arbitraries ----

const TYPES = ['auth', 'sub', 'unsub', 'pub', 'presence', 'presence.get', 'typing', 'status', 'status.get', 'ping'];
const KEYS = ['type', 'id', 'channel', 'data', 'since', 'token', 'state', 'status', 'client_msg_id', 'offset', 'epoch'];
const POLLUTING = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

const hugeNumber = fc.constantFrom(
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '9007199254740993',
  '-0',
  '0.0000001e-400',
  '1E+308',
);
const channelArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      'public:fuzz',
      'public:other',
      room,
      `user:${fuzzer.id}`,
      `user:${owner.id}`,
      `dm:${owner.id}:${fuzzer.id}`,
      'room:01ARZ3NDEKTSV4RRFFQ69G5FAV',
    ),
    fc.string({ maxLength: 140 }).map((s) => `public:${s}`),
    fc.string({ maxLength: 20 }),
  );
const idArb = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 70 }),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.constant({}),
  fc.constant([1]),
);
const valueArb = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(...TYPES, ...POLLUTING),
    channelArb(),
    idArb,
    fc.record({ offset: fc.oneof(fc.integer(), fc.double(), fc.string()), epoch: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()) }),
    fc.constantFrom('online', 'idle', 'away'),
    fc.dictionary(fc.constantFrom(...POLLUTING, 'text', 'admin'), fc.jsonValue({ maxDepth: 2 })),
  );

/** JSON text of an object built key by key, so `__proto__` and duplicate keys reach the server as written. */
function objectText(entries: Array<[string, unknown]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

const validFrameArb = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    fc.record({ type: fc.constant('sub'), id: fc.integer({ min: 0 }), channel: channelArb() }),
    fc.record({ type: fc.constant('unsub'), id: fc.string({ minLength: 1, maxLength: 64 }), channel: channelArb() }),
    fc.record({ type: fc.constant('pub'), id: fc.nat(), channel: channelArb(), data: fc.jsonValue({ maxDepth: 4 }) }),
    fc.record({
      type: fc.constant('pub'),
      id: fc.nat(),
      channel: fc.constant(room),
      data: fc.record({ text: fc.string({ maxLength: 50 }) }),
    }),
    fc.record({ type: fc.constant('presence'), channel: channelArb(), state: fc.jsonValue({ maxDepth: 3 }) }),
    fc.record({ type: fc.constant('presence.get'), id: fc.nat(), channel: channelArb() }),
    fc.record({ type: fc.constant('typing'), channel: channelArb() }),
    fc.record({ type: fc.constant('status'), id: fc.nat(), status: fc.constantFrom('online', 'idle') }),
    fc.record({ type: fc.constant('status.get'), id: fc.nat() }),
    fc.record({ type: fc.constant('ping'), id: fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 64 })) }),
    fc.record({ type: fc.constant('auth'), id: fc.nat(), token: fc.string({ minLength: 1, maxLength: 200 }) }),
    fc.record({
      type: fc.constant('sub'),
      id: fc.nat(),
      channel: channelArb(),
      since: fc.record({ offset: fc.nat(), epoch: fc.string({ maxLength: 64 }) }),
    }),
  );

/** A valid frame with one field removed, replaced, or added. */
const mutatedFrameArb = (): fc.Arbitrary<string> =>
  fc
    .tuple(validFrameArb(), fc.constantFrom('drop', 'replace', 'add'), fc.nat(), fc.constantFrom(...KEYS, ...POLLUTING), valueArb())
    .map(([frame, how, index, key, value]) => {
      const entries = Object.entries(frame);
      const at = index % entries.length;
      if (how === 'drop') entries.splice(at, 1);
      else if (how === 'replace') entries[at] = [entries[at]![0], value];
      else entries.push([key, value]);
      return objectText(entries);
    });

/** A valid frame's text cut short, or with characters overwritten or inserted. */
const mangledTextArb = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      validFrameArb(),
      fc.constantFrom('truncate', 'overwrite', 'insert'),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }),
    )
    .map(([frame, how, index, chars]) => {
      const text = JSON.stringify(frame);
      const at = index % (text.length + 1);
      if (how === 'truncate') return text.slice(0, at);
      if (how === 'overwrite') return text.slice(0, at) + chars + text.slice(at + chars.length);
      return text.slice(0, at) + chars + text.slice(at);
    });

/** Frames whose numbers or nesting are extreme, and frames around the 16 KiB bound. */
const extremeArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    hugeNumber,
    hugeNumber.map((n) => `{"type":"ping","id":${n}}`),
    hugeNumber.map((n) => `{"type":"sub","id":1,"channel":"public:fuzz","since":{"offset":${n},"epoch":"e"}}`),
    hugeNumber.map((n) => `{"type":"pub","id":"n","channel":"public:fuzz","data":${n}}`),
    fc
      .integer({ min: 1, max: 9000 })
      .map((d) => `{"type":"pub","id":"deep","channel":"public:fuzz","data":${'['.repeat(d)}${']'.repeat(d)}}`),
    fc
      .integer({ min: 1, max: 2700 })
      .map((d) => `{"type":"presence","id":"deep","channel":"public:fuzz","state":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`),
    fc.integer({ min: 1, max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
    fc.integer({ min: 1, max: 3000 }).map((d) => '{"a":'.repeat(d)),
    fc.integer({ min: -40, max: 40 }).map((delta) => {
      const head = '{"type":"pub","id":"edge","channel":"public:fuzz","data":"';
      return head + 'é'.repeat(Math.max(0, Math.floor((WS_LIMITS.frameMaxBytes + delta - head.length - 2) / 2))) + '"}';
    }),
    fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .map((s) => `{"type":"pub","id":"u","channel":"public:fuzz","data":${JSON.stringify(s)}}`),
  );

const fuzzTextArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.array(fc.tuple(fc.constantFrom(...KEYS, ...POLLUTING), valueArb()), { maxLength: 8 }).map(objectText),
    mutatedFrameArb(),
    mangledTextArb(),
    extremeArb(),
    validFrameArb().map((f) => JSON.stringify(f)),
  );

// ---- properties ----

test('any text frame gets a reply, a push or a protocol close, never internal, and the server stays healthy', async () => {
  let session = await authenticated();
  let sentinel = 0;
  await fc.assert(
    fc.asyncProperty(fuzzTextArb(), async (text) => {
      if (session.log.isClosed) session = await authenticated();
      const { log } = session;
      const from = log.frames.length;
      log.send(text);
      const mark = `~sentinel~${sentinel++}`;
      log.send({ type: 'ping', id: mark });
      const end = await log.waitFor((f) => 're' in f && f.re === mark, from, WAIT_MS);
      const answers = log.frames.slice(from, end ?? undefined);
      const context = `frame ${JSON.stringify(text.slice(0, 300))}`;
      assertNoInternal(answers, context);

      const closeExpected = expectedClose(text);
      if (end === null) {
        const { code } = await log.closed;
        assert.equal(code, closeExpected, `${context}: closed with ${code}`);
        return;
      }
      assert.equal(closeExpected, null, `${context}: expected a close with ${closeExpected}, got ${JSON.stringify(answers)}`);
      // Exactly one reply when the frame had a usable id (as the server reads it: UTF-8 round trip), none otherwise.
      const id = (JSON.parse(Buffer.from(text).toString()) as { id?: unknown }).id;
      const replies = answers.filter((f) => 're' in f);
      if (usableId(id)) {
        assert.equal(replies.length, 1, `${context}: ${JSON.stringify(answers)}`);
        // Compared as numbers compare (JSON has no -0: an id of -0 comes back as 0).
        assert.ok(replies[0]!.re === id, `${context}: reply to ${JSON.stringify(replies[0]!.re)}`);
      } else {
        assert.deepEqual(replies, [], context);
      }
    }),
    { numRuns: 400 },
  );
  await closeLog(session.log);

  const ready = await api(server, 'GET', '/health/ready');
  assert.equal(ready.status, 200);
  // A fresh client can still authenticate, subscribe and publish, in the room and on a public channel.
  const [reader, writer] = [
    await WsTestClient.connect(server.url, owner.auth.access_token),
    await WsTestClient.connect(server.url, fuzzer.auth.access_token),
  ];
  for (const channel of [room, 'public:after-fuzz']) {
    await reader.ok({ type: 'sub', channel });
    const published = await writer.ok<{ id: string }>({ type: 'pub', channel, data: { text: 'still here' } });
    const message = await reader.next((f) => f.type === 'msg' && f.id === published.id, WAIT_MS);
    assert.deepEqual(message.type === 'msg' && message.data, { text: 'still here' });
  }
  reader.close();
  writer.close();
});

type Channel = 'room' | 'public';
type Step =
  | { kind: 'sub' | 'unsub' | 'presence.get'; ch: Channel }
  | { kind: 'pub'; ch: Channel; text: string; data: unknown }
  | { kind: 'presence'; ch: Channel; state: unknown; withId: boolean }
  | { kind: 'typing'; ch: Channel; withId: boolean }
  | { kind: 'status'; status: 'online' | 'idle'; withId: boolean }
  | { kind: 'status.get' }
  | { kind: 'ping'; withId: boolean }
  | { kind: 'junk'; text: string; withId: boolean };

const stepArb = (): fc.Arbitrary<Step> => {
  const ch = fc.constantFrom<Channel>('room', 'public');
  const small = fc.jsonValue({ maxDepth: 2 }).filter((v) => Buffer.byteLength(JSON.stringify(v)) <= 400);
  return fc.oneof(
    fc.record({ kind: fc.constantFrom('sub' as const, 'unsub' as const, 'presence.get' as const), ch }),
    fc.record({
      kind: fc.constant('pub' as const),
      ch,
      text: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
      data: small,
    }),
    fc.record({ kind: fc.constant('presence' as const), ch, state: small, withId: fc.boolean() }),
    fc.record({ kind: fc.constant('typing' as const), ch, withId: fc.boolean() }),
    fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom('online' as const, 'idle' as const), withId: fc.boolean() }),
    fc.record({ kind: fc.constant('status.get' as const) }),
    fc.record({ kind: fc.constant('ping' as const), withId: fc.boolean() }),
    fc.record({
      kind: fc.constant('junk' as const),
      // Each of these breaks one codec rule; the id is added (or not) when the step is sent.
      text: fc.constantFrom(
        '"type":"nope"',
        '"type":"sub","channel":"nowhere:x"',
        '"type":"pub","channel":"public:seq"',
        '"type":"presence","channel":"public:seq","state":1,"extra":2',
        '"type":"sub","channel":"public:seq","since":{"offset":-1,"epoch":"e"}',
        '"type":"status","status":"away"',
        '"type":"typing","channel":"public:has space"',
        '"__proto__":{"type":"ping"},"type":"ping"',
      ),
      withId: fc.boolean(),
    }),
  );
};

interface Expectation {
  id: string | undefined;
  /** 'ok', or the error code. */
  outcome: string;
  step: Step;
}

test('mixed valid and invalid frames: every request gets one reply with its id and the outcome a model predicts', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb(), { minLength: 1, maxLength: 30 }), async (steps) => {
      run++;
      const { log, client } = await authenticated();
      const channels: Record<Channel, string> = { room, public: 'public:seq' };
      const subs = new Set<Channel>();
      const expected: Expectation[] = [];
      const pushedErrors: string[] = [];
      let pongs = 0;
      steps.forEach((step, i) => {
        const id = `${run}.${i}`;
        const expect = (outcome: string, withId = true) => {
          expected.push({ id: withId ? id : undefined, outcome, step });
          if (!withId && outcome !== 'ok') pushedErrors.push(outcome);
        };
        switch (step.kind) {
          case 'sub':
            log.send({ type: 'sub', id, channel: channels[step.ch] });
            expect(subs.has(step.ch) ? 'already_subscribed' : 'ok');
            subs.add(step.ch);
            break;
          case 'unsub':
            log.send({ type: 'unsub', id, channel: channels[step.ch] });
            expect(subs.delete(step.ch) ? 'ok' : 'not_subscribed');
            break;
          case 'presence.get':
            log.send({ type: 'presence.get', id, channel: channels[step.ch] });
            expect(subs.has(step.ch) ? 'ok' : 'not_subscribed');
            break;
          case 'pub':
            log.send({ type: 'pub', id, channel: channels[step.ch], data: step.ch === 'room' ? { text: step.text } : step.data });
            expect('ok');
            break;
          case 'presence':
            log.send({ type: 'presence', channel: channels[step.ch], state: step.state, ...(step.withId && { id }) });
            expect(subs.has(step.ch) ? 'ok' : 'not_subscribed', step.withId);
            break;
          case 'typing':
            log.send({ type: 'typing', channel: channels[step.ch], ...(step.withId && { id }) });
            expect(subs.has(step.ch) ? 'ok' : 'not_subscribed', step.withId);
            break;
          case 'status':
            log.send({ type: 'status', status: step.status, ...(step.withId && { id }) });
            expect('ok', step.withId);
            break;
          case 'status.get':
            log.send({ type: 'status.get', id });
            expect('ok');
            break;
          case 'ping':
            log.send({ type: 'ping', ...(step.withId && { id }) });
            if (!step.withId) pongs++;
            expect('ok', step.withId);
            break;
          case 'junk':
            log.send(`{${step.text}${step.withId ? `,"id":${JSON.stringify(id)}` : ''}}`);
            expect('invalid_frame', step.withId);
            break;
        }
      });
      log.send({ type: 'ping', id: 'end' });
      const end = await log.waitFor((f) => 're' in f && f.re === 'end', 0, WAIT_MS);
      if (end === null) assert.fail(`the socket closed: ${JSON.stringify(await log.closed)}`);
      const frames = log.frames.slice(0, end).filter((f) => !('re' in f && f.re === 'auth'));
      assertNoInternal(frames, JSON.stringify(steps));

      const replies = new Map<unknown, ServerFrame[]>();
      for (const frame of frames) if ('re' in frame) replies.set(frame.re, [...(replies.get(frame.re) ?? []), frame]);
      const withIds = expected.filter((e) => e.id !== undefined);
      assert.deepEqual([...replies.keys()].sort(), withIds.map((e) => e.id).sort(), 'one reply per request id, no others');
      const roomOffsets: number[] = [];
      for (const { id, outcome, step } of withIds) {
        const got = replies.get(id)!;
        assert.equal(got.length, 1, `${id}: ${JSON.stringify(got)}`);
        const reply = got[0]!;
        assert.ok('re' in reply);
        const label = `${id} ${JSON.stringify(step)}: ${JSON.stringify(reply)}`;
        assert.equal(reply.ok ? 'ok' : reply.error.code, outcome, label);
        if (!reply.ok) continue;
        const result = reply.result;
        if (step.kind === 'pub') {
          if (step.ch === 'room') roomOffsets.push(result.offset as number);
          else assert.equal(result.offset, undefined, label);
        }
        if (step.kind === 'presence.get') {
          const items = result.items as Array<{ client: string }>;
          assert.ok(
            items.some((item) => item.client === client),
            `${label}: own presence entry missing`,
          );
        }
      }
      for (let i = 1; i < roomOffsets.length; i++)
        assert.ok(roomOffsets[i]! > roomOffsets[i - 1]!, `room offsets in send order: ${String(roomOffsets)}`);

      const errorPushes = frames.flatMap((f) => ('type' in f && f.type === 'error' ? [f.error.code] : []));
      assert.deepEqual(errorPushes.sort(), pushedErrors.sort(), 'error pushes for failed frames without an id');
      assert.equal(frames.filter((f) => 'type' in f && f.type === 'pong').length, pongs, 'a pong per ping without an id');
      await closeLog(log);
    }),
    { numRuns: 200 },
  );
  assert.equal((await api(server, 'GET', '/health/ready')).status, 200);
});
