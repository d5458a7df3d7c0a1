import { randomBytes } from 'node:crypto';
import type { AuthResult } from '@lo/protocol';
import { OperatorError } from '../errors/operator-error.js';
import { errorType } from './op-error.js';
import type { Target } from './target.js';

/** A test account of one run. Its home is where all its geo traffic happens (plausible speed). */
export interface BenchUser {
  index: number;
  id: string;
  username: string;
  token: string;
  refreshToken: string;
  expiresInS: number;
  /** performance.now() when the access token was issued (in the coordinator's process). */
  issuedAt: number;
  home: { lat: number; lng: number };
}

export interface BenchRoom {
  id: string;
  channel: string;
}

/** Requests of the setup and cleanup in flight at once (signups are argon2 hashes on the server). */
const SETUP_CONCURRENCY = 8;

/** `bench_<runid>_`: every account of a run starts with it, so leftovers are easy to find. */
export function userPrefix(runId: string): string {
  return `bench_${runId}_`;
}

/**
 * Runs `task` for every item, `limit` at a time, stopping early when `signal` aborts or a task fails.
 * It returns (or throws the first failure) only once no task is running, so that whatever the tasks
 * created is known before cleanup starts.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !signal.aborted && !failed) {
      try {
        await task(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** A point `≤ spreadM` from `center`, spread evenly over the disc. */
function homeNear(center: { lat: number; lng: number }, spreadM: number): { lat: number; lng: number } {
  const distance = Math.sqrt(Math.random()) * spreadM;
  const angle = Math.random() * 2 * Math.PI;
  const lat = center.lat + (distance * Math.cos(angle)) / 111_320;
  const lng = center.lng + (distance * Math.sin(angle)) / (111_320 * Math.cos((center.lat * Math.PI) / 180));
  return { lat: Math.round(lat * 1e6) / 1e6, lng: Math.round(lng * 1e6) / 1e6 };
}

/**
 * Signs up `count` accounts into `into` (filled as they are made, so a failure part-way still knows
 * what to delete). A signup answered 429 stops the run: the target's signup limit is per client
 * address and far below what a load test needs.
 */
export async function createUsers(
  target: Target,
  runId: string,
  count: number,
  center: { lat: number; lng: number },
  into: BenchUser[],
  signal: AbortSignal,
): Promise<void> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  await eachLimited(indexes, SETUP_CONCURRENCY, signal, async (index) => {
    const username = `${userPrefix(runId)}${index}`;
    const password = `lo-bench-${randomBytes(12).toString('base64url')}`;
    let auth: AuthResult;
    const issuedAt = performance.now();
    try {
      auth = await target.json<AuthResult>('POST', '/api/auth/signup', { body: { username, password, device: 'lo bench' } });
    } catch (error) {
      if (errorType(error) === 'rate_limited') {
        throw new OperatorError(
          `the target refused signup ${into.length + 1} of ${count} with 429 rate_limited. lo bench creates its own test accounts; ` +
            `for the run, raise the limit on the target, e.g. LO_RATE_LIMITS=signup=${count}/3600 (it counts per client address), then restore it.`,
        );
      }
      throw new OperatorError(`signup of ${username} failed: ${(error as Error).message}`);
    }
    into.push({
      index,
      id: auth.user.id,
      username,
      token: auth.access_token,
      refreshToken: auth.refresh_token,
      expiresInS: auth.expires_in,
      issuedAt,
      home: homeNear(center, 2000),
    });
  });
  into.sort((a, b) => a.index - b.index);
}

/** Room `r` is owned by user `r mod users`; it is deleted with its owner's account. */
export async function createRooms(
  target: Target,
  runId: string,
  count: number,
  users: readonly BenchUser[],
  signal: AbortSignal,
): Promise<BenchRoom[]> {
  const rooms: BenchRoom[] = new Array<BenchRoom>(count);
  const indexes = Array.from({ length: count }, (_, i) => i);
  await eachLimited(indexes, SETUP_CONCURRENCY, signal, async (r) => {
    const owner = users[r % users.length]!;
    const body = { name: `bench ${runId} ${r}`, visibility: 'public' };
    const room = await setupStep(`creating room ${r}`, target.json<BenchRoom>('POST', '/api/rooms', { token: owner.token, body }));
    rooms[r] = { id: room.id, channel: room.channel };
  });
  return rooms;
}

