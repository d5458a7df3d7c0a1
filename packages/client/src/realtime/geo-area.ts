import type { GeoEnterFrame, GeoExitFrame, GeoMessage, GeoMessageFrame, GeoSubResult } from '@lo/protocol';
import { LoRealtimeError, RESEND_AFTER_RECONNECT } from '../errors.js';
import type { ChannelHost } from './channel.js';
import { Emitter, type Listener } from './emitter.js';
import { ServerSubscription } from './server-subscription.js';
import { deferred } from './util.js';

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

/**
 * A live geo area (`client.nearby()`): the posts around a position, live, following you as you `move()`. It survives
 * reconnects: after each one it subscribes again at the current centre with `since` = the newest post it has shown,
 * and emits only posts it has not shown, so nothing is emitted twice and nothing posted while offline is missed.
 */
export class GeoArea extends ServerSubscription {
  /** Resolves when the server first confirms the area (after `snapshot`); rejects when it refuses it. */
  readonly ready: Promise<void>;
  private readonly events = new Emitter<GeoAreaEvents>();
  private readonly opened = deferred<void>();
  private readonly shown = new Map<string, true>();
  private position: { lat: number; lng: number };
  private readonly asked: number | undefined;
  private inForce: number | null = null;
  private snapshotDone = false;
  /** Moved while the server had no area here: the next subscription is a fresh look, not a recovery. */
  private relocated = false;
  private newest: string | null = null;

  /** @internal Use `client.nearby()`. */
  constructor(
    options: NearbyOptions,
    private readonly host: GeoAreaHost,
  ) {
    super(host, true);
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
    // Until a geo.unsub (after close()) is answered the server still has the area where it was.
    if (!this.host.connected || (this.server !== 'subscribed' && this.server !== 'unsubscribing')) {
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

  /** @internal Stopped for good or by `disconnect()`: a waiting `ready` fails; the area is kept for a later connect(). */
  handleStop(error: unknown): void {
    this.handleDown();
    if (!this.snapshotDone) this.opened.reject(error);
  }

  protected async sendSub(): Promise<() => void> {
    const since = this.snapshotDone && !this.relocated ? this.newest : null;
    const fresh = this.relocated;
    this.relocated = false;
    const { lat, lng } = this.position;
    const frame = { type: 'geo.sub' as const, lat, lng, ...(this.asked !== undefined && { radius: this.asked }), ...(since && { since }) };
    const result = await this.host.request<GeoSubResult>(frame, 'reconnect');
    return () => this.confirmed(result, lat, lng, fresh);
  }

  /** The server has the area asked for at `lat`, `lng`; `fresh`: a new place, not a recovery of the old one. */
  private confirmed(result: GeoSubResult, lat: number, lng: number, fresh: boolean): void {
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

  protected sendUnsub(): Promise<unknown> {
    return this.host.request({ type: 'geo.unsub' });
  }

  /** Marks a post shown; false when it already was. */
  private show(message: GeoMessage): boolean {
    if (this.shown.has(message.id)) return false;
    this.shown.set(message.id, true);
    if (this.shown.size > SHOWN_MAX) this.shown.delete(this.shown.keys().next().value!);
    if (this.newest === null || message.id > this.newest) this.newest = message.id;
    return true;
  }

  /** Refused for good (an implausible position, …): the area is closed. */
  protected giveUp(error: LoRealtimeError): void {
    this.wanted = false;
    this.host.forgetArea(this);
    this.opened.reject(error);
    if (this.events.has('error')) this.events.emit('error', error);
    else if (this.snapshotDone) this.host.reportError(error);
  }
}
