/**
 * The Socket.IO baseline (child process): token checked in the handshake (`auth.token`, the idiomatic
 * way), `sub` joins a room, `pub` does `io.to(room).emit('msg', frame)` with the same frame Lo sends.
 * Tells the parent `{type: 'listening', port}`.
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { tokenSecretFromEnv, verifyToken } from './bench-token.js';
import { tellParent } from './child-rpc.js';

const secret = tokenSecretFromEnv();
const httpServer = http.createServer();
const io = new Server(httpServer, { perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 16 * 1024 });
let nextId = 0;

io.use((socket, next) => {
  const user = verifyToken(secret, (socket.handshake.auth as { token?: unknown }).token);
  if (user === null) return next(new Error('bad token'));
  (socket.data as { user: string }).user = user;
  next();
});

io.on('connection', (socket) => {
  const user = (socket.data as { user: string }).user;
  socket.on('sub', (channel: unknown, ack: unknown) => {
    if (typeof channel !== 'string' || typeof ack !== 'function') return;
    void socket.join(channel);
    (ack as (r: unknown) => void)({ recovered: false, missed: [] });
  });
  socket.on('pub', (channel: unknown, data: unknown, ack: unknown) => {
    if (typeof channel !== 'string' || typeof ack !== 'function') return;
    const id = String(++nextId);
    const created_at = new Date().toISOString();
    io.to(channel).emit('msg', { type: 'msg', channel, id, author: { id: user, username: user }, data, created_at });
    (ack as (r: unknown) => void)({ id, created_at });
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address();
  tellParent({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});
process.on('SIGTERM', () => process.exit(0));
