import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ChannelMessageRecord, NewChannelMessage } from '../../src/core/channel-repos.js';
import type { Store } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';
import { makeUser, MINUTE, storeTest, T0, type StoreFactory } from './contract-kit.js';

interface ChannelDraft {
  createdAt?: number;
  clientMsgId?: string | null;
  data?: unknown;
}

function draft(channel: string, authorId: string, d: ChannelDraft = {}): NewChannelMessage {
  const createdAt = d.createdAt ?? T0;
  const id = newId(createdAt);
  return { channel, id, authorId, data: JSON.stringify(d.data ?? { text: id }), createdAt, clientMsgId: d.clientMsgId ?? null };
}

/** Appends `count` messages, the i-th created at `at(i)`, and returns the stored records. */
async function appendMany(store: Store, channel: string, authorId: string, count: number, at = (_i: number) => T0) {
  const stored: ChannelMessageRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const { message, created } = await store.channels.append(draft(channel, authorId, { createdAt: at(i) }));
    assert.equal(created, true);
    stored.push(message);
  }
  return stored;
}

const offsets = (messages: ChannelMessageRecord[]) => messages.map((m) => m.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function runChannelContract(factory: StoreFactory): void {
  describe('channels', () => {
    storeTest(factory, 'append gives offsets 1..N in order and read returns the stored records ascending', async (store) => {
      const author = await makeUser(store);
      const first = draft('room:a', author.id, { data: { text: 'hi "there"', n: [1, 2] }, clientMsgId: 'c-1' });
      const result = await store.channels.append(first);
      assert.equal(result.created, true);
      assert.deepEqual(result.message, { ...first, offset: 1, authorUsername: author.username });
      const rest = await appendMany(store, 'room:a', author.id, 4);
      assert.deepEqual(offsets(rest), [2, 3, 4, 5]);
      const { state, messages } = await store.channels.read('room:a', 0, 100);
      assert.equal(state.offset, 5);
      assert.equal(state.trimmedThrough, 0);
      assert.deepEqual(messages, [result.message, ...rest]);
    });

    storeTest(factory, '200 concurrent appends on one channel get offsets 1..200 with no duplicates or gaps', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const drafts = range(1, 200).map((i) => draft('room:busy', (i % 3 === 0 ? a : b).id, { createdAt: T0 + (i % 7) }));
      const results = await Promise.all(drafts.map((d) => store.channels.append(d)));
      assert.ok(results.every((r) => r.created));
      assert.deepEqual(
        results.map((r) => r.message.offset).sort((a, b) => a - b),
        range(1, 200),
      );
      const { state, messages } = await store.channels.read('room:busy', 0, 1000);
      assert.equal(state.offset, 200);
      assert.deepEqual(offsets(messages), range(1, 200));
      const byId = new Map(results.map((r) => [r.message.id, r.message]));
      for (const m of messages) assert.deepEqual(m, byId.get(m.id), `message at offset ${m.offset} is the one stored there`);
    });

    storeTest(factory, 'channels have independent offsets and epochs; an epoch is stable', async (store) => {
      const author = await makeUser(store);
      for (let i = 1; i <= 3; i += 1) {
        assert.equal((await store.channels.append(draft('room:a', author.id))).message.offset, i);
        assert.equal((await store.channels.append(draft('dm:x:y', author.id))).message.offset, i);
      }
      const a1 = (await store.channels.read('room:a', 0, 0)).state;
      const b = (await store.channels.read('dm:x:y', 0, 0)).state;
      await store.channels.append(draft('room:a', author.id));
      const a2 = (await store.channels.read('room:a', 0, 0)).state;
      assert.equal(a1.offset, 3);
      assert.equal(a2.offset, 4);
      assert.equal(typeof a1.epoch, 'string');
      assert.ok(a1.epoch.length > 0);
      assert.equal(a2.epoch, a1.epoch);
      assert.notEqual(b.epoch, a1.epoch);
    });

    storeTest(factory, 'read on a never-used channel creates it at offset 0 and appends keep its epoch', async (store) => {
      const author = await makeUser(store);
      assert.deepEqual(await store.channels.latest('user:new', 10, null), []);
      const before = await store.channels.read('user:new', 0, 10);
      assert.equal(before.state.offset, 0);
      assert.equal(before.state.trimmedThrough, 0);
      assert.deepEqual(before.messages, []);
      assert.equal((await store.channels.append(draft('user:new', author.id))).message.offset, 1);
      const after = await store.channels.read('user:new', 0, 10);
      assert.equal(after.state.epoch, before.state.epoch);
      assert.equal(after.state.offset, 1);
    });

    storeTest(factory, 'read pages by afterOffset and limit; latest reads back from an offset, ascending', async (store) => {
      const author = await makeUser(store);
      const all = await appendMany(store, 'room:p', author.id, 10);
      await appendMany(store, 'room:other', author.id, 3);
      const page = await store.channels.read('room:p', 3, 4);
      assert.equal(page.state.offset, 10);
      assert.deepEqual(page.messages, all.slice(3, 7));
      assert.deepEqual((await store.channels.read('room:p', 10, 5)).messages, []);
      const walked: ChannelMessageRecord[] = [];
      for (let after = 0; ;) {
        const { messages } = await store.channels.read('room:p', after, 3);
        walked.push(...messages);
        const last = messages.at(-1);
        if (last === undefined) break;
        after = last.offset;
      }
      assert.deepEqual(walked, all);

      assert.deepEqual(await store.channels.latest('room:p', 3, null), all.slice(7));
      assert.deepEqual(await store.channels.latest('room:p', 3, 8), all.slice(4, 7));
      assert.deepEqual(await store.channels.latest('room:p', 5, 3), all.slice(0, 2));
      assert.deepEqual(await store.channels.latest('room:p', 3, 1), []);
      assert.deepEqual(await store.channels.latest('room:p', 100, null), all);
    });

    storeTest(factory, 'client_msg_id: the same author gets the original and no offset is used; others may reuse it', async (store) => {
      const a = await makeUser(store);
      const b = await makeUser(store);
      const original = await store.channels.append(draft('room:i', a.id, { clientMsgId: 'retry-1', data: { text: 'first' } }));
      assert.equal(original.created, true);
      const retry = await store.channels.append(draft('room:i', a.id, { clientMsgId: 'retry-1', data: { text: 'second' } }));
      assert.deepEqual(retry, { message: original.message, created: false });
      const elsewhere = await store.channels.append(draft('room:j', a.id, { clientMsgId: 'retry-1' }));
      assert.deepEqual(elsewhere, { message: original.message, created: false }, 'an id is the author’s, across channels');
      assert.equal((await store.channels.read('room:i', 0, 10)).state.offset, 1);
      assert.equal((await store.channels.read('room:j', 0, 10)).state.offset, 0);

      assert.equal((await store.channels.append(draft('room:i', a.id))).message.offset, 2);
      const fromB = await store.channels.append(draft('room:i', b.id, { clientMsgId: 'retry-1' }));
      assert.equal(fromB.created, true);
      assert.equal(fromB.message.offset, 3);
      assert.equal(fromB.message.authorId, b.id);
      assert.deepEqual(offsets(await store.channels.byAuthor(a.id)), [1, 2]);
    });

    storeTest(factory, 'trim by age removes old messages only in channels with the prefix', async (store) => {
      const author = await makeUser(store);
      const at = (i: number) => T0 + i * MINUTE;
      // Names that a LIKE pattern or a substring match would wrongly include.
      const names = ['room:x', 'room:y', 'roomy:z', 'dm:room:x', 'a_b:1', 'axb:1'];
      for (const name of names) await appendMany(store, name, author.id, 5, at);

      assert.equal(await store.channels.trim('room:', 0, at(3)), 6);
      for (const name of ['room:x', 'room:y']) {
        const { state, messages } = await store.channels.read(name, 0, 100);
        assert.deepEqual([state.offset, state.trimmedThrough], [5, 3], name);
        assert.deepEqual(offsets(messages), [4, 5], name);
      }
      assert.equal(await store.channels.trim('a_b:', 0, at(1)), 1);
      assert.deepEqual(offsets((await store.channels.read('a_b:1', 0, 100)).messages), [2, 3, 4, 5]);
      for (const name of ['roomy:z', 'dm:room:x', 'axb:1']) {
        const { state, messages } = await store.channels.read(name, 0, 100);
        assert.deepEqual([state.trimmedThrough, messages.length], [0, 5], `${name} is untouched`);
      }
      assert.equal(await store.channels.trim('room:', 0, at(3)), 0, 'nothing left to trim');
    });

    storeTest(factory, 'trim by count keeps the newest `keep` per channel and advances trimmedThrough', async (store) => {
      const author = await makeUser(store);
      await appendMany(store, 'dm:a:b', author.id, 10);
      await appendMany(store, 'dm:a:c', author.id, 3);
      await appendMany(store, 'room:k', author.id, 10);
      assert.equal(await store.channels.trim('dm:', 4, 0), 6);
      const ab = await store.channels.read('dm:a:b', 0, 100);
      assert.deepEqual([ab.state.offset, ab.state.trimmedThrough], [10, 6]);
      assert.deepEqual(offsets(ab.messages), [7, 8, 9, 10]);
      const ac = await store.channels.read('dm:a:c', 0, 100);
      assert.deepEqual([ac.state.trimmedThrough, offsets(ac.messages)], [0, [1, 2, 3]]);
      assert.equal((await store.channels.read('room:k', 0, 100)).messages.length, 10);
      assert.equal(await store.channels.trim('dm:', 4, 0), 0);

      // Age and count together: dm:a:b loses 7..10 by age and 11 by count, dm:a:c 1..3 by age.
      await appendMany(store, 'dm:a:b', author.id, 2, () => T0 + MINUTE);
      assert.equal(await store.channels.trim('dm:', 1, T0 + 1), 4 + 1 + 3);
      const again = await store.channels.read('dm:a:b', 0, 100);
      assert.deepEqual([again.state.trimmedThrough, offsets(again.messages)], [11, [12]]);
      assert.deepEqual((await store.channels.read('dm:a:c', 0, 100)).state.trimmedThrough, 3);
      assert.equal((await store.channels.append(draft('dm:a:b', author.id))).message.offset, 13, 'offsets go on after a trim');
    });

    storeTest(factory, 'deleting a user removes their messages (holes stay) and the rooms they own with their history', async (store) => {
      const gone = await makeUser(store);
      const stays = await makeUser(store);
      const owned = { id: newId(T0), name: 'mine', visibility: 'public' as const, ownerId: gone.id, geofence: null, createdAt: T0 };
      const other = { ...owned, id: newId(T0), name: 'theirs', ownerId: stays.id };
      await store.rooms.create(owned);
      await store.rooms.create(other);
      assert.ok(await store.rooms.addMember(owned.id, stays.id, 'member', T0 + 1));
      assert.ok(await store.rooms.addMember(other.id, gone.id, 'member', T0 + 1));
      const ownedChannel = `room:${owned.id}`;
      const otherChannel = `room:${other.id}`;
      const kept: ChannelMessageRecord[] = [];
      for (let i = 0; i < 6; i += 1) {
        const author = i % 2 === 0 ? gone : stays;
        await store.channels.append(draft(ownedChannel, author.id));
        const { message } = await store.channels.append(draft(otherChannel, author.id));
        if (author === stays) kept.push(message);
      }
      const ownedEpoch = (await store.channels.read(ownedChannel, 0, 0)).state.epoch;

      assert.equal(await store.users.delete(gone.id), true);
      assert.deepEqual(await store.channels.byAuthor(gone.id), []);
      const { state, messages } = await store.channels.read(otherChannel, 0, 100);
      assert.equal(state.offset, 6);
      assert.deepEqual(messages, kept);
      assert.deepEqual(offsets(messages), [2, 4, 6]);
      assert.equal((await store.channels.append(draft(otherChannel, stays.id))).message.offset, 7, 'offsets are never reused');

      assert.equal(await store.rooms.byId(owned.id), null);
      assert.equal(await store.rooms.role(owned.id, stays.id), null);
      assert.deepEqual(offsets(await store.channels.byAuthor(stays.id)), [2, 4, 6, 7], "the owned room's history went too");
      const reborn = await store.channels.read(ownedChannel, 0, 100);
      assert.deepEqual([reborn.state.offset, reborn.messages], [0, []]);
      assert.notEqual(reborn.state.epoch, ownedEpoch, "the room's channel starts over");
      assert.equal(await store.rooms.memberCount(other.id), 1);
      assert.deepEqual(await store.rooms.ofUser(gone.id, 10), []);
    });
  });
}
