/**
 * Who may subscribe and publish where (DESIGN section 5): the namespace's rule plus what the channel
 * names. Private rooms answer like missing ones to non-members, so their existence does not leak.
 */
import { namespaceOf, type Namespace } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import type { RoomRecord } from '../channel-repos.js';
import type { Store } from '../store.js';
import type { NamespaceSettings, NamespaceTable } from './namespaces.js';

export type ChannelAction = 'subscribe' | 'publish';

export interface ChannelTarget {
  channel: string;
  namespace: Namespace;
  settings: NamespaceSettings;
  /** The room, for room channels. */
  room: RoomRecord | null;
}

export class ChannelAccess {
  constructor(
    private readonly store: Store,
    private readonly namespaces: NamespaceTable,
  ) {}

  settings(channel: string): NamespaceSettings {
    return this.namespaces[namespaceOf(channel)];
  }

  /** Throws a LoError unless `userId` may do `action` on `channel`. */
  async check(userId: string, channel: string, action: ChannelAction): Promise<ChannelTarget> {
    const namespace = namespaceOf(channel);
    const settings = this.namespaces[namespace];
    const rule = action === 'subscribe' ? settings.subscribe : settings.publish;
    if (rule === 'nobody') throw new LoError('channel_forbidden', 'This channel takes no publishes from clients.');
    const id = channel.slice(namespace.length + 1);
    switch (namespace) {
      case 'room': {
        const room = await this.store.rooms.byId(id);
        if (room === null) throw new LoError('room_not_found');
        if (rule === 'members' || room.visibility === 'private') {
          const role = await this.store.rooms.role(id, userId);
          if (role === null) throw room.visibility === 'private' ? new LoError('room_not_found') : new LoError('not_room_member');
        }
        return { channel, namespace, settings, room };
      }
      case 'dm':
        await this.checkDm(userId, id, action, rule);
        return { channel, namespace, settings, room: null };
      case 'user':
        if (rule === 'members' && id !== userId) throw new LoError('channel_forbidden', 'A user channel is only for its user.');
        if ((await this.store.users.byId(id)) === null) throw new LoError('channel_not_found');
        return { channel, namespace, settings, room: null };
      case 'public':
        return { channel, namespace, settings, room: null };
      case 'loc':
        await this.checkBeacon(userId, id);
        return { channel, namespace, settings, room: null };
    }
  }

  /**
   * `loc:<id>`: its owner, and whom the owner's sharing setting allows (`friends`: friends; `public`:
   * anyone). Blocks either way refuse. Ghost mode does not refuse (that would reveal it): it sends nothing.
   */
  private async checkBeacon(userId: string, ownerId: string): Promise<void> {
    if (ownerId === userId) return;
    const owner = await this.store.users.byId(ownerId);
    if (owner === null) throw new LoError('channel_not_found');
    const relation = await this.store.social.relation(userId, ownerId);
    if (relation.blocks || relation.blockedBy) throw new LoError('channel_forbidden', 'One of you blocks the other.');
    if (owner.locationSharing === 'off') throw new LoError('channel_forbidden', 'This user does not share their location.');
    if (owner.locationSharing === 'friends' && relation.friendsSince === null) throw new LoError('not_friends');
  }

  private async checkDm(userId: string, pair: string, action: ChannelAction, rule: 'anyone' | 'members'): Promise<void> {
    const [a, b, extra] = pair.split(':');
    if (a === undefined || b === undefined || extra !== undefined || a >= b) {
      throw new LoError('channel_not_found', 'A DM channel is dm:<a>:<b> with the two user ids in ascending order.');
    }
    const other = a === userId ? b : b === userId ? a : null;
    if (other === null) {
      if (rule === 'anyone') return;
      throw new LoError('channel_forbidden', 'A DM channel is only for its two people.');
    }
    if ((await this.store.users.byId(other)) === null) throw new LoError('channel_not_found');
    const relation = await this.store.social.relation(userId, other);
    if (relation.blocks || relation.blockedBy) throw new LoError('channel_forbidden', 'One of you blocks the other.');
    if (action === 'publish' && rule === 'members' && relation.friendsSince === null) throw new LoError('not_friends');
  }
}
