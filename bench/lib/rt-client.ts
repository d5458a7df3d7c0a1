/**
 * One client connection to any of the three servers the real-time benchmarks compare, behind one
 * interface: connect, authenticate, optionally subscribe, publish with an acknowledgement, close.
 * `ws` and `lo` speak Lo's protocol v1 (the bare ws baseline implements its auth/sub/pub subset);
 * `socketio` uses socket.io-client on the websocket transport only.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';

export type ServerKind = 'ws' | 'socketio' | 'lo';
export const SERVER_KINDS: readonly ServerKind[] = ['ws', 'socketio', 'lo'];
export const SERVER_NAMES: Record<ServerKind, string> = { ws: 'bare ws', socketio: 'Socket.IO', lo: 'Lo' };

/** Where clients connect: `ws://host:port/` (ws), `http://host:port` (socketio), `ws://host:port/ws` (lo). */
export interface Endpoint {
  kind: ServerKind;
  url: string;
}

export interface ConnectOptions {
  token: string;
  /** Subscribe to this channel (room) once authenticated. */
  channel?: string;
  /** Lo only: open a geo subscription here once authenticated (geo posts arrive through onData). */
  geo?: { lat: number; lng: number; radius: number };
  localAddress?: string;
  /** Called with the `data` of every message delivered on the subscribed channel. */
  onData?: (data: unknown) => void;
  /** Called when the connection closes without `close()` having been called. */
  onLost?: (reason: string) => void;
  timeoutMs?: number;
}

export interface Connection {
  /** Publishes `data` on `channel`; resolves on the server's acknowledgement. */
  publish(channel: string, data: unknown): Promise<void>;
  close(): void;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function connect(endpoint: Endpoint, options: ConnectOptions): Promise<Connection> {
  return endpoint.kind === 'socketio' ? connectSocketIo(endpoint.url, options) : connectLoProtocol(endpoint, options);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => (onTimeout(), reject(new Error(`${what}: no answer within ${ms} ms`))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface ServerFrame {
  type?: string;
  re?: number;
  ok?: boolean;
  error?: { code?: string; message?: string };
  data?: unknown;
  message?: { content?: string };
}

/** A geo post's content, which the geo benchmark fills with the same JSON a channel payload carries. */
function geoData(content: string | undefined): unknown {
  try {
    return JSON.parse(content ?? 'null');
  } catch {
    return null;
  }
}

async function connectLoProtocol(endpoint: Endpoint, options: ConnectOptions): Promise<Connection> {
  const ws = new WebSocket(endpoint.url, endpoint.kind === 'lo' ? ['lo.v1'] : [], {
    perMessageDeflate: false,
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
  });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closing = false;
  let ready = false;
  ws.on('message', (raw: Buffer) => {
    // Lo may coalesce several frames into one WebSocket message, one per line.
    for (const line of raw.toString().split('\n')) {
      if (line === '') continue;
      const frame = JSON.parse(line) as ServerFrame;
      if (frame.type === 'msg') options.onData?.(frame.data);
      else if (frame.type === 'geo.msg') options.onData?.(geoData(frame.message?.content));
      else if (typeof frame.re === 'number') {
        const call = pending.get(frame.re);
        pending.delete(frame.re);
        if (frame.ok === true) call?.resolve();
        else call?.reject(new Error(`${frame.error?.code ?? 'error'}: ${frame.error?.message ?? line}`));
      }
    }
  });
  ws.on('error', () => undefined); // 'close' follows and reports it
  ws.on('close', (code, reason) => {
    const why = `closed ${code} ${reason.toString()}`.trim();
    for (const call of pending.values()) call.reject(new Error(why));
    pending.clear();
    if (ready && !closing) options.onLost?.(why);
  });
  const request = (frame: Record<string, unknown>): Promise<void> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  const close = (): void => {
    closing = true;
    ws.terminate();
  };
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} on upgrade`)));
  });
  const setup = async (): Promise<void> => {
    await opened;
    await request({ type: 'auth', token: options.token });
    if (options.channel !== undefined) await request({ type: 'sub', channel: options.channel });
    if (options.geo !== undefined) await request({ type: 'geo.sub', ...options.geo });
  };
  await withTimeout(setup(), options.timeoutMs ?? 30_000, `connect to ${endpoint.url}`, close);
  ready = true;
  return { publish: (channel, data) => request({ type: 'pub', channel, data }), close };
}

async function connectSocketIo(url: string, options: ConnectOptions): Promise<Connection> {
  // forceNew: one engine.io connection per client (socket.io-client otherwise multiplexes them all over one).
  // localAddress is passed through to ws by engine.io-client, though its types do not list it.
  const settings: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: options.token },
    timeout: options.timeoutMs ?? 30_000,
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
  };
  const socket: Socket = io(url, settings);
  let closing = false;
  let ready = false;
  const close = (): void => {
    closing = true;
    socket.disconnect();
  };
  socket.on('msg', (frame: ServerFrame) => options.onData?.(frame.data));
  socket.on('disconnect', (reason) => {
    if (ready && !closing) options.onLost?.(reason);
  });
  const setup = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    if (options.channel !== undefined) await socket.emitWithAck('sub', options.channel);
  };
  await withTimeout(setup(), options.timeoutMs ?? 30_000, `connect to ${url}`, close);
  ready = true;
  return {
    publish: async (channel, data) => {
      await socket.emitWithAck('pub', channel, data);
    },
    close,
  };
}
