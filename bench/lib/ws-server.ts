/**
 * The bare `ws` baseline (child process): the server a developer writes in an afternoon. It speaks the
 * subset of Lo's protocol v1 the benchmarks use (auth, sub, pub, msg), so the clients and the frames on
 * the wire are the same as Lo's, and it broadcasts the naive way: serialize once, then one `send` per
 * subscriber. Tells the parent `{type: 'listening', port}`.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { tokenSecretFromEnv, verifyToken } from './bench-token.js';
import { tellParent } from './child-rpc.js';

const secret = tokenSecretFromEnv();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 16 * 1024 });
const channels = new Map<string, Set<WebSocket>>();
let nextId = 0;

interface Frame {
  type?: unknown;
  id?: unknown;
  token?: unknown;
  channel?: unknown;
  data?: unknown;
}

wss.on('connection', (ws) => {
  let user: string | null = null;
  const subscribed = new Set<string>();
  const reply = (re: unknown, result: unknown): void => ws.send(JSON.stringify({ re, ok: true, result }));
  const fail = (re: unknown, message: string): void => ws.send(JSON.stringify({ re, ok: false, error: { code: 'bad_request', message } }));

  ws.on('message', (raw, isBinary) => {
    let frame: Frame;
    try {
      frame = JSON.parse(isBinary ? '' : (raw as Buffer).toString()) as Frame;
    } catch {
      ws.close(4503, 'not JSON');
      return;
    }
    if (frame.type === 'auth') {
      user = verifyToken(secret, frame.token);
      if (user === null) ws.close(4501, 'bad token');
      else reply(frame.id, { user: { id: user, username: user } });
      return;
    }
    if (user === null) return fail(frame.id, 'send auth first');
    if (typeof frame.channel !== 'string') return fail(frame.id, 'channel missing');
    if (frame.type === 'sub') {
      let set = channels.get(frame.channel);
      if (set === undefined) channels.set(frame.channel, (set = new Set()));
      set.add(ws);
      subscribed.add(frame.channel);
      reply(frame.id, { recovered: false, missed: [] });
    } else if (frame.type === 'pub') {
      const id = String(++nextId);
      const created_at = new Date().toISOString();
      const text = JSON.stringify({
        type: 'msg',
        channel: frame.channel,
        id,
        author: { id: user, username: user },
        data: frame.data,
        created_at,
      });
      for (const peer of channels.get(frame.channel) ?? []) peer.send(text);
      reply(frame.id, { id, created_at });
    } else fail(frame.id, 'unknown frame type');
  });
  ws.on('close', () => {
    for (const channel of subscribed) channels.get(channel)?.delete(ws);
  });
});

wss.on('listening', () => {
  const address = wss.address();
  tellParent({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});
process.on('SIGTERM', () => process.exit(0));
