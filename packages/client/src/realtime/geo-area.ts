import type { GeoEnterFrame, GeoExitFrame, GeoMessage, GeoMessageFrame, GeoSubResult } from '@lo/protocol';
import { LoRealtimeError, RESEND_AFTER_RECONNECT, RETRY_LATER } from '../errors.js';
import type { ChannelHost } from './channel.js';
import { Emitter, type Listener } from './emitter.js';
import { deferred, unref } from './util.js';

export interface NearbyOptions {
  lat: number;
  lng: number;
  /** Metres; the server caps it at your visibility radius (the default). */
  radius?: number;
}

export interface GeoExitEvent {
  message_id: string;
  /** `moved`: you moved away from it; `deleted`: its author (or an admin) deleted it. */
  reason: 'moved' | 'deleted';
}

export interface GeoAreaEvents {
  /** The newest posts of the area (newest first) when it first opens, as the nearby feed shows them. */
  snapshot: [items: GeoMessage[]];
  /** A post you have not been shown yet: new in the area, or one you missed while offline (after a reconnect). */
  message: [message: GeoMessage];
  /** A post came into range because you moved. */
  enter: [message: GeoMessage];
  /** A post you were shown left the area. Expired posts leave silently: use their `expires_at`. */
  exit: [event: GeoExitEvent];
  /** The server confirmed the area (the first time and after every reconnect). `recovered: false`: more was missed
   * while offline than the server replays; refetch the feed (`client.messages.nearby`). */
  subscribed: [event: { radius: number; recovered: boolean }];
  /** The server refused the area (an implausible position, …): it is closed. */
  error: [error: LoRealtimeError];
}

/** What an area needs from the client that owns it. */
export interface GeoAreaHost extends Pick<ChannelHost, 'connected' | 'request' | 'ensureConnecting' | 'reportError'> {
  /** The area is closed: the client may open another. */
  forgetArea(area: GeoArea): void;
}

/** Ids remembered as shown (for deduplication); past this the oldest are forgotten. */
const SHOWN_MAX = 5000;
const MAX_RETRIES = 5;

/**
 * A live geo area (`client.nearby()`): the posts around a position, live, following you as you `move()`. It survives
 * reconnects: after each one it subscribes again at the current centre with `since` = the newest post it has shown,
 * and emits only posts it has not shown, so nothing is emitted twice and nothing posted while offline is missed.
 */
export class GeoArea {
  /** Resolves when the server first confirms the area (after `snapshot`); rejects when it refuses it. */
  readonly ready: Promise<void>;
  private readonly events = new Emitter<GeoAreaEvents>();
  private readonly opened = deferred<void>();
  private readonly shown = new Map<string, true>();
  private position: { lat: number; lng: number };
  private readonly asked: number | undefined;
  private inForce: number | null = null;
  private wanted = true;
  private server: 'none' | 'subscribing' | 'subscribed' = 'none';
  private generation = 0;
  private pending: Promise<void> | null = null;
  private snapshotDone = false;
  /** Moved while the server had no area here: the next subscription is a fresh look, not a recovery. */
  private relocated = false;
  private newest: string | null = null;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  /** @internal Use `client.nearby()`. */
  constructor(
    options: NearbyOptions,
    private readonly host: GeoAreaHost,
  ) {
    this.position = { lat: options.lat, lng: options.lng };
    this.asked = options.radius;
    this.ready = this.opened.promise;
  }

  /** Where the area is (the last position given). */
  get centre(): { lat: number; lng: number } {
    return { ...this.position };
  }

  /** The radius in force (the asked one capped at your visibility radius), once confirmed. */
  get radius(): number | null {
    return this.inForce;
  }

  /** Whether the server has the area on the current connection. */
  get subscribed(): boolean {
    return this.wanted && this.server === 'subscribed';
  }

