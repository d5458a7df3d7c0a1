/**
 * Channel messages: publish (store → broker), recovery, history, notifications. The one delivery path
 * of DESIGN section 2 starts here for HTTP and WebSocket alike: authorize, persist (the store assigns
 * the offset), then hand the encoded frame to the broker, whose handler on every node feeds the hub.
 */
import { LIMITS, WS_LIMITS, type CloseReason, type StreamPosition, type UserRef } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import type { Clock } from '../../util/time.js';
import type { Broker, ControlEvent } from '../broker.js';
import type { ChannelMessageRecord, ChannelState } from '../channel-repos.js';
import { assertInsideGeofence } from '../rooms/geofence.js';
import type { RealtimeEvents } from '../realtime-events.js';
import { rateLimited } from '../rate-limit-error.js';
import type { RateLimiter, RateRule } from '../rate-rules.js';
import type { Store } from '../store.js';
import type { ChannelAccess, ChannelTarget } from './channel-access.js';
import { findMentions } from './mentions.js';
import { messageFrame, partsOf } from './message-frame.js';

export interface Published {
  offset: number | null;
  id: string;
  createdAt: number;
  /** False for a retry with a `client_msg_id` already used: the original is returned. */
  created: boolean;
  /** The message (offset 0 on ephemeral channels). */
  record: ChannelMessageRecord;
}

export interface Recovery {
  position: StreamPosition;
  recovered: boolean;
  missed: ChannelMessageRecord[];
}

/**
 * Told when the broker did not take something that is already done: a stored message (durable and
 * acknowledged all the same; live subscribers get it from the store) or a control event.
 */
export type UndeliveredHandler = (channel: string, err: unknown) => void;

