import { createHmac } from 'node:crypto';
import { LIMITS, type CreateGeoMessage, type GeoMessage, type NearbyQuery, type Page, type ReactionCount } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import type { GeoFanout } from '../geo/geo-fanout.js';
import { haversineM, type LatLng } from '../geo/haversine.js';
import { snapToPublicPoint } from '../geo/privacy-grid.js';
import type { AccessClaims } from '../ports.js';
import type { MessageRecord, NewGeoMessage, Store } from '../store.js';
import type { LocationService } from '../users/location-service.js';
import { geoMessageView } from './message-view.js';
import { decodeNearbyCursor, encodeNearbyCursor, queryFingerprint } from './nearby-cursor.js';
import { canSee, type ViewerScope } from './visibility.js';

export interface MessageSettings {
  privacyGridM: number;
  defaultTtlS: number;
  editWindowS: number;
}

/** A live geo area read (MessageService.area). */
export interface AreaQuery extends LatLng {
  /** Metres; defaults to and is capped at the viewer's visibility radius. */
  radius?: number;
  limit: number;
  /** Only posts created after this one (recovery of a live subscription). */
  newerThan?: { createdAt: number; id: string };
}

export interface AreaRead {
  /** The radius in force: the asked one capped at the visibility radius. */
  radius: number;
  /** Newest first: each post as the viewer sees it, with the record it was made from. */
  items: Array<{ record: MessageRecord; view: GeoMessage }>;
}

export interface ReportView {
  id: string;
  message_id: string;
  reason: string;
  created_at: string;
}

/** Geo posts: create, read, edit, delete, react, report, and the local feed. */
export class MessageService {
  /** Key that seals nearby cursors (see nearby-cursor.ts). */
  private readonly cursorKey: Buffer;

  constructor(
    private readonly store: Store,
    private readonly locations: LocationService,
    private readonly clock: Clock,
    private readonly privacyKey: Uint8Array,
    private readonly settings: MessageSettings,
    /** Live geo fan-out of new and deleted posts; none in tools that only read or import. */
    private readonly fanout: GeoFanout | null = null,
  ) {
    this.cursorKey = createHmac('sha256', privacyKey).update('lo.nearby-cursor').digest();
  }

  /**
   * Posts at a position, which is also a location report (plausibility-checked). A retry with a
   * `client_msg_id` already used returns the original post without checking or storing anything.
   */
  async create(author: AccessClaims, input: CreateGeoMessage): Promise<{ message: GeoMessage; created: boolean }> {
    const content = checkContent(input.content);
    if (input.client_msg_id !== undefined) {
      const existing = await this.store.messages.byClientMsgId(author.userId, input.client_msg_id);
      if (existing !== null) return { message: await this.view(existing, author.userId, input), created: false };
    }
    await this.locations.report(author.userId, { lat: input.lat, lng: input.lng });
    const { message, created } = await this.store.messages.createGeo(this.draft(author, input, content));
    // A retry that found the original (created: false) was fanned out the first time.
    if (created) await this.fanout?.posted(message);
    // A post made just now has no reactions: no need to read them.
    if (created) return { message: geoMessageView(message, author.userId, input), created };
    return { message: await this.view(message, author.userId, input), created };
  }

  async nearby(viewer: AccessClaims, query: NearbyQuery): Promise<Page<GeoMessage>> {
    const sort = query.sort ?? 'recent';
    const limit = query.limit ?? LIMITS.pageDefault;
    const user = await this.store.users.byId(viewer.userId);
    if (user === null) throw new LoError('session_ended');
    const radius = Math.min(query.radius ?? user.visibilityRadius, user.visibilityRadius);
    const fingerprint = queryFingerprint(query.lat, query.lng, radius, sort);
    const after = decodeNearbyCursor(query.cursor, fingerprint, sort, this.cursorKey);
    // The report and the visibility scope are independent round trips on a networked store: sent together.
    const [, scope] = await Promise.all([
      this.locations.report(viewer.userId, { lat: query.lat, lng: query.lng }),
      this.scope(viewer.userId, user.visibilityRadius),
    ]);
    const hits = await this.store.messages.nearby(
      { lat: query.lat, lng: query.lng, radiusM: radius, sort, limit: limit + 1, now: this.clock.now(), ...(after && { after }) },
      (candidate) => canSee(scope, candidate),
    );
    const shown = hits.slice(0, limit);
    const reactions = await this.store.messages.reactions(
      shown.map((h) => h.message.id),
      viewer.userId,
    );
    const last = shown.at(-1);
    return {
      items: shown.map((h) => geoMessageView(h.message, viewer.userId, query, reactions.get(h.message.id))),
      next_cursor: hits.length > limit && last !== undefined ? encodeNearbyCursor(last, sort, fingerprint, this.cursorKey) : null,
    };
  }

