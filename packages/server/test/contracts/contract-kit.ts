/**
 * Shared pieces of the Store contract suite. Everything here goes through the Store interface only,
 * so any backend (SQLite today, PostgreSQL later) runs the suite unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageVisibility } from '@lo/protocol';
import type { NewGeoMessage, Store, UserRecord } from '../../src/core/store.js';
import { newId } from '../../src/util/ids.js';

/** Makes a fresh, migrated, empty store; `cleanup` closes it and removes whatever it made. */
export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** A fixed "now" for the suite: 2025-06-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 5, 1);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Registers a test that gets a fresh store of its own (so tests never see each other's rows). */
export function storeTest(factory: StoreFactory, name: string, fn: (store: Store) => Promise<void>): void {
  test(name, async () => {
    const made = await factory();
    try {
      await fn(made.store);
    } finally {
      await made.cleanup();
    }
  });
}

let userCounter = 0;

export async function makeUser(store: Store, prefix = 'user', createdAt = T0): Promise<UserRecord> {
  userCounter += 1;
  const user = await store.users.create({
    id: newId(createdAt),
    username: `${prefix}_${userCounter}`,
    passwordHash: `hash-${userCounter}`,
    role: 'user',
    createdAt,
  });
  assert.ok(user, 'a fresh username is free');
  return user;
}

export interface GeoDraft {
  lat?: number;
  lng?: number;
  radius?: number;
  visibility?: MessageVisibility;
  createdAt?: number;
  expiresAt?: number | null;
  clientMsgId?: string | null;
  content?: string;
  id?: string;
}

/** A geo post at (lat, lng) whose public point is the same spot (the privacy snap is not the store's job). */
export function geoDraft(authorId: string, draft: GeoDraft = {}): NewGeoMessage {
  const createdAt = draft.createdAt ?? T0;
  const lat = draft.lat ?? 48.8566;
  const lng = draft.lng ?? 2.3522;
  return {
    id: draft.id ?? newId(createdAt),
    authorId,
    kind: 'geo',
    content: draft.content ?? 'hello',
    lat,
    lng,
    publicLat: lat,
    publicLng: lng,
    radius: draft.radius ?? 1000,
    visibility: draft.visibility ?? 'public',
    createdAt,
    expiresAt: draft.expiresAt === undefined ? null : draft.expiresAt,
    clientMsgId: draft.clientMsgId === undefined ? null : draft.clientMsgId,
  };
}

export const acceptAll = (): boolean => true;

/**
 * Walks a keyset-paged list with a small page size, feeding the last item back as `after`, and checks
 * that every page but the last is full and no page is larger than `limit`.
 */
export async function walkPages<T, A>(
  limit: number,
  fetch: (after: A | undefined) => Promise<T[]>,
  afterOf: (last: T) => A,
  maxPages = 1000,
): Promise<T[]> {
  const all: T[] = [];
  let after: A | undefined;
  for (let pages = 0; pages < maxPages; pages += 1) {
    const page = await fetch(after);
    assert.ok(page.length <= limit, `a page holds at most ${limit} items (got ${page.length})`);
    all.push(...page);
    const last = page.at(-1);
    if (page.length < limit || last === undefined) return all;
    after = afterOf(last);
  }
  assert.fail(`paging did not end within ${maxPages} pages`);
}

/** Newest first: time desc, then id desc (the order of every `(at, id)` keyset list). */
export function byTimeDescIdDesc<T>(at: (t: T) => number, id: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => at(b) - at(a) || (id(a) < id(b) ? 1 : id(a) > id(b) ? -1 : 0);
}

export function sortedIds(items: Iterable<string>): string[] {
  return [...items].sort();
}

/** Mean Earth radius (IUGG) that the contract measures distances on. */
export const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres, written here (not imported) so the suite checks the store independently. */
export function greatCircleM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

export function assertClose(actual: number, expected: number, message?: string): void {
  const tolerance = 1e-6 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? 'value'}: ${actual} is not within 1e-6 of ${expected}`);
}
