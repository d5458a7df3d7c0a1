import type { PubResult } from '@lo/protocol';
import { LoRealtimeError, RESEND_AFTER_RECONNECT, RETRY_LATER } from '../errors.js';
import type { RequestFrame, TimeoutPolicy } from './connection.js';
import { unref } from './util.js';

/** What the outbox needs from the connection. */
export interface OutboxTransport {
  request<T>(frame: RequestFrame, onTimeout: TimeoutPolicy): Promise<T>;
}

interface Item {
  channel: string;
  data: unknown;
  clientMsgId: string;
  resolve: (result: PubResult) => void;
  reject: (error: unknown) => void;
  /** Bumped by every send and by every socket loss: a reply or rejection of an older send is ignored. */
  attempt: number;
  inFlight: boolean;
  /** Epoch milliseconds before which the item is not sent again (after a rate limit). */
  notBefore: number;
  errorRetries: number;
}

const MAX_ERROR_RETRIES = 5;

/**
 * Publications from `publish()` until the server acknowledges them. While offline they wait here (at most `max`);
 * after every reconnect and resubscribe they are sent in order with their original `client_msg_id`, so a pub whose
 * reply was lost is answered with the original message instead of being stored twice.
 *
 * One pub per channel is in flight at a time: a channel's messages are stored in the order `publish()` was called,
 * whatever the server does with concurrent frames and whichever pub needs a retry. Channels do not wait for each other.
 */
export class Outbox {
  private readonly items: Item[] = [];
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly transport: OutboxTransport,
    private readonly max: number,
  ) {}

  /** Publications not yet acknowledged (queued or in flight). */
  get size(): number {
    return this.items.length;
  }

  add(channel: string, data: unknown, clientMsgId: string): Promise<PubResult> {
    if (this.items.length >= this.max) {
      return Promise.reject(new LoRealtimeError('outbox_full', `the outbox holds ${this.max} unacknowledged publications already`));
    }
    return new Promise<PubResult>((resolve, reject) => {
      this.items.push({ channel, data, clientMsgId, resolve, reject, attempt: 0, inFlight: false, notBefore: 0, errorRetries: 0 });
      this.pump();
    });
  }

  /** Authenticated and resubscribed: start sending. */
  open(): void {
    this.ready = true;
    this.pump();
  }

  /** The socket is gone: what was in flight is sent again after the next `open()`. */
  down(): void {
    this.ready = false;
    for (const item of this.items) {
      if (!item.inFlight) continue;
      item.inFlight = false;
      item.attempt++;
    }
  }

  /** Stopped for good (a terminal close): nothing here can be sent any more. */
  fail(error: unknown): void {
    this.down();
    for (const item of this.items.splice(0)) item.reject(error);
  }

  private pump(): void {
    if (!this.ready) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const now = Date.now();
    const seen = new Set<string>();
    let wake = Infinity;
    for (const item of this.items) {
      // Only the oldest pub of each channel may be sent: the others wait for its reply.
      if (seen.has(item.channel)) continue;
      seen.add(item.channel);
      if (item.inFlight) continue;
      if (item.notBefore > now) wake = Math.min(wake, item.notBefore);
      else this.send(item);
    }
    if (wake !== Infinity) {
      this.timer = setTimeout(() => this.pump(), wake - now);
      unref(this.timer);
    }
  }

  private send(item: Item): void {
    item.inFlight = true;
    const attempt = ++item.attempt;
    const frame: RequestFrame = { type: 'pub', channel: item.channel, data: item.data, client_msg_id: item.clientMsgId };
    // A timeout drops the socket: the pub may have been stored, so it must be retried with its id, not given up.
    this.transport.request<PubResult>(frame, 'reconnect').then(
      (result) => {
        if (item.attempt !== attempt) return;
        this.remove(item);
        item.resolve(result);
        this.pump();
      },
      (error: unknown) => {
        if (item.attempt !== attempt) return;
        item.inFlight = false;
        this.failed(item, error);
      },
    );
  }

  private failed(item: Item, error: unknown): void {
    const code = error instanceof LoRealtimeError ? error.code : '';
    // Sent again, with the same client_msg_id, once reconnected.
    if (RESEND_AFTER_RECONNECT.has(code)) return;
    if (RETRY_LATER.has(code) && item.errorRetries < MAX_ERROR_RETRIES) {
      item.errorRetries++;
      const retryAfter = error instanceof LoRealtimeError ? error.retryAfter : null;
      item.notBefore = Date.now() + (retryAfter ?? 1) * 1000;
    } else {
      this.remove(item);
      item.reject(error);
    }
    this.pump();
  }

  private remove(item: Item): void {
    const index = this.items.indexOf(item);
    if (index !== -1) this.items.splice(index, 1);
  }
}