export class ChannelService implements RealtimeEvents {
  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    readonly access: ChannelAccess,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly undelivered: UndeliveredHandler = () => undefined,
  ) {}

  /** Publishes `data` as `author`; resolves once the message is durable (persisted namespaces). */
  async publish(author: UserRef, channel: string, data: unknown, clientMsgId?: string): Promise<Published> {
    const target = await this.access.check(author.id, channel, 'publish');
    const text = encodeData(target, data);
    if (target.settings.publishLimit !== null) await this.chargeNamespace(author.id, target, target.settings.publishLimit);
    if (target.room?.geofence) await assertInsideGeofence(this.store, this.clock, author.id, target.room.geofence);
    const now = this.clock.now();
    if (!target.settings.persisted) {
      const id = newId(now);
      const frame = messageFrame({ channel, offset: null, id, author, data: text, createdAt: now });
      await this.broker.publish(channel, { frame, from: author.id });
      const record = {
        channel,
        offset: 0,
        id,
        authorId: author.id,
        authorUsername: author.username,
        data: text,
        createdAt: now,
        clientMsgId: null,
      };
      return { offset: null, id, createdAt: now, created: true, record };
    }
    const { message, created } = await this.store.channels.append({
      channel,
      id: newId(now),
      authorId: author.id,
      data: text,
      createdAt: now,
      clientMsgId: clientMsgId ?? null,
    });
    // A retry publishes again: if the first attempt died between commit and publish, live subscribers
    // get it now; if not, the hub drops the duplicate by its offset.
    await this.deliver(message, author.id);
    if (created && target.namespace === 'room') await this.notifyMentions(author, target, message);
    return { offset: message.offset, id: message.id, createdAt: message.createdAt, created, record: message };
  }

  /**
   * Where a new subscriber starts and what it missed since `since`. Recovery is refused (recovered:
   * false, nothing replayed) when the epoch differs, the gap reaches past what the namespace keeps, or
   * it is larger than one reply may carry (`maxBytes` of data, so the reply fits the connection's
   * send queue); the client then refetches history.
   */
  async recover(
    target: ChannelTarget,
    since: StreamPosition | undefined,
    hidden: ReadonlySet<string>,
    maxBytes: number,
  ): Promise<Recovery> {
    if (!target.settings.persisted) return { position: { offset: 0, epoch: '' }, recovered: since === undefined, missed: [] };
    const { historySize } = target.settings;
    const window = historySize > 0 ? Math.min(WS_LIMITS.recoveryMax, historySize) : WS_LIMITS.recoveryMax;
    const after = since?.offset ?? Number.MAX_SAFE_INTEGER;
    const { state, messages } = await this.store.channels.read(target.channel, after, since === undefined ? 0 : window + 1);
    const position = { offset: state.offset, epoch: state.epoch };
    if (since === undefined) return { position, recovered: true, missed: [] };
    if (!recoverable(since, state, messages, window, maxBytes)) return { position, recovered: false, missed: [] };
    return { position, recovered: true, missed: messages.filter((m) => !hidden.has(m.authorId)) };
  }

  /** Messages after `afterOffset`, for the hub to fill a gap in live delivery. */
  async after(channel: string, afterOffset: number, limit: number): Promise<ChannelMessageRecord[]> {
    return (await this.store.channels.read(channel, afterOffset, limit)).messages;
  }

  /** History for HTTP: oldest first, either after an offset or the newest before one (or the newest). */
  async history(
    userId: string,
    channel: string,
    page: { afterOffset?: number; beforeOffset?: number; limit: number },
  ): Promise<{ items: ChannelMessageRecord[]; more: boolean; edge: number | null }> {
    const target = await this.access.check(userId, channel, 'subscribe');
    if (!target.settings.persisted) return { items: [], more: false, edge: null };
    const hidden = await this.store.social.blockedEitherWay(userId);
    const rows =
      page.afterOffset !== undefined
        ? await this.after(channel, page.afterOffset, page.limit + 1)
        : (await this.store.channels.latest(channel, page.limit + 1, page.beforeOffset ?? null)).reverse();
    const more = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    if (page.afterOffset === undefined) shown.reverse();
    // The next page continues from the edge of what was read, not of what is shown: a page whose
    // messages are all from hidden authors must not end the paging (nor make it read them again).
    const edge = (page.afterOffset !== undefined ? shown.at(-1) : shown[0])?.offset ?? null;
    return { items: shown.filter((m) => !hidden.has(m.authorId)), more, edge };
  }

  /** Retention: trims every persisted namespace to its history size and age. */
  async trim(namespaces: Array<{ prefix: string; keep: number; ttlS: number }>): Promise<number> {
    let trimmed = 0;
    for (const { prefix, keep, ttlS } of namespaces) {
      if (keep === 0 && ttlS === 0) continue;
      trimmed += await this.store.channels.trim(prefix, keep, ttlS === 0 ? 0 : this.clock.now() - ttlS * 1000);
    }
    return trimmed;
  }

  // Control events follow a change already committed, so a broker outage does not fail the request:
  // the event is lost (at-most-once) and reported. Sockets of an ended session then live on until their
  // access token expires (they cannot refresh it); relations and revocations apply on the next reload.
  async sessionEnded(userId: string, sessionId: string | null, reason: CloseReason): Promise<void> {
    await this.control(userId, { kind: 'disconnect', reason, ...(sessionId !== null && { sessionId }) });
  }

  async relationsChanged(userIds: string[]): Promise<void> {
    await Promise.all(userIds.map((id) => this.control(id, { kind: 'relations_changed' })));
  }

  async revoked(userId: string, channel: string): Promise<void> {
    await this.control(userId, { kind: 'revoked', channel });
  }

  private async control(userId: string, event: ControlEvent): Promise<void> {
    await this.broker.publish(`user:${userId}`, { control: event }).catch((err: unknown) => this.undelivered(`user:${userId}`, err));
  }

  /**
   * Hands a stored message to the broker. It is durable already, so a broker failure does not fail the
   * publish (the client would retry something that exists): subscribers get it from the store, through
   * the hub's gap fill and resync, and `undelivered` is told.
   */
  private async deliver(message: ChannelMessageRecord, from: string): Promise<void> {
    try {
      await this.broker.publish(message.channel, { frame: messageFrame(partsOf(message)), offset: message.offset, from });
    } catch (err) {
      this.undelivered(message.channel, err);
    }
  }

  async notify(userId: string, from: UserRef, data: Record<string, unknown>): Promise<void> {
    const now = this.clock.now();
    const { message } = await this.store.channels.append({
      channel: `user:${userId}`,
      id: newId(now),
      authorId: from.id,
      data: JSON.stringify(data),
      createdAt: now,
      clientMsgId: null,
    });
    await this.deliver(message, from.id);
  }

  /** The namespace's own publish limit (LO_NAMESPACES `publishLimit`), for HTTP and WebSocket alike. */
  private async chargeNamespace(userId: string, target: ChannelTarget, rule: RateRule): Promise<void> {
    const decision = await this.limiter.consume(`ns:${target.namespace}:${userId}`, rule);
    if (!decision.allowed) throw rateLimited(rule, decision);
  }

  /** Tells room members named with @username (who may read the room and do not block the author). */
  private async notifyMentions(author: UserRef, target: ChannelTarget, message: ChannelMessageRecord): Promise<void> {
    const names = findMentions(message.data);
    if (names.length === 0) return;
    const hidden = await this.store.social.blockedEitherWay(author.id);
    for (const name of names) {
      const user = await this.store.users.byUsername(name);
      if (user === null || user.id === author.id || hidden.has(user.id)) continue;
      const readable = await this.access.check(user.id, target.channel, 'subscribe').then(
        () => true,
        () => false,
      );
      if (!readable) continue;
      await this.notify(user.id, author, { kind: 'mention', channel: target.channel, message_id: message.id, offset: message.offset });
    }
  }
}

function recoverable(
  since: StreamPosition,
  state: ChannelState,
  messages: ChannelMessageRecord[],
  window: number,
  maxBytes: number,
): boolean {
  if (since.epoch !== state.epoch || since.offset > state.offset || since.offset < state.trimmedThrough) return false;
  if (messages.length > window || state.offset - since.offset > window) return false;
  // Each replayed frame is its data plus ~250 bytes of envelope.
  return messages.reduce((bytes, m) => bytes + m.data.length + 250, 0) <= maxBytes;
}

const encoder = new TextEncoder();

/** Chat namespaces (room, dm) take `{text}`; others any JSON value (bounded by the codec). */
function encodeData(target: ChannelTarget, data: unknown): string {
  if (target.namespace !== 'room' && target.namespace !== 'dm') {
    const json = JSON.stringify(data);
    if (encoder.encode(json).length > WS_LIMITS.dataMaxBytes)
      throw new LoError('content_too_long', `data is over ${WS_LIMITS.dataMaxBytes} bytes of JSON.`);
    return json;
  }
  const keys = typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data) : null;
  const text = (data as { text?: unknown } | null)?.text;
  if (keys === null || keys.length !== 1 || typeof text !== 'string' || text.trim() === '') throw new LoError('invalid_data');
  if (encoder.encode(text).length > LIMITS.contentMaxBytes) throw new LoError('content_too_long');
  return JSON.stringify({ text });
}
