/**
 * Lower-level WebSocket tools for gateway tests, below `WsTestClient`: handshakes that report the HTTP
 * status of a refusal, sockets with `ws` options (e.g. `autoPong: false`), and a log of every frame a
 * socket receives, replies included, in arrival order.
 */
import { decodeServerMessage, SUBPROTOCOL, type ServerFrame } from '@lo/protocol';
import WebSocket from 'ws';
import type { WsClose } from './ws-client.js';

export interface HandshakeOptions {
  path?: string;
  /** Subprotocols to offer; `[]` offers none. Defaults to lo.v1. */
  protocols?: string[];
  origin?: string;
}

export interface HandshakeOutcome {
  /** 101 when the upgrade was accepted, otherwise the refusal's HTTP status. */
  status: number;
  /** The refusal's body parsed as JSON (undefined when accepted or not JSON). */
  body: unknown;
  contentType: string | undefined;
  /** The subprotocol the server chose, when accepted. */
  protocol: string | undefined;
}

function wsUrl(url: string, path = '/ws'): string {
  return url.replace(/^http/, 'ws') + path;
}

/** Attempts one handshake and reports how it went; an accepted socket is closed again at once. */
export function handshake(url: string, options: HandshakeOptions = {}): Promise<HandshakeOutcome> {
  const socket = new WebSocket(wsUrl(url, options.path), options.protocols ?? [SUBPROTOCOL], {
    ...(options.origin !== undefined && { origin: options.origin }),
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      resolve({ status: 101, body: undefined, contentType: undefined, protocol: socket.protocol });
      socket.close();
    });
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'], protocol: undefined });
      });
      res.on('error', reject);
    });
    socket.once('error', reject);
  });
}

/** Opens a lo.v1 socket with extra `ws` client options; resolves once it is open. */
export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(url), [SUBPROTOCOL], options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Every frame one socket receives, in order, and how it closed. */
export class FrameLog {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<WsClose>;
  isClosed = false;
  /** Binary messages received (the protocol has none). */
  binaryMessages = 0;
  private readonly watchers = new Set<() => void>();

  constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.notify();
      }),
    );
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.binaryMessages++;
      else this.frames.push(...decodeServerMessage((data as Buffer).toString()));
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the index of the first frame at or after `from` that passes `test`, or null if the socket closes first. */
  waitFor(test: (frame: ServerFrame) => boolean, from = 0, timeoutMs = 10_000): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.frames.findIndex((frame, i) => i >= from && test(frame));
        if (index !== -1) resolve(index);
        else if (this.isClosed) resolve(null);
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(from)).slice(0, 500)}`));
      }, timeoutMs);
      const watcher = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      this.watchers.add(watcher);
    });
  }

  /** Resolves with the reply to request `id` (null if the socket closes first). */
  async reply(id: string | number, from = 0, timeoutMs = 10_000): Promise<ServerFrame | null> {
    const index = await this.waitFor((f) => 're' in f && f.re === id, from, timeoutMs);
    return index === null ? null : this.frames[index]!;
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}
