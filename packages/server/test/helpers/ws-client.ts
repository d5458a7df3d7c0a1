/**
 * A raw protocol v1 client for tests: speaks the wire format directly (no SDK), so tests can send
 * malformed frames, watch close codes and see exactly what the server pushes.
 */
import { decodeServerMessage, SUBPROTOCOL, type Reply, type ServerFrame, type ServerPush } from '@lo/protocol';
import WebSocket from 'ws';

export interface WsClose {
  code: number;
  reason: string;
}

export class WsTestClient {
  readonly pushes: ServerPush[] = [];
  readonly closed: Promise<WsClose>;
  private nextId = 1;
  private readonly waiting = new Map<string | number, (reply: Reply) => void>();
  private readonly watchers: Array<{ test: (f: ServerPush) => boolean; resolve: (f: ServerPush) => void }> = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data) => {
      for (const frame of decodeServerMessage((data as Buffer).toString())) this.receive(frame);
    });
    socket.on('error', () => undefined);
  }

  /** Opens a socket to `<url>/ws` (http→ws) with the lo.v1 subprotocol unless others are given. */
  static open(url: string, options: { protocols?: string[]; origin?: string } = {}): Promise<WsTestClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + '/ws', options.protocols ?? [SUBPROTOCOL], {
      ...(options.origin !== undefined && { origin: options.origin }),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsTestClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Opens and authenticates; resolves with the client once the auth reply is ok. */
  static async connect(url: string, token: string): Promise<WsTestClient> {
    const client = await WsTestClient.open(url);
    const reply = await client.request({ type: 'auth', token });
    if (!reply.ok) throw new Error(`auth failed: ${reply.error.code}`);
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id and resolves with its reply. */
  request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Reply> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${String(frame.type)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /** Like request, but throws unless the reply is ok; resolves with its result. */
  async ok<T = Record<string, unknown>>(frame: Record<string, unknown>): Promise<T> {
    const reply = await this.request(frame);
    if (!reply.ok) throw new Error(`${String(frame.type)} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  /** Resolves with the first push (already received or future) that passes `test`. */
  next(test: (frame: ServerPush) => boolean, timeoutMs = 5000): Promise<ServerPush> {
    const seen = this.pushes.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('expected push did not arrive')), timeoutMs);
      this.watchers.push({
        test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  messages(channel: string): Array<Extract<ServerPush, { type: 'msg' }>> {
    return this.pushes.filter((f): f is Extract<ServerPush, { type: 'msg' }> => f.type === 'msg' && f.channel === channel);
  }

  close(): void {
    this.socket.close();
  }

  private receive(frame: ServerFrame): void {
    if ('re' in frame) {
      this.waiting.get(frame.re)?.(frame);
      this.waiting.delete(frame.re);
      return;
    }
    this.pushes.push(frame);
    for (const watcher of [...this.watchers]) {
      if (watcher.test(frame)) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.resolve(frame);
      }
    }
  }
}
