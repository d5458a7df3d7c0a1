import type { MessageFrame, StreamPosition, SubResult } from '@lo/protocol';

/**
 * Where a channel's delivery stands, and the switch from replay to live: every message is let through once, in
 * offset order. While a `sub` request is out, live messages are held; its reply's replay goes first, then the held
 * ones, and anything at or below the last delivered offset is a duplicate and dropped. Ephemeral channels (no
 * offsets) let everything through.
 */
export class StreamCursor {
  private lastOffset: number | undefined;
  private epoch: string | undefined;
  /** Live messages held while a `sub` reply is awaited; null when not subscribing. */
  private held: MessageFrame[] | null = null;

  constructor(private readonly persisted: boolean) {}

  /** The last delivered position (persisted channels, once subscribed). */
  get position(): StreamPosition | undefined {
    return this.lastOffset === undefined || this.epoch === undefined ? undefined : { offset: this.lastOffset, epoch: this.epoch };
  }

  /** A `sub` request goes out: returns its `since`, and holds live messages until `resume`. */
  begin(): StreamPosition | undefined {
    this.held = [];
    return this.persisted ? this.position : undefined;
  }

  /** The `sub` failed or its socket went: forget what was held (the next subscribe replays it). */
  abort(): void {
    this.held = null;
  }

  /** A live message: true when it is to be delivered now. */
  live(message: MessageFrame): boolean {
    if (this.held !== null) {
      this.held.push(message);
      return false;
    }
    return this.accept(message);
  }

  /**
   * The `sub` reply: the messages to deliver, in order. On a continued stream (same epoch, recovered) the last
   * delivered offset stays the threshold. Otherwise (first subscribe, another epoch, a gap older than the channel
   * keeps) the reply's offset becomes it: what lies at or before it is history for the app to fetch.
   */
  resume(result: SubResult, since: StreamPosition | undefined): MessageFrame[] {
    const held = this.held ?? [];
    this.held = null;
    if (this.persisted) {
      const continued = since !== undefined && result.recovered && result.epoch === since.epoch;
      if (!continued) this.lastOffset = result.offset;
      this.epoch = result.epoch;
    }
    return [...result.missed, ...held].filter((message) => this.accept(message));
  }

  private accept(message: MessageFrame): boolean {
    if (!this.persisted || message.offset === undefined) return true;
    if (this.lastOffset !== undefined && message.offset <= this.lastOffset) return false;
    // A gap (offset > last + 1) should not happen; the message is delivered rather than held back for ever.
    this.lastOffset = message.offset;
    return true;
  }
}
