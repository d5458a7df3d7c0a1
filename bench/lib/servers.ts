/**
 * The three servers of the real-time benchmarks, each started alone in its own process so that its CPU
 * time and memory can be read from /proc without the clients' mixed in.
 */
import path from 'node:path';
import { makeToken, newTokenSecret, TOKEN_SECRET_ENV } from './bench-token.js';
import { spawnTs, type Child } from './children.js';
import { startLo } from './lo-server.js';
import type { Endpoint, ServerKind } from './rt-client.js';
import type { ProbeMemory } from './server-probe.js';

export interface RunningServer {
  kind: ServerKind;
  child: Child;
  endpoint: Endpoint;
  /** Access tokens the clients share, round-robin. */
  tokens: string[];
}

const isListening = (m: unknown): m is { type: 'listening'; port: number } =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'listening';

/** Starts `kind` with `--expose-gc`, `nodeFlags` and the server probe; `users` distinct users get tokens. */
export async function startServer(kind: ServerKind, root: string, users: number, nodeFlags: string[] = []): Promise<RunningServer> {
  const lib = path.join(root, 'bench/lib');
  const probe = path.join(lib, 'server-probe.ts');
  if (kind === 'lo') {
    const lo = await startLo(root, probe, users, nodeFlags);
    return { kind, child: lo.child, endpoint: { kind, url: `ws://127.0.0.1:${lo.port}/ws` }, tokens: lo.tokens };
  }
  const secret = newTokenSecret();
  const file = path.join(lib, kind === 'ws' ? 'ws-server.ts' : 'socketio-server.ts');
  const child = spawnTs(`${kind} server`, file, [], {
    nodeFlags: ['--expose-gc', ...nodeFlags],
    preload: [probe],
    env: { ...process.env, [TOKEN_SECRET_ENV]: secret },
  });
  try {
    const { port } = await child.waitFor(isListening, 30_000);
    const url = kind === 'ws' ? `ws://127.0.0.1:${port}/` : `http://127.0.0.1:${port}`;
    const tokens = Array.from({ length: users }, (_, i) => makeToken(secret, `user${i + 1}`));
    return { kind, child, endpoint: { kind, url }, tokens };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Two full garbage collections in the server, then its memoryUsage(). */
export function collectGarbage(server: RunningServer): Promise<ProbeMemory> {
  return server.child.call<ProbeMemory>('gc', {}, 30_000);
}
