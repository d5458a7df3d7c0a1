import type { MessageFrame, ServerPush, StreamPosition, SubResult } from '@lo/protocol';
import type { BenchUser } from './bench-accounts.js';
import { BenchSocket, wallClockMs } from './bench-socket.js';
import type { LatencyRecorder } from './latency-recorder.js';
import { errorType } from './op-error.js';
import type { Target } from './target.js';

/** One held connection: its user, the rooms it follows and where it is in each. */
export interface PooledConnection {
  index: number;
  user: BenchUser;
  channels: string[];
  positions: Map<string, StreamPosition>;
  socket: BenchSocket | null;
  /** Being dropped and reopened by a reconnect: not for other operations meanwhile. */
  busy: boolean;
  turn: number;
}

/** Microseconds since `start` (a performance.now() reading). */
export const since = (start: number): number => (performance.now() - start) * 1000;

/**
 * The run's sockets in one process: opening, subscribing (with `since` on a reconnect), and the
 * accounting of what arrives. A room message whose text carries this run's marker is a delivery,
 * timed from the send time inside it; its offset is checked against the last one the connection
 * saw, so a lost message (gap) or a repeated one (duplicate) shows up as a delivery error.
 */
export class ConnectionPool {
  readonly connections: PooledConnection[];
  private cursor = 0;
  /** When the last delivery arrived (performance.now()), to tell when deliveries have settled. */
  lastDeliveryAt = 0;

  constructor(
    private readonly target: Target,
    private readonly recorder: LatencyRecorder,
    private readonly runId: string,
    private readonly timeoutMs: number,
    connections: { user: BenchUser; channels: string[] }[],
  ) {
    this.connections = connections.map((c, index) => ({ index, ...c, positions: new Map(), socket: null, busy: false, turn: 0 }));
  }

  get openCount(): number {
    let n = 0;
    for (const c of this.connections) if (c.socket?.isOpen === true) n++;
    return n;
  }

  /** Opens and authenticates `conn`, then subscribes it to its rooms; false (and errors recorded) on failure. */
  async open(conn: PooledConnection): Promise<boolean> {
    const start = performance.now();
    try {
      conn.socket = await this.connect(conn);
      this.recorder.record('connect', since(start));
    } catch (error) {
      this.recorder.error('connect', errorType(error));
      return false;
    }
    const results = await Promise.all(conn.channels.map((channel) => this.subscribe(conn, channel, undefined)));
    return results.every((ok) => ok);
  }

  /**
   * Drops `conn` and opens it again, resubscribing from where it was: the time until every
   * subscription is back is one `reconnect` sample; a reply with `recovered: false` is an error.
   */
  async reconnect(conn: PooledConnection): Promise<void> {
    conn.busy = true;
    const start = performance.now();
    try {
      conn.socket?.close();
      conn.socket = await this.connect(conn);
      const results = await Promise.all(conn.channels.map((channel) => this.subscribe(conn, channel, conn.positions.get(channel))));
      if (results.every((ok) => ok)) this.recorder.record('reconnect', since(start));
    } catch (error) {
      this.recorder.error('reconnect', errorType(error));
    } finally {
      conn.busy = false;
    }
  }

