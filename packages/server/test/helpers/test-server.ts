import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type LoClient } from '@lo/client';
import WebSocket from 'ws';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/util/time.js';

export interface TestServer {
  url: string;
  app: App;
  dataDir: string;
  /** A new SDK client for this server (not signed in). */
  client(): LoClient;
  close(): Promise<void>;
}

/**
 * Settings for tests: quiet logs, limits high enough that suites do not trip them by accident (tests
 * of rate limiting set their own), and travel speed unbounded unless a test is about plausibility.
 */
export const TEST_ENV: Record<string, string> = {
  LO_LOG_LEVEL: 'silent',
  LO_HOST: '127.0.0.1',
  LO_PORT: '0',
  LO_RATE_LIMITS:
    'signup=100000/60,login_ip=100000/60,login_account_ip=1000/60,login_account=1000/60,refresh=100000/60,write=100000/60,post=100000/60,report=100000/60,probe=100000/60,publish=100000/1,typing=100000/1,presence=100000/1,status=100000/1,beacon=100000/1,area=100000/60',
  LO_LOCATION_MAX_SPEED: '1000000000',
};

/** An SDK client for `url` as tests use it: `ws` as the WebSocket (Node 20 has none) and quick reconnects. */
export function sdkClient(url: string): LoClient {
  return createClient({ url, WebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 250 } });
}

export function tempDir(prefix = 'lo-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real server on port 0 over a real SQLite file in a fresh data dir (optionally on a pinned clock). */
export async function startServer(env: Record<string, string> = {}, dataDir: string = tempDir(), clock?: Clock): Promise<TestServer> {
  const config = loadConfig({ ...TEST_ENV, LO_DATA_DIR: dataDir, ...env });
  const app = await createApp(config, clock);
  const url = await app.listen();
  return {
    url,
    app,
    dataDir,
    client: () => sdkClient(url),
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
