import type { Reply, RequestId } from '@lo/protocol';
import { LoRealtimeError } from '../errors.js';
import { unref } from './util.js';

interface Entry {
  resolve: (result: unknown) => void;
  reject: (error: LoRealtimeError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The requests of one socket that wait for their reply. Every entry ends exactly once: by its reply, by its
 * timeout, or by `rejectAll` when the socket goes away (replies never cross sockets, so ids restart at 1 on each).
 */
export class PendingRequests {
  private readonly entries = new Map<RequestId, Entry>();

  /** Waits for the reply to `id`; after `timeoutMs` rejects with `timeout` and calls `onTimeout`. */
  add<T>(id: RequestId, timeoutMs: number, onTimeout: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entries.delete(id);
        reject(new LoRealtimeError('timeout', `no reply within ${timeoutMs} ms`));
        onTimeout();
      }, timeoutMs);
      // The socket keeps a Node process alive while a request waits; the timer need not.
      unref(timer);
      this.entries.set(id, { resolve: resolve as (result: unknown) => void, reject, timer });
    });
  }

  /** Settles the request a reply answers; replies to unknown ids (timed out already) are ignored. */
  settle(reply: Reply): void {
    const entry = this.entries.get(reply.re);
    if (entry === undefined) return;
    this.entries.delete(reply.re);
    clearTimeout(entry.timer);
    if (reply.ok) entry.resolve(reply.result);
    else entry.reject(LoRealtimeError.from(reply.error));
  }

  rejectAll(error: LoRealtimeError): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }
}
