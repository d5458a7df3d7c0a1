import type { BlockEntry, Friend, FriendRequest, Page } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import { decodeAfter, toPage } from '../paging.js';
import { NO_REALTIME_EVENTS, type RealtimeEvents } from '../realtime-events.js';
import type { EdgeRecord, FriendRequestRecord, Store, UserRecord } from '../store.js';
import { userRef } from '../users/user-views.js';

/**
 * Friend requests, friendships and blocks. A block hides both people from each other everywhere:
 * profiles, requests, feeds; and it ends their friendship and pending requests.
 */
export class SocialService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Friend-request notifications on `user:<id>`, and relation changes for live connections. */
    private readonly events: RealtimeEvents = NO_REALTIME_EVENTS,
  ) {}

  /** Sends a request; when the other person already asked us, this accepts theirs instead. */
  async request(fromId: string, toId: string): Promise<FriendRequest> {
    if (fromId === toId) throw new LoError('invalid_target', 'You cannot befriend yourself.');
    const target = await this.visibleUser(fromId, toId);
    const state = await this.store.social.relation(fromId, toId);
    if (state.blocks) throw new LoError('user_blocked');
    if (state.friendsSince !== null) throw new LoError('already_friends');
    if (state.sentRequest !== null) throw new LoError('friend_request_exists');
    const now = this.clock.now();
    if (state.receivedRequest !== null) {
      await this.store.social.respond(state.receivedRequest.id, 'accepted', now);
      await this.events.relationsChanged([fromId, toId]);
      await this.events.notify(toId, await this.refOf(fromId), { kind: 'friend_accepted', request_id: state.receivedRequest.id });
      return this.view({ ...state.receivedRequest, status: 'accepted' });
    }
    const request: FriendRequestRecord = { id: newId(now), fromId, toId: target.id, status: 'pending', createdAt: now, respondedAt: null };
    await this.store.social.createRequest(request);
    await this.events.notify(target.id, await this.refOf(fromId), { kind: 'friend_request', request_id: request.id });
    return this.view(request);
  }

  async incoming(userId: string, limit: number, cursor?: string): Promise<Page<FriendRequest>> {
    const rows = await this.store.social.incoming(userId, limit + 1, decodeAfter(cursor));
    const views = await this.views(rows);
    return toPage(
      views,
      limit,
      (v) => ({ at: Date.parse(v.created_at), id: v.id }),
      (v) => v,
    );
  }

  async respond(userId: string, requestId: string, status: 'accepted' | 'declined'): Promise<FriendRequest> {
    const request = await this.store.social.requestById(requestId);
    if (request === null || request.toId !== userId || request.status !== 'pending') throw new LoError('friend_request_not_found');
    if (!(await this.store.social.respond(requestId, status, this.clock.now()))) throw new LoError('friend_request_not_found');
    if (status === 'accepted') {
      await this.events.relationsChanged([request.fromId, userId]);
      await this.events.notify(request.fromId, await this.refOf(userId), { kind: 'friend_accepted', request_id: requestId });
    }
    return this.view({ ...request, status });
  }

  async friends(userId: string, limit: number, cursor?: string): Promise<Page<Friend>> {
    const edges = await this.store.social.friends(userId, limit + 1, decodeAfter(cursor));
    const users = await this.usersById(edges.map((e) => e.userId));
    return toPage(edges, limit, cursorOfEdge, (edge) => {
      const user = users.get(edge.userId);
      return { user: { id: edge.userId, username: user?.username ?? '' }, display_name: user?.displayName ?? null, since: iso(edge.at) };
    });
  }

  async removeFriend(userId: string, friendId: string): Promise<void> {
    if (!(await this.store.social.removeFriend(userId, friendId))) throw new LoError('friend_not_found');
    await this.events.relationsChanged([userId, friendId]);
  }

  async block(userId: string, targetId: string): Promise<BlockEntry> {
    if (userId === targetId) throw new LoError('invalid_target', 'You cannot block yourself.');
    const target = await this.store.users.byId(targetId);
    if (target === null) throw new LoError('user_not_found');
    const now = this.clock.now();
    await this.store.social.block(userId, targetId, now);
    await this.store.audit.record({ id: newId(now), at: now, actorId: userId, action: 'social.block', target: targetId, data: null });
    await this.events.relationsChanged([userId, targetId]);
    return { user: userRef(target), created_at: iso(now) };
  }

  async unblock(userId: string, targetId: string): Promise<void> {
    if (!(await this.store.social.unblock(userId, targetId))) throw new LoError('block_not_found');
    await this.events.relationsChanged([userId, targetId]);
  }

  async blocks(userId: string, limit: number, cursor?: string): Promise<Page<BlockEntry>> {
    const edges = await this.store.social.blocks(userId, limit + 1, decodeAfter(cursor));
    const users = await this.usersById(edges.map((e) => e.userId));
    return toPage(edges, limit, cursorOfEdge, (edge) => ({
      user: { id: edge.userId, username: users.get(edge.userId)?.username ?? '' },
      created_at: iso(edge.at),
    }));
  }

  private async refOf(userId: string): Promise<{ id: string; username: string }> {
    return { id: userId, username: (await this.store.users.byId(userId))?.username ?? '' };
  }

  /** The user, unless missing or either of the two blocks the other (indistinguishable to the caller). */
  private async visibleUser(viewerId: string, userId: string): Promise<UserRecord> {
    const user = await this.store.users.byId(userId);
    if (user === null) throw new LoError('user_not_found');
    const state = await this.store.social.relation(viewerId, userId);
    if (state.blockedBy) throw new LoError('user_not_found');
    return user;
  }

  private async usersById(ids: string[]): Promise<Map<string, UserRecord>> {
    return new Map((await this.store.users.byIds(ids)).map((u) => [u.id, u]));
  }

  private async views(requests: FriendRequestRecord[]): Promise<FriendRequest[]> {
    const users = await this.usersById([...new Set(requests.flatMap((r) => [r.fromId, r.toId]))]);
    const ref = (id: string) => ({ id, username: users.get(id)?.username ?? '' });
    return requests.map((r) => ({ id: r.id, from: ref(r.fromId), to: ref(r.toId), status: r.status, created_at: iso(r.createdAt) }));
  }

  private async view(request: FriendRequestRecord): Promise<FriendRequest> {
    const [view] = await this.views([request]);
    if (view === undefined) throw new LoError('internal');
    return view;
  }
}

function cursorOfEdge(edge: EdgeRecord) {
  return { at: edge.at, id: edge.userId };
}
