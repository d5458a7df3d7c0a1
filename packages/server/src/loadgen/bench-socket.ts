import {
  decodeServerMessage,
  SUBPROTOCOL,
  type ClientFrame,
  type ReplyError,
  type ReplyOk,
  type ServerFrame,
  type ServerPush,
} from '@lo/protocol';
import WebSocket from 'ws';
import { closeType, OpError } from './op-error.js';

type RequestFrame = ClientFrame extends infer F ? (F extends { id?: unknown } ? Omit<F, 'id'> : never) : never;

interface Waiting {
  resolve(result: unknown): void;
  reject(error: OpError): void;
  timer: NodeJS.Timeout;
}

export interface SocketOptions {
  url: string;
  token: string;
  localAddress: string | undefined;
  timeoutMs: number;
  onPush(frame: ServerPush, receivedAtMs: number): void;
  /** The socket closed without close() being called (server shutdown, slow consumer, session ended). */
  onLost(type: string): void;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One protocol v1 connection of the load: opened and authenticated by `open()`, then requests with
 * ids matched to their replies (each with a timeout), and pushes handed to `onPush`. It sends no
 * `Origin` (it is not a browser) and never follows a redirect of the handshake.
 */
export class BenchSocket {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closedByUs = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: SocketOptions,
  ) {}

  static open(options: SocketOptions): Promise<BenchSocket> {
    const ws = new WebSocket(options.url, SUBPROTOCOL, {
      localAddress: options.localAddress,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: 64 * 1024 * 1024,
    });
    const socket = new BenchSocket(ws, options);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new OpError('timeout', `not authenticated within ${options.timeoutMs} ms`)), options.timeoutMs);
      let settled = false;
      const fail = (error: OpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.closedByUs = true;
        ws.terminate();
        reject(error);
      };
      ws.on('unexpected-response', (_req, res) => {
        // A refused handshake is a problem+json answer; its code is what the summary counts.
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += body.length < 4096 ? chunk : ''));
        res.on('end', () => fail(handshakeError(res.statusCode ?? 0, body)));
        res.on('error', () => fail(new OpError(`http_${res.statusCode ?? 0}`)));
      });
      ws.on('error', (err: NodeJS.ErrnoException) => fail(new OpError(err.code ?? 'ws_error', err.message)));
      ws.on('close', (code) => {
        if (!settled) fail(new OpError(closeType(code)));
      });
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => socket.receive(data, isBinary));
      ws.on('open', () => {
        socket
          .request({ type: 'auth', token: options.token })
          .then(() => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            ws.removeAllListeners('close');
            ws.on('close', (code) => socket.closed(code));
            resolve(socket);
          })
          .catch((err: OpError) => fail(err));
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.closedByUs;
  }

  /**
   * Sends a request frame and resolves with its reply's `result` (an error reply rejects with its
   * code). `onResult` runs synchronously when the reply is read, before the frames that came after it
   * in the same message: a `sub` reply must set the channel's position before the live messages that
   * follow it are counted (a promise continuation would run only after them).
   */
  request<T = unknown>(frame: RequestFrame, onResult?: (result: T) => void): Promise<T> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new OpError('not_connected'));
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new OpError('timeout', `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (result: unknown) => {
        onResult?.(result as T);
        resolve(result as T);
      };
      this.waiting.set(id, { resolve: settle, reject, timer });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Closes the socket normally; requests still waiting fail with `closed`. */
  close(): void {
    this.closedByUs = true;
    this.ws.close(1000);
    this.failWaiting('closed');
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    // After close() nothing counts: a reconnect's new socket recovers what this one still had in
    // flight, and counting it here too would show up as duplicates.
    if (this.closedByUs) return;
    const receivedAt = wallClockMs();
    let frames: ServerFrame[];
    try {
      if (isBinary) throw new Error('binary frame');
      frames = decodeServerMessage(
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'),
      );
    } catch {
      return this.options.onPush({ type: 'error', error: { code: 'invalid_frame', message: 'unparsable server frame' } }, receivedAt);
    }
    for (const frame of frames) {
      if ('re' in frame) this.reply(frame);
      else this.options.onPush(frame, receivedAt);
    }
  }

  private reply(frame: ReplyOk | ReplyError): void {
    if (typeof frame.re !== 'number') return;
    const waiting = this.waiting.get(frame.re);
    if (waiting === undefined) return;
    this.waiting.delete(frame.re);
    clearTimeout(waiting.timer);
    if (frame.ok) waiting.resolve(frame.result);
    else waiting.reject(new OpError(frame.error.code, frame.error.message));
  }

  private closed(code: number): void {
    this.failWaiting(closeType(code));
    if (!this.closedByUs) this.options.onLost(closeType(code));
  }

  private failWaiting(type: string): void {
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new OpError(type));
      this.waiting.delete(id);
    }
  }
}

function handshakeError(status: number, body: string): OpError {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    if (typeof code === 'string') return new OpError(code, `handshake refused: ${status} ${code}`);
  } catch {
    // not a problem body
  }
  return new OpError(status >= 300 && status < 400 ? 'redirect_refused' : `http_${status}`, `handshake refused: ${status}`);
}
