import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeClientFrame, decodeServerMessage, encodeFrame } from '../src/codec.js';
import { WS_LIMITS, type ServerFrame } from '../src/realtime.js';

/** docs/PROTOCOL.md: what the server accepts as a client frame, rule by rule. */

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('decodeClientFrame accepts', () => {
  const VALID: Array<[string, Record<string, unknown>]> = [
    ['auth without an id', { type: 'auth', token: 'a.b.c' }],
    ['auth with an id and a 4096-character token', { type: 'auth', id: 1, token: 't'.repeat(4096) }],
    ['sub', { type: 'sub', id: 'r1', channel: 'room:01ARZ3NDEKTSV4RRFFQ69G5FAV' }],
    ['sub with since', { type: 'sub', id: 2, channel: 'room:x', since: { offset: 0, epoch: '' } }],
    [
      'sub with the largest since',
      { type: 'sub', id: 2, channel: 'room:x', since: { offset: Number.MAX_SAFE_INTEGER, epoch: 'e'.repeat(64) } },
    ],
    ['unsub', { type: 'unsub', id: 3, channel: 'public:lobby' }],
    ['pub of chat text', { type: 'pub', id: 4, channel: 'dm:01A:01B', data: { text: 'hi' } }],
    ['pub of null data', { type: 'pub', id: 4, channel: 'public:x', data: null }],
    ['pub with a 64-character client_msg_id', { type: 'pub', id: 4, channel: 'public:x', data: 1, client_msg_id: 'c'.repeat(64) }],
    ['pub of data nested 64 levels deep', { type: 'pub', id: 4, channel: 'public:x', data: nested(64) }],
    ['presence without an id', { type: 'presence', channel: 'room:x', state: { mood: '🙂' } }],
    ['presence clearing the state', { type: 'presence', id: 5, channel: 'room:x', state: null }],
    ['presence with a 512-byte state', { type: 'presence', channel: 'room:x', state: 's'.repeat(510) }],
    ['presence.get', { type: 'presence.get', id: 6, channel: 'room:x' }],
    ['typing', { type: 'typing', channel: 'room:x' }],
    ['status online', { type: 'status', status: 'online' }],
    ['status idle with an id', { type: 'status', id: 7, status: 'idle' }],
    ['status.get', { type: 'status.get', id: 8 }],
    ['ping', { type: 'ping' }],
    ['ping with a 64-character id', { type: 'ping', id: 'i'.repeat(64) }],
    ['ping with id 0', { type: 'ping', id: 0 }],
    ['ping with a negative id', { type: 'ping', id: -5 }],
    ['ping with the largest safe id', { type: 'ping', id: Number.MAX_SAFE_INTEGER }],
    ['a channel of exactly 128 characters', { type: 'sub', id: 9, channel: 'public:' + 'x'.repeat(121) }],
    ['a channel of every printable character', { type: 'sub', id: 9, channel: 'public:!~#$%&()*+,-./:;<=>?@[]^_`{|}' }],
  ];
  for (const [name, frame] of VALID) {
    test(name, () => {
      const text = JSON.stringify(frame);
      const decoded = decodeClientFrame(text);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.message);
      assert.deepEqual(decoded.frame, frame);
    });
  }
});

