import {
  namespaceOf,
  type ClientFrame,
  type MessageFrame,
  type PresenceEntry,
  type PresenceEventFrame,
  type PresenceResult,
  type PubResult,
  type StreamPosition,
  type SubResult,
  type TypingEventFrame,
  type UnsubscribedFrame,
} from '@lo/protocol';
import { LoRealtimeError } from '../errors.js';
import type { RequestFrame, TimeoutPolicy } from './connection.js';
import { Emitter, type Listener } from './emitter.js';
import { ServerSubscription } from './server-subscription.js';
import { StreamCursor } from './stream.js';
import { deferred, randomId, settleAll, type Deferred } from './util.js';

/** Emitted each time the server confirms a subscription (the first time and after every reconnect). */
export interface SubscribedEvent {
  /** False when the server could not replay what was missed since `position` (another epoch, a gap older than the
   * channel keeps): messages up to `offset` may be missing, so refetch history. */
  recovered: boolean;
  /** The channel's newest offset when the subscription started: live messages continue after it. */
  offset: number;
  epoch: string;
}

export interface ChannelEvents {
  /** A message, exactly once and in offset order (replayed ones first after a reconnect, then live ones). */
  message: [message: MessageFrame];
  presence: [event: PresenceEventFrame];
  typing: [event: TypingEventFrame];
  subscribed: [event: SubscribedEvent];
  /** The server refused the subscription (`channel_forbidden`…) or ended it (`unsubscribed` push: removed from the
   * room, a block in a DM). The channel is then not subscribed, and not resubscribed. */
  error: [error: LoRealtimeError];
}

export interface PublishOptions {
  /** Idempotency key (at most 64 characters); generated when absent. Retries reuse it. */
  clientMsgId?: string;
}

/** What a channel needs from the client that owns it. */
export interface ChannelHost {
  /** Authenticated right now. */
  readonly connected: boolean;
  /** A request on the current socket (rejects with `not_connected` otherwise). */
  request<T>(frame: RequestFrame, onTimeout?: TimeoutPolicy): Promise<T>;
  /** A request that waits for a connection in progress (rejects when stopped). */
  query<T>(frame: RequestFrame): Promise<T>;
  send(frame: ClientFrame): boolean;
  /** Starts connecting when stopped: subscribing and publishing connect implicitly. */
  ensureConnecting(): void;
  publish(channel: string, data: unknown, clientMsgId: string): Promise<PubResult>;
  /** An error nobody else would see. */
  reportError(error: LoRealtimeError): void;
}

/** `typing()` sends at most one frame per channel this often (the server allows 2 per 2 s). */
const TYPING_INTERVAL_MS = 2000;

/**
 * One channel (`room:<id>`, `dm:<a>:<b>`, `user:<id>`, `public:<name>`). `subscribe()` states an intent that
 * survives reconnects: after each one the channel resubscribes from `position` and delivers what it missed before
 * live messages, dropping any message whose offset it has delivered already.
 */
export class Channel extends ServerSubscription {
  /** Presence in this channel: your state as others see it, and who is here. */
  readonly presence = {
    /** Sets your presence state (JSON, at most 512 bytes; null clears it). Kept and sent again after reconnects. */
    set: (state: unknown): void => {
      this.presenceState = state;
      if (this.server === 'subscribed') this.host.send({ type: 'presence', channel: this.name, state });
    },
    /** Everyone present (one entry per connection). Waits for a connection in progress. */
    get: async (): Promise<PresenceEntry[]> => (await this.host.query<PresenceResult>({ type: 'presence.get', channel: this.name })).items,
  };

  private readonly events = new Emitter<ChannelEvents>();
  private readonly stream: StreamCursor;
  private presenceState: unknown = null;
  private typedAt = -Infinity;
  private subscribeWaiters: Deferred<void>[] = [];
  private unsubscribeWaiters: Deferred<void>[] = [];

  /** @internal Use `client.channel(name)`. */
  constructor(
    readonly name: string,
    private readonly host: ChannelHost,
  ) {
    super(host, false);
    // public: and loc: channels are ephemeral: no offsets, so nothing to recover or deduplicate.
    const namespace = namespaceOf(name);
    this.stream = new StreamCursor(namespace !== 'public' && namespace !== 'loc');
  }

  /** The last position delivered, for persisted channels once subscribed; resubscribing resumes from here. */
  get position(): StreamPosition | undefined {
    return this.stream.position;
  }

