/**
 * A connection's bounded send queue. Frames queued during one turn of the event loop go out as ONE
 * WebSocket message (frames joined by "\n", see the protocol), written by a shared flusher after the
 * turn, so a burst of publications costs each socket one write instead of one per frame. Over its
 * bound (queued bytes plus what the socket has not sent yet) the connection is a slow consumer.
 */
import type { WebSocket } from 'ws';

const NEWLINE = Buffer.from('\n');
/** Queued bytes at which a queue is written at once instead of at the end of the turn. */
const FLUSH_AT_BYTES = 16 * 1024;

/** Who is told when the queue overflows (the connection, which closes itself as a slow consumer). */
export interface OutboundOwner {
  overflowed(): void;
}

/**
 * Flushes every queue that got frames, once: after the current turn (setImmediate), or after
 * `delayMs` when set, so that frames arriving meanwhile share the write (Centrifugo's write delay).
 */
export class Flusher {
  private dirty: Outbound[] = [];
  private scheduled = false;
  /** The last joined message: subscribers of one channel queue the same frames, so they share one join. */
  private lastParts: Buffer[] = [];
  private lastJoined: Buffer | null = null;

  /** The frames joined into one message, reusing the previous join when it had the very same frames. */
  join(frames: Buffer[]): Buffer {
    const last = this.lastParts;
    if (this.lastJoined !== null && last.length === frames.length && frames.every((frame, i) => frame === last[i])) return this.lastJoined;
    this.lastParts = frames;
    this.lastJoined = joinFrames(frames);
    return this.lastJoined;
  }

  constructor(private readonly delayMs = 0) {}

  mark(queue: Outbound): void {
    this.dirty.push(queue);
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.delayMs > 0) setTimeout(this.flushAll, this.delayMs);
      else setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    const queues = this.dirty;
    this.dirty = [];
    this.scheduled = false;
    for (const queue of queues) queue.flush();
    this.lastParts = [];
    this.lastJoined = null;
  };
}

export class Outbound {
  private frames: Buffer[] | null = null;
  private bytes = 0;
  private closed = false;
  /** Sheddable frames dropped because the queue was filling up. */
  shed = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly flusher: Flusher,
    /** Queued plus unsent bytes at which the connection is closed as a slow consumer. */
    private readonly maxBytes: number,
    private readonly owner: OutboundOwner,
  ) {}

  /**
   * Queues one frame. Sheddable frames (typing, presence) are dropped once the queue is half full, so
   * chat messages keep their room; anything over the bound closes the connection.
   */
  push(frame: Buffer, sheddable = false): void {
    if (this.closed) return;
    const pending = this.bytes + frame.length;
    if (sheddable && pending > this.maxBytes / 2) {
      this.shed++;
      return;
    }
    if (pending > this.maxBytes) {
      this.overflow();
      return;
    }
    (this.frames ??= []).push(frame);
    this.bytes = pending;
    // A burst within one turn (a pipelined batch of publishes) goes to the socket as it grows, so the
    // bound measures what the peer has not read, not what one turn produced.
    if (this.bytes >= FLUSH_AT_BYTES) this.flush();
    else if (this.frames.length === 1) this.flusher.mark(this);
  }

  flush(): void {
    if (this.closed || this.frames === null) return;
    if (this.socket.bufferedAmount + this.bytes > this.maxBytes) {
      this.overflow();
      return;
    }
    const frames = this.frames;
    this.frames = null;
    this.bytes = 0;
    this.socket.send(frames.length === 1 ? frames[0]! : this.flusher.join(frames), { binary: false });
  }

  /** Drops what is queued and refuses more (the connection is closing). */
  close(): void {
    this.closed = true;
    this.frames = null;
    this.bytes = 0;
  }

  private overflow(): void {
    this.close();
    this.owner.overflowed();
  }
}

function joinFrames(frames: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    if (parts.length > 0) parts.push(NEWLINE);
    parts.push(frame);
  }
  return Buffer.concat(parts);
}
