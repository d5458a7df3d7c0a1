/**
 * A user's status (online, idle, offline) merged over their devices, which may sit on several nodes:
 * each connection keeps an entry under `status:<userId>` in the presence tracker, so the merge sees
 * every node's devices. A change of the merged status is pushed to the user's friends.
 */
import type { FriendStatus, UserRef, UserStatus } from '@lo/protocol';
import type { Broker } from '../core/broker.js';
import type { PresenceTracker } from '../core/presence.js';
import type { Store } from '../core/store.js';

export class StatusTracker {
  /** The merged status last announced per user that has a connection here. */
  private readonly announced = new Map<string, UserStatus>();
  /**
   * This node's online connections per user. While one of them is online the merged status is online
   * whatever the other devices do, so when that is what was announced, a change of another device here
   * needs no merge: listing the user's entries for every (re)connect and close of a user with hundreds of
   * sockets was quadratic (reconnect storm profile).
   */
  private readonly online = new Map<string, Set<string>>();

  constructor(
    private readonly presence: PresenceTracker,
    private readonly broker: Broker,
    private readonly store: Store,
  ) {}

  /** Adds or changes a device's entry and tells friends when the user's merged status changes. */
  async set(user: UserRef, clientId: string, status: 'online' | 'idle'): Promise<void> {
    if (status === 'online') this.noteOnline(user.id, clientId);
    else this.forgetOnline(user.id, clientId);
    await this.presence.add(key(user.id), clientId, { user, state: status });
    if (this.staysOnline(user.id)) return;
    await this.announce(user);
  }

  /** Keeps a device's entry alive (heartbeats): nothing changed, so nothing is merged or announced. */
  async touch(user: UserRef, clientId: string, status: 'online' | 'idle'): Promise<void> {
    await this.presence.add(key(user.id), clientId, { user, state: status });
  }

  async remove(user: UserRef, clientId: string): Promise<void> {
    this.forgetOnline(user.id, clientId);
    await this.presence.remove(key(user.id), clientId);
    if (this.staysOnline(user.id)) return;
    await this.announce(user);
  }

  async merged(userId: string): Promise<UserStatus> {
    let merged: UserStatus = 'offline';
    for (const info of (await this.presence.list(key(userId))).values()) {
      if (info.state === 'online') return 'online';
      merged = 'idle';
    }
    return merged;
  }

  /** The statuses of the given friends (at most `limit`). */
  async ofFriends(friendIds: Iterable<string>, limit: number): Promise<FriendStatus[]> {
    const ids = [...friendIds].slice(0, limit);
    const users = await this.store.users.byIds(ids);
    return Promise.all(users.map(async (u) => ({ user: { id: u.id, username: u.username }, status: await this.merged(u.id) })));
  }

  /** Whether online was announced and a connection here is still online, so the merge cannot change. */
  private staysOnline(userId: string): boolean {
    return this.announced.get(userId) === 'online' && this.online.has(userId);
  }

  private noteOnline(userId: string, clientId: string): void {
    let clients = this.online.get(userId);
    if (clients === undefined) {
      clients = new Set();
      this.online.set(userId, clients);
    }
    clients.add(clientId);
  }

  private forgetOnline(userId: string, clientId: string): void {
    const clients = this.online.get(userId);
    if (clients === undefined || !clients.delete(clientId)) return;
    if (clients.size === 0) this.online.delete(userId);
  }

  private async announce(user: UserRef): Promise<void> {
    const status = await this.merged(user.id);
    if (this.announced.get(user.id) === status) return;
    if (status === 'offline') this.announced.delete(user.id);
    else this.announced.set(user.id, status);
    const frame = JSON.stringify({ type: 'status', user, status });
    const friends = await this.store.social.friendIds(user.id);
    await Promise.all([...friends].map((id) => this.broker.publish(`user:${id}`, { frame, to: 'user', sheddable: true })));
  }
}

const key = (userId: string): string => `status:${userId}`;
