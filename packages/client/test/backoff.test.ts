import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../src/realtime/backoff.js';

test('backoff grows exponentially between the bounds, with full jitter, and resets', () => {
  const top = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 1);
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.next()),
    [200, 400, 800, 1000, 1000, 1000],
  );
  top.reset();
  assert.equal(top.next(), 200);
  const bottom = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
  assert.deepEqual(
    Array.from({ length: 4 }, () => bottom.next()),
    [100, 100, 100, 100],
  );
  const long = new Backoff({}, () => 1);
  for (let i = 0; i < 100; i++) assert.ok(long.next() <= 10_000);
});
