/**
 * The WebSocket transport: `ws` in noServer mode on the HTTP server's `upgrade` event, path /ws,
 * subprotocol lo.v1. The handshake is refused before any WebSocket state exists when the Origin is
 * not allowed (403), the subprotocol is missing (400), the address has too many sockets (429) or the
 * server is shutting down (503).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_TYPE_PREFIX, ERRORS, SUBPROTOCOL, WS_LIMITS, WS_PATH, type ErrorCode } from '@lo/protocol';
import { WebSocketServer } from 'ws';
import type { RealtimeNode } from './realtime-node.js';

export interface GatewayOptions {
  /** Browser origins allowed to open sockets; `*` allows any. A request without Origin (not a browser) is allowed. */
  allowedOrigins: string[];
  /** Take the client address from X-Forwarded-For (behind a proxy you run). */
  trustProxy: boolean | string;
}

export interface Gateway {
  /** Stops accepting sockets (existing ones are closed by the node). */
  close(): void;
}

export function attachGateway(server: Server, node: RealtimeNode, options: GatewayOptions): Gateway {
  let closing = false;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_LIMITS.frameMaxBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req) !== WS_PATH) return refuse(socket, 'route_not_found');
    if (!originAllowed(req, options.allowedOrigins)) return refuse(socket, 'origin_not_allowed');
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!protocols.includes(SUBPROTOCOL)) return refuse(socket, 'validation_failed', `Use the WebSocket subprotocol "${SUBPROTOCOL}".`);
    if (closing) return refuse(socket, 'unavailable');
    const ip = clientIp(req, options.trustProxy);
    if (!node.admitsIp(ip)) return refuse(socket, 'rate_limited', 'Too many connections from this address.');
    wss.handleUpgrade(req, socket, head, (ws) => node.accept(ws, ip));
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Same-origin pages (Origin matches Host) are always allowed; other origins only when listed. */
function originAllowed(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function clientIp(req: IncomingMessage, trustProxy: boolean | string): string {
  const direct = req.socket.remoteAddress ?? 'unknown';
  const trusted = trustProxy === true || (typeof trustProxy === 'string' && trustProxy.split(',').some((p) => p.trim() === direct));
  if (!trusted) return direct;
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first !== undefined && first !== '' ? first : direct;
}

function refuse(socket: Duplex, code: ErrorCode, detail?: string): void {
  const spec = ERRORS[code];
  const body = JSON.stringify({
    type: ERROR_TYPE_PREFIX + code,
    title: spec.title,
    status: spec.status,
    detail: detail ?? spec.title,
    code,
  });
  socket.end(
    `HTTP/1.1 ${spec.status} ${spec.title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
