/**
 * GroupCommit (store/postgres/group-commit.ts) without a database: how calls form groups, and how a
 * failed group leaves each caller with its own outcome.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../src/store/postgres/group-commit.js';

/** A writer whose groups are recorded and finish when the test says so. */
function recorder(options: { maxGroup?: number; maxInFlight?: number; fail?: (items: number[]) => boolean } = {}) {
  const groups: number[][] = [];
  const singles: number[] = [];
  const pending: Array<() => void> = [];
  const writer = new GroupCommit<number, string>({
    writeGroup: (items) => {
      groups.push(items);
      return new Promise((resolve, reject) =>
        pending.push(() => (options.fail?.(items) ? reject(new Error(`group ${items.join(',')}`)) : resolve(items.map((i) => `g${i}`)))),
      );
    },
    single: async (item) => {
      singles.push(item);
      if (item < 0) throw new Error(`bad ${item}`);
      return `s${item}`;
    },
    maxGroup: options.maxGroup ?? 100,
    maxInFlight: options.maxInFlight ?? 1,
  });
  const finishNext = async () => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { writer, groups, singles, finishNext };
}

test('an idle writer sends the first call at once; calls made meanwhile form the next group, capped at maxGroup', async () => {
  const { writer, groups, finishNext } = recorder({ maxGroup: 3 });
  const first = writer.submit(1);
  await Promise.resolve();
  assert.deepEqual(groups, [[1]], 'written at the next microtask, with no timer');
  const later = [2, 3, 4, 5].map((i) => writer.submit(i));
  await finishNext();
  assert.equal(await first, 'g1');
  assert.deepEqual(groups, [[1], [2, 3, 4]]);
  await finishNext();
  await finishNext();
  assert.deepEqual(groups, [[1], [2, 3, 4], [5]]);
  assert.deepEqual(await Promise.all(later), ['g2', 'g3', 'g4', 'g5']);
});

test('calls of one tick share a group; maxInFlight groups are written at once', async () => {
  const { writer, groups, finishNext } = recorder({ maxGroup: 2, maxInFlight: 2 });
  const all = [1, 2, 3, 4, 5].map((i) => writer.submit(i));
  await Promise.resolve();
  assert.deepEqual(groups, [
    [1, 2],
    [3, 4],
  ]);
  await finishNext();
  assert.deepEqual(groups.at(-1), [5]);
  await finishNext();
  await finishNext();
  assert.deepEqual(await Promise.all(all), ['g1', 'g2', 'g3', 'g4', 'g5']);
});

test('a failed group is written again one by one, so each caller gets its own outcome', async () => {
  const { writer, singles, finishNext } = recorder({ fail: (items) => items.length > 1 });
  const settled = Promise.allSettled([1, -2, 3].map((i) => writer.submit(i)));
  await Promise.resolve();
  await finishNext();
  const outcomes = await settled;
  assert.deepEqual(singles, [1, -2, 3]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    ['s1', 'bad -2', 's3'],
  );
});

test('a group of one reports its own error without a second attempt', async () => {
  const { writer, singles, finishNext } = recorder({ fail: () => true });
  const rejected = assert.rejects(writer.submit(7), /group 7/);
  await Promise.resolve();
  await finishNext();
  await rejected;
  assert.deepEqual(singles, []);
});

test('an item the group leaves undefined goes through single', async () => {
  const writer = new GroupCommit<number, string>({
    writeGroup: async (items) => items.map((i) => (i % 2 === 0 ? `g${i}` : undefined)),
    single: async (item) => `s${item}`,
    maxGroup: 10,
    maxInFlight: 1,
  });
  assert.deepEqual(await Promise.all([1, 2, 3, 4].map((i) => writer.submit(i))), ['s1', 'g2', 's3', 'g4']);
});