describe('decodeClientFrame refuses, answerably', () => {
  /** [rule, frame text, the message, the `re` the error can be answered with (undefined: none)]. */
  const INVALID: Array<[string, string, RegExp, string | number | undefined]> = [
    ['an unknown type', '{"type":"nope","id":1}', /^unknown frame type$/, 1],
    ['no type', '{"id":"a"}', /^unknown frame type$/, 'a'],
    ['a type that is not a string', '{"type":["ping"],"id":1}', /^unknown frame type$/, 1],
    ['a type named after an Object.prototype member', '{"type":"constructor","id":1}', /^unknown frame type$/, 1],
    ['a type of __proto__', '{"type":"__proto__","id":1}', /^unknown frame type$/, 1],
    ['a fractional id', '{"type":"ping","id":1.5}', /^id must be an integer or a string of 1-64 characters$/, undefined],
    ['an empty id', '{"type":"ping","id":""}', /^id must be/, undefined],
    ['a 65-character id', `{"type":"ping","id":"${'i'.repeat(65)}"}`, /^id must be/, undefined],
    ['an unsafe integer id', '{"type":"ping","id":9007199254740992}', /^id must be/, undefined],
    ['an id that is an object', '{"type":"ping","id":{}}', /^id must be/, undefined],
    ['an id of null', '{"type":"ping","id":null}', /^id must be/, undefined],
    ['an id of true', '{"type":"ping","id":true}', /^id must be/, undefined],
    ['a sub without an id', '{"type":"sub","channel":"room:x"}', /^a sub frame needs an id$/, undefined],
    ['an unsub without an id', '{"type":"unsub","channel":"room:x"}', /^a unsub frame needs an id$/, undefined],
    ['a pub without an id', '{"type":"pub","channel":"room:x","data":1}', /needs an id/, undefined],
    ['a presence.get without an id', '{"type":"presence.get","channel":"room:x"}', /needs an id/, undefined],
    ['a status.get without an id', '{"type":"status.get"}', /needs an id/, undefined],
    ['an unknown field', '{"type":"ping","id":1,"x":0}', /^unknown field "x"$/, 1],
    ['an own __proto__ field', '{"type":"ping","id":1,"__proto__":{"type":"sub"}}', /^unknown field "__proto__"$/, 1],
    ['a field of another frame type', '{"type":"typing","id":1,"channel":"room:x","state":1}', /^unknown field "state"$/, 1],
    ['auth without a token', '{"type":"auth","id":1}', /^token must be a string of 1-4096 characters$/, 1],
    ['an empty token', '{"type":"auth","token":""}', /^token must be/, undefined],
    ['a 4097-character token', `{"type":"auth","token":"${'t'.repeat(4097)}"}`, /^token must be/, undefined],
    ['a token that is a number', '{"type":"auth","id":2,"token":1}', /^token must be/, 2],
    ['a missing channel', '{"type":"sub","id":1}', /^channel must be a channel name/, 1],
    ['a channel that is not a string', '{"type":"sub","id":1,"channel":7}', /^channel must be/, 1],
    ['an unknown namespace', '{"type":"sub","id":1,"channel":"geo:x"}', /^channel must be/, 1],
    ['a namespace without a name', '{"type":"sub","id":1,"channel":"room:"}', /^channel must be/, 1],
    ['a channel with a space', '{"type":"sub","id":1,"channel":"room:a b"}', /^channel must be/, 1],
    ['a channel with a non-ASCII character', '{"type":"sub","id":1,"channel":"room:é"}', /^channel must be/, 1],
    ['a channel with a control character', '{"type":"sub","id":1,"channel":"room:a\\nb"}', /^channel must be/, 1],
    ['a channel over 128 characters', `{"type":"sub","id":1,"channel":"public:${'x'.repeat(122)}"}`, /^channel must be/, 1],
    ['since that is not an object', '{"type":"sub","id":1,"channel":"room:x","since":5}', /^since must be an object \{offset, epoch\}$/, 1],
    ['since of null', '{"type":"sub","id":1,"channel":"room:x","since":null}', /^since must be an object/, 1],
    ['since that is an array', '{"type":"sub","id":1,"channel":"room:x","since":[0,"e"]}', /^since must be an object/, 1],
    [
      'since with another key',
      '{"type":"sub","id":1,"channel":"room:x","since":{"offset":0,"epoch":"e","x":1}}',
      /only offset and epoch/,
      1,
    ],
    ['a negative offset', '{"type":"sub","id":1,"channel":"room:x","since":{"offset":-1,"epoch":"e"}}', /offset is an integer >= 0/, 1],
    ['a fractional offset', '{"type":"sub","id":1,"channel":"room:x","since":{"offset":0.5,"epoch":"e"}}', /offset is an integer/, 1],
    ['an offset past 2^53', '{"type":"sub","id":1,"channel":"room:x","since":{"offset":1e300,"epoch":"e"}}', /offset is an integer/, 1],
    [
      'an offset that is a string',
      '{"type":"sub","id":1,"channel":"room:x","since":{"offset":"1","epoch":"e"}}',
      /offset is an integer/,
      1,
    ],
    ['a missing epoch', '{"type":"sub","id":1,"channel":"room:x","since":{"offset":1}}', /epoch is a string of at most 64/, 1],
    [
      'a 65-character epoch',
      `{"type":"sub","id":1,"channel":"room:x","since":{"offset":1,"epoch":"${'e'.repeat(65)}"}}`,
      /epoch is a string/,
      1,
    ],
    ['pub without data', '{"type":"pub","id":1,"channel":"room:x"}', /^data must be a JSON value$/, 1],
    [
      'pub data nested 65 levels deep',
      `{"type":"pub","id":1,"channel":"public:x","data":${'['.repeat(65)}${']'.repeat(65)}}`,
      /^data must be JSON nested at most 64 levels deep$/,
      1,
    ],
    [
      'pub data nested thousands of levels deep',
      `{"type":"pub","id":1,"channel":"public:x","data":${'['.repeat(7000)}${']'.repeat(7000)}}`,
      /nested at most 64 levels/,
      1,
    ],
    [
      'pub data over the frame size',
      `{"type":"pub","id":1,"channel":"public:x","data":"${'d'.repeat(WS_LIMITS.frameMaxBytes)}"}`,
      /^data must be JSON of at most 16384 bytes$/,
      1,
    ],
    [
      'an empty client_msg_id',
      '{"type":"pub","id":1,"channel":"room:x","data":1,"client_msg_id":""}',
      /^client_msg_id must be a string of 1-64/,
      1,
    ],
    [
      'a 65-character client_msg_id',
      `{"type":"pub","id":1,"channel":"room:x","data":1,"client_msg_id":"${'c'.repeat(65)}"}`,
      /^client_msg_id must be/,
      1,
    ],
    [
      'a client_msg_id that is a number',
      '{"type":"pub","id":1,"channel":"room:x","data":1,"client_msg_id":5}',
      /^client_msg_id must be/,
      1,
    ],
    ['presence without a state', '{"type":"presence","id":1,"channel":"room:x"}', /^state must be a JSON value$/, 1],
    [
      'a presence state over 512 bytes',
      `{"type":"presence","id":1,"channel":"room:x","state":"${'s'.repeat(511)}"}`,
      /^state must be JSON of at most 512 bytes$/,
      1,
    ],
    [
      'a presence state over 512 bytes in UTF-8 though 258 characters long',
      `{"type":"presence","channel":"room:x","state":"${'é'.repeat(256)}"}`,
      /^state must be JSON of at most 512/,
      undefined,
    ],
    [
      'a presence state nested too deeply',
      `{"type":"presence","id":1,"channel":"room:x","state":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`,
      /nested at most 64/,
      1,
    ],
    ['a status other than online or idle', '{"type":"status","id":1,"status":"offline"}', /^status must be "online" or "idle"$/, 1],
    ['a missing status', '{"type":"status","id":1}', /^status must be/, 1],
  ];
  for (const [rule, text, message, re] of INVALID) {
    test(rule, () => {
      const decoded = decodeClientFrame(text);
      assert.equal(decoded.ok, false, `accepted ${text.slice(0, 200)}`);
      if (decoded.ok) return;
      assert.equal(decoded.fatal, false);
      assert.match(decoded.message, message);
      assert.equal(decoded.re, re);
      assert.equal('re' in decoded, re !== undefined, 'no re key without a usable id');
    });
  }
});