  /**
   * A reconnect storm: every open connection dropped at the same moment, then all reopened (at most
   * `concurrency` in flight) with the Lo client's backoff, the first attempt 250–500 ms after the drop,
   * each resubscribing with `since`. Each is one `reconnect` sample timed from the drop, so the stage's
   * reconnect max is the time until the last one recovered. A failed attempt is counted under its error
   * type and retried with the backoff until `giveUpMs` after the drop; then it counts as `not_recovered`.
   */
  async storm(concurrency: number, giveUpMs: number): Promise<void> {
    const start = performance.now();
    const dropped = this.connections.filter((c) => c.socket?.isOpen === true && !c.busy);
    for (const conn of dropped) {
      conn.busy = true;
      conn.socket!.close();
    }
    this.recorder.count('storm_dropped', dropped.length);
    let next = 0;
    const lane = async () => {
      while (next < dropped.length) {
        const conn = dropped[next++]!;
        await this.recoverFromStorm(conn, start, start + giveUpMs);
        conn.busy = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), dropped.length) }, lane));
  }

  private async recoverFromStorm(conn: PooledConnection, start: number, giveUpAt: number): Promise<void> {
    // The Lo client's backoff (full jitter): attempt n waits 250 ms to min(10 s, 250 ms · 2^(n+1)).
    for (let attempt = 0; ; attempt++) {
      const pauseMs = 250 + Math.random() * (Math.min(10_000, 250 * 2 ** (attempt + 1)) - 250);
      if (performance.now() + pauseMs > giveUpAt) break;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      try {
        conn.socket = await this.connect(conn);
        const results = await Promise.all(conn.channels.map((channel) => this.subscribe(conn, channel, conn.positions.get(channel))));
        if (results.every((ok) => ok)) return this.recorder.record('reconnect', since(start));
      } catch (error) {
        this.recorder.error('reconnect', errorType(error));
      }
      conn.socket?.close();
    }
    return this.recorder.error('reconnect', 'not_recovered');
  }

  /** The next open, idle connection after the last one picked that satisfies `accept` (round-robin). */
  pick(accept: (conn: PooledConnection) => boolean = () => true): PooledConnection | undefined {
    const n = this.connections.length;
    for (let tried = 0; tried < n; tried++) {
      const conn = this.connections[this.cursor++ % n]!;
      if (conn.socket?.isOpen === true && !conn.busy && accept(conn)) return conn;
    }
    return undefined;
  }

  /** Sends a fresh access token on every open socket of `user` (an `auth` frame extends the socket's life). */
  reauthenticate(user: BenchUser): void {
    for (const conn of this.connections) {
      if (conn.user !== user || conn.socket?.isOpen !== true) continue;
      conn.socket
        .request({ type: 'auth', token: user.token })
        .catch((error: unknown) => this.recorder.error('connect', `reauth ${errorType(error)}`));
    }
  }

  closeAll(): void {
    for (const conn of this.connections) conn.socket?.close();
  }

  private connect(conn: PooledConnection): Promise<BenchSocket> {
    return BenchSocket.open({
      url: this.target.wsUrl,
      token: conn.user.token,
      localAddress: this.target.nextLocalAddress(),
      timeoutMs: this.timeoutMs,
      onPush: (frame, receivedAt) => this.onPush(conn, frame, receivedAt),
      onLost: (type) => {
        this.recorder.error('connect', type);
        this.recorder.count('connections_lost');
      },
    });
  }

  private async subscribe(conn: PooledConnection, channel: string, from: StreamPosition | undefined): Promise<boolean> {
    const start = performance.now();
    const subscribed = (result: SubResult) => {
      if (from !== undefined && !result.recovered) this.recorder.error('reconnect', 'not_recovered');
      else for (const missed of result.missed) this.account(conn, missed, null);
      conn.positions.set(channel, { offset: result.offset, epoch: result.epoch });
    };
    try {
      await conn.socket!.request<SubResult>({ type: 'sub', channel, ...(from !== undefined && { since: from }) }, subscribed);
      this.recorder.record('subscribe', since(start));
      return true;
    } catch (error) {
      this.recorder.error(from === undefined ? 'subscribe' : 'reconnect', errorType(error));
      return false;
    }
  }

  private onPush(conn: PooledConnection, frame: ServerPush, receivedAt: number): void {
    if (frame.type === 'msg') this.account(conn, frame, receivedAt);
    else if (frame.type === 'unsubscribed') this.recorder.error('subscribe', `unsubscribed ${frame.error.code}`);
    else if (frame.type === 'error') this.recorder.error('connect', `pushed ${frame.error.code}`);
  }

  /** Counts one message: live (timed) when `receivedAt` is given, replayed by recovery when null. */
  private account(conn: PooledConnection, msg: MessageFrame, receivedAt: number | null): void {
    const position = conn.positions.get(msg.channel);
    if (position !== undefined && msg.offset !== undefined) {
      if (msg.offset <= position.offset) return this.recorder.error('delivery', 'duplicate');
      if (msg.offset > position.offset + 1) this.recorder.error('delivery', 'gap', msg.offset - position.offset - 1);
      position.offset = msg.offset;
    }
    const sentAt = this.sentAt(msg.data);
    if (sentAt === null) return this.recorder.count('foreign_messages');
    if (receivedAt === null) return this.recorder.count('recovered_messages');
    this.lastDeliveryAt = performance.now();
    this.recorder.record('delivery', (receivedAt - sentAt) * 1000);
  }

  /** The send time in a message of this run (`lo-bench <runId> <wall-clock ms>`), or null. */
  private sentAt(data: unknown): number | null {
    const text = (data as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') return null;
    const prefix = `lo-bench ${this.runId} `;
    if (!text.startsWith(prefix)) return null;
    const ms = Number(text.slice(prefix.length));
    return Number.isFinite(ms) ? ms : null;
  }
}

/** The text of a room message of run `runId`, stamped now. */
export function stampedText(runId: string): string {
  return `lo-bench ${runId} ${wallClockMs().toFixed(3)}`;
}