  /**
   * The visible posts of an area for a live geo subscription: the feed's rules (sort=recent), without a
   * location report (the real-time layer reported the position before it asked).
   */
  async area(viewerId: string, query: AreaQuery): Promise<AreaRead> {
    const user = await this.store.users.byId(viewerId);
    if (user === null) throw new LoError('session_ended');
    const radius = Math.min(query.radius ?? user.visibilityRadius, user.visibilityRadius);
    const scope = await this.scope(viewerId, user.visibilityRadius);
    const hits = await this.store.messages.nearby(
      {
        lat: query.lat,
        lng: query.lng,
        radiusM: radius,
        sort: 'recent',
        limit: query.limit,
        now: this.clock.now(),
        ...(query.newerThan && { newerThan: query.newerThan }),
      },
      (candidate) => canSee(scope, candidate),
    );
    const reactions = await this.store.messages.reactions(
      hits.map((h) => h.message.id),
      viewerId,
    );
    const at = { lat: query.lat, lng: query.lng };
    return {
      radius,
      items: hits.map((h) => ({ record: h.message, view: geoMessageView(h.message, viewerId, at, reactions.get(h.message.id)) })),
    };
  }

  async get(viewer: AccessClaims, id: string): Promise<GeoMessage> {
    const { message, viewerAt } = await this.visible(viewer, id);
    const reactions = await this.store.messages.reactions([id], viewer.userId);
    return geoMessageView(message, viewer.userId, viewerAt, reactions.get(id));
  }

  async edit(viewer: AccessClaims, id: string, content: string): Promise<GeoMessage> {
    const { message, viewerAt } = await this.visible(viewer, id);
    if (message.authorId !== viewer.userId) throw new LoError('forbidden', 'Only the author can edit a post.');
    const now = this.clock.now();
    if (now - message.createdAt > this.settings.editWindowS * 1000) throw new LoError('edit_window_closed');
    const updated = await this.store.messages.updateContent(id, checkContent(content), now);
    if (updated === null) throw new LoError('message_not_found');
    const reactions = await this.store.messages.reactions([id], viewer.userId);
    return geoMessageView(updated, viewer.userId, viewerAt, reactions.get(id));
  }

  /** Soft delete by the author or an admin (audited). */
  async delete(viewer: AccessClaims, id: string): Promise<void> {
    const message = viewer.role === 'admin' ? await this.live(id) : (await this.visible(viewer, id)).message;
    if (message.authorId !== viewer.userId && viewer.role !== 'admin')
      throw new LoError('forbidden', 'Only the author or an admin can delete a post.');
    const now = this.clock.now();
    if (await this.store.messages.softDelete(id, now)) await this.fanout?.deleted(message);
    if (message.authorId !== viewer.userId) {
      await this.store.audit.record({
        id: newId(now),
        at: now,
        actorId: viewer.userId,
        action: 'admin.message_deleted',
        target: id,
        data: { author_id: message.authorId },
      });
    }
  }

  async react(
    viewer: AccessClaims,
    id: string,
    emoji: string,
  ): Promise<{ added: boolean; reactions: ReactionCount[]; my_reactions: string[] }> {
    await this.visible(viewer, id);
    const added = await this.store.messages.addReaction(id, viewer.userId, emoji, this.clock.now());
    const summary = (await this.store.messages.reactions([id], viewer.userId)).get(id);
    return { added, reactions: summary?.counts ?? [], my_reactions: summary?.mine ?? [] };
  }