describe('decodeClientFrame refuses, fatally', () => {
  const FATAL: Array<[string, string, RegExp]> = [
    ['text that is not JSON', 'hello', /^frame is not JSON$/],
    ['an empty message', '', /^frame is not JSON$/],
    ['truncated JSON', '{"type":"ping"', /^frame is not JSON$/],
    ['JSON5-style single quotes', "{'type':'ping'}", /^frame is not JSON$/],
    ['an array', '[{"type":"ping"}]', /^frame is not a JSON object$/],
    ['a string', '"ping"', /^frame is not a JSON object$/],
    ['a number', '42', /^frame is not a JSON object$/],
    ['null', 'null', /^frame is not a JSON object$/],
    ['a boolean', 'true', /^frame is not a JSON object$/],
  ];
  for (const [rule, text, message] of FATAL) {
    test(rule, () => {
      const decoded = decodeClientFrame(text);
      assert.deepEqual(decoded, { ok: false, message: decoded.ok ? '' : decoded.message, fatal: true });
      assert.match(decoded.ok ? '' : decoded.message, message);
    });
  }
});

test('a decoded __proto__ field never reaches the frame’s prototype', () => {
  const decoded = decodeClientFrame('{"type":"ping","__proto__":{"polluted":true}}');
  assert.equal(decoded.ok, false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('encodeFrame and decodeServerMessage round-trip one frame and split coalesced ones on newlines', () => {
  const frames: ServerFrame[] = [
    { re: 1, ok: true, result: { text: 'line\nbreak' } },
    { type: 'pong' },
    { type: 'error', error: { code: 'invalid_frame', message: 'x' } },
  ];
  assert.deepEqual(decodeServerMessage(encodeFrame(frames[0]!)), [frames[0]]);
  assert.deepEqual(decodeServerMessage(frames.map(encodeFrame).join('\n')), frames);
  assert.deepEqual(decodeServerMessage(''), []);
});