/** Makes each user a member of the rooms its connections subscribe to (owners already are). */
export async function joinRooms(
  target: Target,
  rooms: readonly BenchRoom[],
  users: readonly BenchUser[],
  memberships: ReadonlyMap<number, ReadonlySet<number>>,
  signal: AbortSignal,
): Promise<void> {
  const joins: [BenchUser, BenchRoom][] = [];
  for (const [userIndex, roomIndexes] of memberships) {
    for (const r of roomIndexes) if (r % users.length !== userIndex) joins.push([users[userIndex]!, rooms[r]!]);
  }
  await eachLimited(joins, SETUP_CONCURRENCY, signal, async ([user, room]) => {
    await setupStep(`joining room ${room.id}`, target.json('POST', `/api/rooms/${room.id}/join`, { token: user.token }));
  });
}

async function setupStep<T>(what: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    const hint = errorType(error) === 'rate_limited' ? ' (raise the `write` rate limit on the target for the run)' : '';
    throw new OperatorError(`${what} failed: ${(error as Error).message}${hint}`);
  }
}

/** Exchanges a user's refresh token for new tokens (access tokens live 15 minutes; runs can be longer). */
export async function refreshUser(target: Target, user: BenchUser): Promise<void> {
  const auth = await target.json<AuthResult>('POST', '/api/auth/refresh', { body: { refresh_token: user.refreshToken } });
  user.token = auth.access_token;
  user.refreshToken = auth.refresh_token;
  user.expiresInS = auth.expires_in;
}

/** Seconds between attempts when a refresh fails (the target's `refresh` limit, a blip). */
const REFRESH_RETRY_MS = 2000;

/**
 * Keeps access tokens fresh through long runs (they live 15 minutes by default). Each user is
 * refreshed between half and four fifths of its token's life, spread by user so that refreshes
 * trickle instead of bursting into the target's per-address `refresh` limit; a failed one is retried
 * until the token expires (then its sockets close with token_expired, which the summary shows).
 * Returns the function that stops it.
 */
export function startTokenRefresh(target: Target, users: readonly BenchUser[], onFresh: (user: BenchUser) => void): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopped) run();
      },
      Math.max(0, ms),
    );
    timers.add(timer);
  };
  const schedule = (user: BenchUser) => {
    const lifeMs = user.expiresInS * 1000;
    const expiresAt = user.issuedAt + lifeMs;
    const attempt = () => {
      const issuedAt = performance.now();
      refreshUser(target, user).then(
        () => {
          user.issuedAt = issuedAt;
          if (stopped) return;
          onFresh(user);
          schedule(user);
        },
        () => {
          if (performance.now() + REFRESH_RETRY_MS < expiresAt) later(REFRESH_RETRY_MS, attempt);
        },
      );
    };
    later(user.issuedAt + lifeMs * (0.5 + (0.3 * (user.index % 100)) / 100) - performance.now(), attempt);
  };
  for (const user of users) schedule(user);
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  };
}

/**
 * Deletes every account (DELETE /api/me; their rooms and posts go with them). Returns the usernames
 * that could not be deleted, for the operator to remove by hand. Runs even after a ctrl-C, with its
 * own bound in time.
 */
export async function deleteUsers(target: Target, users: readonly BenchUser[], timeoutMs: number): Promise<string[]> {
  const left = new Set(users.map((u) => u.username));
  const signal = AbortSignal.timeout(timeoutMs);
  await eachLimited(users, SETUP_CONCURRENCY, signal, async (user) => {
    try {
      await target.json('DELETE', '/api/me', { token: user.token });
    } catch (error) {
      if (errorType(error) !== 'token_expired') return;
      try {
        await refreshUser(target, user);
        await target.json('DELETE', '/api/me', { token: user.token });
      } catch {
        return;
      }
    }
    left.delete(user.username);
  });
  return [...left];
}
