import { LoRealtimeError, RESEND_AFTER_RECONNECT, RETRY_LATER } from '../errors.js';
import { unref } from './util.js';

/** Where the server stands with a subscription on the current socket. */
export type ServerState = 'none' | 'subscribing' | 'subscribed' | 'unsubscribing';

/** Refusals that say "later" (`rate_limited`…) are retried this many times before the subscription is given up. */
const MAX_RETRIES = 5;

/**
 * What a channel and a geo area share: an intent (`wanted`) that survives reconnects, and the one request at a time
 * that brings the server in line with it. A subclass says how to send its sub and unsub requests, what a confirmed
 * sub delivers, and what giving up means for it; the sequencing, the stale replies of an old socket and the retries
 * after a "later" refusal live here once.
 */
export abstract class ServerSubscription {
  /** What the app wants; the server follows it on each `sync()`. */
  protected wanted: boolean;
  protected server: ServerState = 'none';
  /** Refused with "later" this many times in a row; reset by a confirmation or a new `subscribe()`. */
  protected retries = 0;
  /** The sub or unsub request in flight. */
  private pending: Promise<void> | null = null;
  /** Bumped when the socket goes: replies to requests of an older socket are ignored. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly link: { readonly connected: boolean },
    wanted: boolean,
  ) {
    this.wanted = wanted;
  }

  /** Whether the server has confirmed it on the current connection. */
  get subscribed(): boolean {
    return this.wanted && this.server === 'subscribed';
  }

  /** @internal Brings the server in line with what the app wants; resolves when the request in flight is answered. */
  sync(): Promise<void> {
    if (this.pending !== null) return this.pending;
    if (!this.link.connected) return Promise.resolve();
    let request: Promise<void> | null = null;
    // A sub refused with "later" waits for its retry timer.
    if (this.wanted && this.server === 'none' && this.retryTimer === null) request = this.subscribeOnServer();
    else if (!this.wanted && this.server === 'subscribed') request = this.unsubscribeOnServer();
    if (request === null) return Promise.resolve();
    // One request at a time: when it settles, the intent may have changed meanwhile, so look again.
    const pending = request.finally(() => {
      if (this.pending === pending) this.pending = null;
      void this.sync();
    });
    this.pending = pending;
    return pending;
  }

  /** @internal The socket is gone: the server forgot the subscription. */
  handleDown(): void {
    this.generation++;
    this.clearRetry();
    this.server = 'none';
    this.pending = null;
    this.released();
  }

  /** The server has nothing and no request is out: there is nothing to undo. */
  protected get idle(): boolean {
    return this.server === 'none' && this.pending === null;
  }

  /** Drops a retry that is waiting (the intent changed, or the socket it was for is gone). */
  protected clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /**
   * Sends the sub request and resolves to what to do once it is confirmed; rejects when it is refused. The returned
   * step runs only when the reply belongs to the current socket, after the state became `subscribed`.
   */
  protected abstract sendSub(): Promise<() => void>;

  /** Sends the unsub request. Its outcome does not matter: refused or not, the server no longer sends this. */
  protected abstract sendUnsub(): Promise<unknown>;

  /** The subscription cannot be had (refused for good): stop wanting it and tell whoever listens. */
  protected abstract giveUp(error: LoRealtimeError): void;

  /** The server no longer has the subscription (unsubscribed, a sub refused, or the socket gone). */
  protected released(): void {}

  /** True when a refused sub is in force after all (the state then becomes `subscribed`): no retry, no give-up. */
  protected keepDespite(_error: LoRealtimeError): boolean {
    return false;
  }

  private async subscribeOnServer(): Promise<void> {
    const generation = this.generation;
    this.server = 'subscribing';
    let confirmed: () => void;
    try {
      confirmed = await this.sendSub();
    } catch (error) {
      if (generation === this.generation)
        this.refused(error instanceof LoRealtimeError ? error : new LoRealtimeError('internal', String(error)));
      return;
    }
    if (generation !== this.generation) return;
    this.server = 'subscribed';
    this.retries = 0;
    confirmed();
  }

  private async unsubscribeOnServer(): Promise<void> {
    const generation = this.generation;
    this.server = 'unsubscribing';
    try {
      await this.sendUnsub();
    } catch {
      // not_subscribed, or the socket went: either way the server no longer sends it.
    }
    if (generation !== this.generation) return;
    this.server = 'none';
    this.released();
  }

  /** A sub refused on the current socket: resend after a reconnect, retry later, or give up. */
  private refused(error: LoRealtimeError): void {
    this.server = 'none';
    this.released();
    // The socket failed, not the request: the reconnect's sync() sends it again.
    if (RESEND_AFTER_RECONNECT.has(error.code)) return;
    if (this.keepDespite(error)) {
      this.server = 'subscribed';
      return;
    }
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
    this.giveUp(error);
  }
}
