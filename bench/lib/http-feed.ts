import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createApp, type App } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config/config.js';
import type { QueryPoint } from './distribution.js';
import { FEED_LIMIT, FEED_RADIUS_M, timeQueries, type FeedRun } from './store-feed.js';

const HIGH_LIMITS = ['signup', 'login_ip', 'login_account_ip', 'login_account', 'refresh', 'write', 'post', 'report', 'probe']
  .map((name) => `${name}=1000000/60`)
  .join(',');

/**
 * The real app (createApp) over the benchmark data dir, on a free loopback port, quiet and unthrottled;
 * `env` adds settings (LO_DATABASE_URL for the PostgreSQL benchmark).
 */
export async function startBenchApp(dir: string, env: Record<string, string> = {}): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    LO_DATA_DIR: dir,
    LO_HOST: '127.0.0.1',
    LO_PORT: '0',
    LO_LOG_LEVEL: 'silent',
    LO_RATE_LIMITS: HIGH_LIMITS,
    LO_LOCATION_MAX_SPEED: '1000000000',
    ...env,
  });
  const app = await createApp(config);
  return { app, url: await app.listen() };
}

interface Response {
  status: number;
  body: string;
}

/** One HTTP/1.1 client over a single keep-alive socket. */
export class KeepAliveClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly base: string) {}

  request(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(path, this.base), { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Signs up one viewer and returns its access token. */
async function signupViewer(client: KeepAliveClient): Promise<string> {
  const body = JSON.stringify({
    username: `bench_viewer_${randomBytes(4).toString('hex')}`,
    password: `pw-${randomBytes(12).toString('base64url')}`,
  });
  const res = await client.request('POST', '/api/auth/signup', { 'content-type': 'application/json' }, body);
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

/** Times GET /api/messages/nearby (the local feed, sort=recent) end to end, one request at a time. */
export async function timeHttpFeed(url: string, points: readonly QueryPoint[], warmup: readonly QueryPoint[]): Promise<FeedRun> {
  const client = new KeepAliveClient(url);
  try {
    const token = await signupViewer(client);
    const headers = { authorization: `Bearer ${token}` };
    return await timeQueries(points, warmup, async (point) => {
      const res = await client.request(
        'GET',
        `/api/messages/nearby?lat=${point.lat}&lng=${point.lng}&radius=${FEED_RADIUS_M}&limit=${FEED_LIMIT}`,
        headers,
      );
      if (res.status !== 200) throw new Error(`nearby failed: ${res.status} ${res.body}`);
      return (JSON.parse(res.body) as { items: unknown[] }).items.length;
    });
  } finally {
    client.close();
  }
}
