/**
 * A TCP proxy in front of a test server, to break connections the way networks do: `cut()` destroys
 * every connection through it at once (both sides see the socket die, no close handshake), while new
 * connections keep working; `block()` also swallows new ones until `unblock()` (a partition).
 */
import net from 'node:net';

export interface TcpProxy {
  /** The proxy's base URL (http://127.0.0.1:<port>), for clients that should go through it. */
  url: string;
  /** Destroys every live connection; resolves with how many there were. */
  cut(): number;
  /**
   * Cuts every live connection and, until `unblock()`, accepts new ones without ever forwarding a
   * byte: to the client the server hangs, as behind a network partition (nothing refuses, nothing answers).
   */
  block(): void;
  /** Forwards new connections again; the ones held while blocked are destroyed (their clients retry). */
  unblock(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const live = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  let blocked = false;
  const server = net.createServer((inbound) => {
    if (blocked) {
      held.add(inbound);
      inbound.on('error', () => undefined);
      inbound.on('close', () => held.delete(inbound));
      return;
    }
    const outbound = net.connect(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      live.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        live.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const count = live.size / 2;
      for (const socket of [...live]) socket.destroy();
      return count;
    },
    block() {
      blocked = true;
      for (const socket of [...live]) socket.destroy();
    },
    unblock() {
      blocked = false;
      for (const socket of [...held]) socket.destroy();
    },
    async close() {
      for (const socket of [...live, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
