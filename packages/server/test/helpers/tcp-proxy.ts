/**
 * A TCP proxy in front of a test server, to break connections the way networks do: `cut()` destroys
 * every connection through it at once (both sides see the socket die, no close handshake), while new
 * connections keep working.
 */
import net from 'node:net';

export interface TcpProxy {
  /** The proxy's base URL (http://127.0.0.1:<port>), for clients that should go through it. */
  url: string;
  /** Destroys every live connection; resolves with how many there were. */
  cut(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const live = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
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
    async close() {
      for (const socket of [...live]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
