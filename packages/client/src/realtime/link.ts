import { decodeServerMessage, type ClientFrame, type ServerFrame, type ServerPush } from '@lo/protocol';
import { LoRealtimeError } from '../errors.js';
import { PendingRequests } from './pending.js';
import type { WebSocketLike } from './socket.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A client frame without its `id`: the link numbers requests itself. */
export type RequestFrame = DistributiveOmit<ClientFrame, 'id'>;

export interface LinkHandlers {
  open(): void;
  push(frame: ServerPush): void;
  close(code: number, reason: string): void;
  /** A message that is not protocol JSON (the socket stays). */
  garbage(error: LoRealtimeError): void;
}

/**
 * One WebSocket from creation to close: frames out, replies matched to their requests by id (1, 2, 3… per socket),
 * pushes handed on. Events of a closed link are not passed on, so a late close or message cannot reach a newer one.
 */
export class Link {
  authenticated = false;
  /** The link's one timer: the open timeout, then the token refresh. */
  timer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private readonly pending = new PendingRequests();
  private closed = false;

  constructor(
    private readonly ws: WebSocketLike,
    /** The access token this socket authenticated (or is authenticating) with. */
    public token: string,
    private readonly timeoutMs: number,
    handlers: LinkHandlers,
  ) {
    ws.addEventListener('open', () => {
      if (!this.closed) handlers.open();
    });
    ws.addEventListener('message', (event) => {
      if (!this.closed) this.receive(event.data, handlers);
    });
    ws.addEventListener('close', (event) => {
      if (!this.closed) handlers.close(event.code, event.reason);
    });
    // Every error is followed by a close event, which decides what happens; a listener must exist (ws throws without one).
    ws.addEventListener('error', () => {});
  }

  /**
   * Sends a request; the promise settles with its reply, or rejects with `timeout` (then `onTimeout` runs) or
   * `connection_closed`. Returns null when the frame could not be written (the socket is going).
   */
  request<T>(frame: RequestFrame, onTimeout: () => void): Promise<T> | null {
    const id = this.nextId++;
    // Registering after the write is safe: a reply arrives as a later event, never during send().
    if (!this.send({ ...frame, id })) return null;
    return this.pending.add<T>(id, this.timeoutMs, onTimeout);
  }

  /** Writes a frame; false when the socket refused it (not open any more). */
  send(frame: ClientFrame): boolean {
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the socket (if still open), stops its timer and rejects every request still waiting. */
  close(cause: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    try {
      this.ws.close(1000, 'client closed');
    } catch {
      // Already closed, or never opened: nothing to release.
    }
    this.pending.rejectAll(new LoRealtimeError('connection_closed', `connection closed: ${cause}`));
  }

  private receive(data: unknown, handlers: LinkHandlers): void {
    if (typeof data !== 'string') return;
    let frames: ServerFrame[];
    try {
      frames = decodeServerMessage(data);
    } catch {
      handlers.garbage(new LoRealtimeError('invalid_frame', 'the server sent a message that is not JSON'));
      return;
    }
    for (const frame of frames) {
      // A handler may have closed this link while the previous frame was handled.
      if (this.closed) return;
      if ('re' in frame) this.pending.settle(frame);
      else handlers.push(frame);
    }
  }
}