  async unreact(viewer: AccessClaims, id: string, emoji: string): Promise<void> {
    await this.visible(viewer, id);
    await this.store.messages.removeReaction(id, viewer.userId, emoji);
  }

  async report(viewer: AccessClaims, id: string, reason: string): Promise<ReportView> {
    await this.visible(viewer, id);
    const now = this.clock.now();
    const report = { id: newId(now), messageId: id, reporterId: viewer.userId, reason: reason.trim(), createdAt: now };
    if (!(await this.store.messages.report(report))) throw new LoError('already_reported');
    return { id: report.id, message_id: id, reason: report.reason, created_at: iso(now) };
  }

  /** Removes expired posts from the geo index; called by a housekeeping timer. */
  purgeExpired(): Promise<number> {
    return this.store.messages.purgeExpired(this.clock.now());
  }

  private draft(author: AccessClaims, input: CreateGeoMessage, content: string): NewGeoMessage {
    const now = this.clock.now();
    const point = { lat: input.lat, lng: input.lng };
    const publicPoint = snapToPublicPoint(point, this.settings.privacyGridM, this.privacyKey, author.userId);
    return {
      id: newId(now),
      authorId: author.userId,
      kind: 'geo',
      content,
      lat: point.lat,
      lng: point.lng,
      publicLat: publicPoint.lat,
      publicLng: publicPoint.lng,
      radius: input.radius ?? LIMITS.defaultVisibilityRadiusM,
      visibility: input.visibility ?? 'public',
      createdAt: now,
      expiresAt: now + (input.expires_in ?? this.settings.defaultTtlS) * 1000,
      clientMsgId: input.client_msg_id ?? null,
    };
  }

  private async view(message: MessageRecord, viewerId: string, at: { lat: number; lng: number }): Promise<GeoMessage> {
    const reactions = await this.store.messages.reactions([message.id], viewerId);
    return geoMessageView(message, viewerId, at, reactions.get(message.id));
  }

  private async live(id: string): Promise<MessageRecord> {
    const message = await this.store.messages.byId(id);
    if (message === null || message.deletedAt !== null || (message.expiresAt !== null && message.expiresAt <= this.clock.now())) {
      throw new LoError('message_not_found');
    }
    return message;
  }

  /** The post, if the viewer may see it from their last known position (authors always see their own). */
  private async visible(viewer: AccessClaims, id: string) {
    const message = await this.live(id);
    const location = await this.locations.current(viewer.userId);
    const viewerAt = location === null ? null : { lat: location.lat, lng: location.lng };
    if (message.authorId === viewer.userId) return { message, viewerAt };
    if (viewerAt === null) throw new LoError('location_unknown');
    const user = await this.store.users.byId(viewer.userId);
    if (user === null) throw new LoError('session_ended');
    const relation = await this.store.social.relation(viewer.userId, message.authorId);
    const scope: ViewerScope = {
      viewerId: viewer.userId,
      visibilityRadius: user.visibilityRadius,
      isBlocked: () => relation.blocks || relation.blockedBy,
      isFriend: () => relation.friendsSince !== null,
    };
    const distance = haversineM(viewerAt.lat, viewerAt.lng, message.publicLat, message.publicLng);
    if (!canSee(scope, { ...message, distance })) throw new LoError('message_not_found');
    return { message, viewerAt };
  }

  private async scope(viewerId: string, visibilityRadius: number): Promise<ViewerScope> {
    const [blocked, friends] = await Promise.all([this.store.social.blockedEitherWay(viewerId), this.store.social.friendIds(viewerId)]);
    return { viewerId, visibilityRadius, isBlocked: (id) => blocked.has(id), isFriend: (id) => friends.has(id) };
  }
}

/** Content is 1 to 4096 bytes of UTF-8 and not only whitespace. */
function checkContent(content: string): string {
  if (Buffer.byteLength(content, 'utf8') > LIMITS.contentMaxBytes) throw new LoError('content_too_long');
  if (content.trim() === '') {
    throw new LoError('validation_failed', 'content is empty.', { errors: [{ path: '/content', message: 'must not be empty' }] });
  }
  return content;
}