  on<K extends keyof ChannelEvents>(event: K, listener: Listener<ChannelEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof ChannelEvents>(event: K, listener: Listener<ChannelEvents[K]>): void {
    this.events.off(event, listener);
  }

  /**
   * Subscribes (connecting if needed) and resolves when the server confirms. Attach `message` listeners first:
   * replayed messages are delivered before this resolves. Rejects when the server refuses (`channel_forbidden`…),
   * on a terminal close or `disconnect()`; transient losses just delay it.
   */
  subscribe(): Promise<void> {
    this.wanted = true;
    this.retries = 0;
    if (this.subscribed) return Promise.resolve();
    const waiter = deferred<void>();
    this.subscribeWaiters.push(waiter);
    this.host.ensureConnecting();
    void this.sync();
    return waiter.promise;
  }

  /** Unsubscribes; resolves when the server confirms (at once when not connected). */
  unsubscribe(): Promise<void> {
    this.wanted = false;
    this.clearRetry();
    settleAll(this.subscribeWaiters, new LoRealtimeError('cancelled', `unsubscribe() was called before ${this.name} was subscribed`));
    if (this.idle) return Promise.resolve();
    const waiter = deferred<void>();
    this.unsubscribeWaiters.push(waiter);
    void this.sync();
    return waiter.promise;
  }

  /**
   * Publishes `data` (`{text}` on room: and dm: channels) and resolves once the server has stored it. While offline
   * the pub waits in the outbox and is sent after the reconnect; retries reuse its `client_msg_id`.
   */
  publish(data: unknown, options: PublishOptions = {}): Promise<PubResult> {
    this.host.ensureConnecting();
    return this.host.publish(this.name, data, options.clientMsgId ?? randomId());
  }

  /** Tells the others you are typing. Call it on every keystroke: at most one frame goes out per 2 s (dropped offline). */
  typing(): void {
    const now = Date.now();
    if (now - this.typedAt < TYPING_INTERVAL_MS) return;
    if (this.host.send({ type: 'typing', channel: this.name })) this.typedAt = now;
  }

  /** @internal The owner's user channel: subscribed after every connect without an explicit `subscribe()`. */
  want(wanted: boolean): void {
    this.wanted = wanted;
  }

  /** @internal A push for this channel. */
  handlePush(frame: MessageFrame | PresenceEventFrame | TypingEventFrame | UnsubscribedFrame): void {
    if (!this.wanted) return;
    if (frame.type === 'unsubscribed') {
      // The server ended it (removed from the room, a block in a DM): not resubscribed.
      this.handleDown();
      this.giveUp(LoRealtimeError.from(frame.error));
    } else if (frame.type === 'msg') {
      if ((this.server === 'subscribing' || this.server === 'subscribed') && this.stream.live(frame)) this.events.emit('message', frame);
    } else if (frame.type === 'typing') this.events.emit('typing', frame);
    else this.events.emit('presence', frame);
  }

  /** @internal Stopped for good or by `disconnect()`: waiting `subscribe()` calls fail; the intent stays. */
  handleStop(error: unknown): void {
    this.handleDown();
    settleAll(this.subscribeWaiters, error);
  }

  /** Also after a confirmed unsub, where nothing is held any more and the abort changes nothing. */
  protected override released(): void {
    this.stream.abort();
    settleAll(this.unsubscribeWaiters);
  }

  protected async sendSub(): Promise<() => void> {
    const since = this.stream.begin();
    const result = await this.host.request<SubResult>({ type: 'sub', channel: this.name, ...(since && { since }) }, 'reconnect');
    return () => {
      this.apply(result, since);
      settleAll(this.subscribeWaiters);
      if (this.presenceState !== null) this.host.send({ type: 'presence', channel: this.name, state: this.presenceState });
    };
  }

  /** Replayed messages first, then those that arrived live meanwhile, without duplicates. */
  private apply(result: SubResult, since: StreamPosition | undefined): void {
    const messages = this.stream.resume(result, since);
    this.events.emit('subscribed', { recovered: result.recovered, offset: result.offset, epoch: result.epoch });
    for (const message of messages) this.events.emit('message', message);
  }

  /** `already_subscribed`: this socket has the subscription already, so it is in force. */
  protected override keepDespite(error: LoRealtimeError): boolean {
    if (error.code !== 'already_subscribed') return false;
    settleAll(this.subscribeWaiters);
    return true;
  }

  /** The subscription cannot be had: stop wanting it and tell whoever listens. */
  protected giveUp(error: LoRealtimeError): void {
    this.wanted = false;
    const awaited = this.subscribeWaiters.length > 0;
    settleAll(this.subscribeWaiters, error);
    if (this.events.has('error')) this.events.emit('error', error);
    else if (!awaited) this.host.reportError(error);
  }

  protected sendUnsub(): Promise<unknown> {
    return this.host.request({ type: 'unsub', channel: this.name });
  }
}