  on<K extends keyof GeoAreaEvents>(event: K, listener: Listener<GeoAreaEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof GeoAreaEvents>(event: K, listener: Listener<GeoAreaEvents[K]>): void {
    this.events.off(event, listener);
  }

  /**
   * Moves the area (your live position, a `loc` frame): posts you leave behind `exit`, posts you come near `enter`.
   * Resolves when the server accepted the position; rejects when it refused it (`location_implausible`,
   * `rate_limited`: at most one per 2 s), and the area stays where it was. Offline, the area moves on reconnect.
   */
  async move(lat: number, lng: number, accuracy?: number): Promise<void> {
    const previous = this.position;
    this.position = { lat, lng };
    if (!this.host.connected || this.server !== 'subscribed') {
      this.relocated = true;
      return;
    }
    try {
      await this.host.request({ type: 'loc', lat, lng, ...(accuracy !== undefined && { accuracy }) });
    } catch (error) {
      if (error instanceof LoRealtimeError && RESEND_AFTER_RECONNECT.has(error.code)) {
        this.relocated = true;
        return;
      }
      if (this.position.lat === lat && this.position.lng === lng) this.position = previous;
      throw error;
    }
  }

  /** Closes the area (the server stops pushing it); resolves once the server confirmed or at once offline. */
  async close(): Promise<void> {
    if (!this.wanted) return;
    this.wanted = false;
    this.clearRetry();
    this.host.forgetArea(this);
    this.opened.reject(new LoRealtimeError('cancelled', 'close() was called before the area opened'));
    await this.sync();
  }

  /** @internal Brings the server in line (subscribe, or unsubscribe after close()); resolves when answered. */
  sync(): Promise<void> {
    if (this.pending !== null) return this.pending;
    if (!this.host.connected) return Promise.resolve();
    let request: Promise<void> | null = null;
    if (this.wanted && this.server === 'none' && this.retryTimer === null) request = this.sendSub();
    else if (!this.wanted && this.server === 'subscribed') request = this.sendUnsub();
    if (request === null) return Promise.resolve();
    const pending = request.finally(() => {
      if (this.pending === pending) this.pending = null;
      void this.sync();
    });
    this.pending = pending;
    return pending;
  }

  /** @internal Starts: connects if needed and subscribes. */
  start(): void {
    this.host.ensureConnecting();
    void this.sync();
  }

  /** @internal A geo push. The server sends them only after the `geo.sub` reply, so they are never early. */
  handlePush(frame: GeoMessageFrame | GeoEnterFrame | GeoExitFrame): void {
    if (!this.wanted || this.server !== 'subscribed') return;
    if (frame.type === 'geo.exit') {
      if (this.shown.delete(frame.message_id)) this.events.emit('exit', { message_id: frame.message_id, reason: frame.reason });
    } else if (this.show(frame.message)) {
      this.events.emit(frame.type === 'geo.msg' ? 'message' : 'enter', frame.message);
    }
  }

  /** @internal The socket is gone: the server forgot the area. */
  handleDown(): void {
    this.generation++;
    this.clearRetry();
    this.server = 'none';
    this.pending = null;
  }

  /** @internal Stopped for good or by `disconnect()`: a waiting `ready` fails; the area is kept for a later connect(). */
  handleStop(error: unknown): void {
    this.handleDown();
    if (!this.snapshotDone) this.opened.reject(error);
  }

  private async sendSub(): Promise<void> {
    const generation = this.generation;
    const since = this.snapshotDone && !this.relocated ? this.newest : null;
    const fresh = this.relocated;
    this.relocated = false;
    this.server = 'subscribing';
    const { lat, lng } = this.position;
    let result: GeoSubResult;
    try {
      const frame = {
        type: 'geo.sub' as const,
        lat,
        lng,
        ...(this.asked !== undefined && { radius: this.asked }),
        ...(since && { since }),
      };
      result = await this.host.request<GeoSubResult>(frame, 'reconnect');
    } catch (error) {
      if (generation === this.generation)
        this.refused(error instanceof LoRealtimeError ? error : new LoRealtimeError('internal', String(error)));
      return;
    }
    if (generation !== this.generation) return;
    this.server = 'subscribed';
    this.retries = 0;
    this.inForce = result.radius;
    this.events.emit('subscribed', { radius: result.radius, recovered: result.recovered });
    // move() while the reply was on its way: the server's area is still where it was asked for.
    if (this.position.lat !== lat || this.position.lng !== lng) {
      const { lat: toLat, lng: toLng } = this.position;
      this.move(toLat, toLng).catch((error: unknown) => {
        if (error instanceof LoRealtimeError) this.host.reportError(error);
      });
    }
    if (!this.snapshotDone) {
      this.snapshotDone = true;
      for (const message of [...result.items].reverse()) this.show(message);
      this.events.emit('snapshot', result.items);
      this.opened.resolve();
      return;
    }
    // Oldest first, as they would have come live; only what was not shown before.
    for (const message of [...result.items].reverse()) if (this.show(message)) this.events.emit(fresh ? 'enter' : 'message', message);
  }

  private async sendUnsub(): Promise<void> {
    const generation = this.generation;
    try {
      await this.host.request({ type: 'geo.unsub' });
    } catch {
      // not_subscribed, or the socket went: either way the server no longer has the area.
    }
    if (generation === this.generation) this.server = 'none';
  }

  /** Marks a post shown; false when it already was. */
  private show(message: GeoMessage): boolean {
    if (this.shown.has(message.id)) return false;
    this.shown.set(message.id, true);
    if (this.shown.size > SHOWN_MAX) this.shown.delete(this.shown.keys().next().value!);
    if (this.newest === null || message.id > this.newest) this.newest = message.id;
    return true;
  }

  private refused(error: LoRealtimeError): void {
    this.server = 'none';
    if (RESEND_AFTER_RECONNECT.has(error.code)) return;
    if (RETRY_LATER.has(error.code) && this.retries < MAX_RETRIES) {
      this.retries++;
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = null;
          void this.sync();
        },
        (error.retryAfter ?? 1) * 1000,
      );
      unref(this.retryTimer);
      return;
    }
    // Refused for good (an implausible position, …): the area is closed.
    this.wanted = false;
    this.host.forgetArea(this);
    this.opened.reject(error);
    if (this.events.has('error')) this.events.emit('error', error);
    else if (this.snapshotDone) this.host.reportError(error);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
