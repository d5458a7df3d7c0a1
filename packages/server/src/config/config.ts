import path from 'node:path';
import { WS_LIMITS } from '@lo/protocol';
import { parseNamespaces, type NamespaceTable } from '../core/channels/namespaces.js';
import { DEFAULT_RATE_RULES, type RateRuleName, type RateRules } from '../core/rate-rules.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Validated configuration. Every field comes from one LO_* variable declared in VARIABLES below. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` (resolved to an absolute path) or a `postgres://` / `postgresql://` URL (see parsePostgresUrl). */
  databaseUrl: string;
  brokerUrl: string;
  jwtSecret: string | null;
  allowedOrigins: string[];
  logLevel: LogLevel;
  trustProxy: boolean | string;
  metricsToken: string | null;
  bodyLimit: number;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  sessionIdleTtlS: number;
  privacyGridM: number;
  maxSpeedMps: number;
  messageTtlS: number;
  messageEditWindowS: number;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  rateLimits: RateRules;
  shutdownTimeoutS: number;
  wsMaxConnectionsPerUser: number;
  wsMaxConnectionsPerIp: number;
  wsMaxSubscriptions: number;
  wsQueueMaxBytes: number;
  wsPingIntervalS: number;
  wsAuthTimeoutS: number;
  wsWriteDelayMs: number;
  namespaces: NamespaceTable;
  areaK: number;
}

interface Variable {
  env: string;
  default: string;
  doc: string;
}

/** The LO_* variables, their defaults and meaning. The README's configuration table is rendered from this. */
export const VARIABLES: Variable[] = [
  { env: 'LO_HOST', default: '127.0.0.1', doc: 'Interface to listen on. Use `0.0.0.0` to accept connections from other machines.' },
  { env: 'LO_PORT', default: '8787', doc: 'TCP port for HTTP and WebSocket.' },
  { env: 'LO_DATA_DIR', default: './data', doc: 'Directory for the SQLite database and generated secrets.' },
  {
    env: 'LO_DATABASE_URL',
    default: 'sqlite:<LO_DATA_DIR>/lo.db',
    doc: 'Database: `sqlite:<file>` (embedded) or PostgreSQL with PostGIS 3 (`postgres://user:password@host:5432/db`, also `postgresql://`). PostgreSQL URLs take `?pool=N` (connections per node, default 10) and `?schema=name` (default `public`); migrations run on start and install PostGIS when the role may (otherwise run `CREATE EXTENSION postgis` once).',
  },
  {
    env: 'LO_BROKER_URL',
    default: 'memory',
    doc: 'Fan-out between nodes: `memory` (one process), `redis://host:6379` (Redis carries fan-out, presence and rate limits, shared by every node) or `nats://host:4222` (NATS carries fan-out; presence and rate limits stay per node).',
  },
  {
    env: 'LO_JWT_SECRET',
    default: 'generated',
    doc: 'HMAC key for access tokens, at least 32 characters. When unset, one is generated into `<LO_DATA_DIR>/jwt-secret` and reused. Set the same value on every node.',
  },
  {
    env: 'LO_ALLOWED_ORIGINS',
    default: '',
    doc: 'Comma-separated browser origins allowed by CORS and on the WebSocket handshake (`https://app.example`). Empty: no cross-origin browser access.',
  },
  { env: 'LO_LOG_LEVEL', default: 'info', doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.' },
  {
    env: 'LO_TRUST_PROXY',
    default: 'false',
    doc: '`true` to take the client IP from `X-Forwarded-For` (only behind a proxy you run), or a comma-separated list of proxy addresses/CIDRs.',
  },
  { env: 'LO_METRICS_TOKEN', default: '', doc: 'When set, `GET /api/metrics` requires `Authorization: Bearer <token>`.' },
  { env: 'LO_BODY_LIMIT', default: '65536', doc: 'Largest request body in bytes (413 above).' },
  { env: 'LO_ACCESS_TOKEN_TTL', default: '900', doc: 'Access token lifetime in seconds (15 minutes).' },
  {
    env: 'LO_REFRESH_TOKEN_TTL',
    default: '2592000',
    doc: 'Absolute session lifetime in seconds (30 days); refreshing does not extend it.',
  },
  { env: 'LO_SESSION_IDLE_TTL', default: '1209600', doc: 'A session unused for this many seconds (14 days) ends.' },
  {
    env: 'LO_PRIVACY_GRID_M',
    default: '100',
    doc: "Cell size in metres (25–100) of the grid that authors' positions are snapped to before anyone else can observe them (see docs/PRIVACY.md). At most a third of the smallest post radius (300 m), so a post is always visible where it was made.",
  },
  {
    env: 'LO_LOCATION_MAX_SPEED',
    default: '300',
    doc: 'Fastest plausible travel in m/s (about an airliner); faster jumps between position reports are refused.',
  },
  { env: 'LO_MESSAGE_TTL', default: '604800', doc: 'Default lifetime of a geo post in seconds (7 days) when `expires_in` is not given.' },
  { env: 'LO_MESSAGE_EDIT_WINDOW', default: '900', doc: 'Seconds after posting during which the author may edit a post.' },
  {
    env: 'LO_SQLITE_SYNCHRONOUS',
    default: 'NORMAL',
    doc: '`NORMAL`: acknowledged writes survive a crash of the process (kill -9); `FULL`: they also survive power loss, at lower write throughput.',
  },
  {
    env: 'LO_RATE_LIMITS',
    default: '',
    doc:
      'Overrides of rate limits, `name=points/seconds` comma-separated, e.g. `post=10/60,signup=100/3600`. Names: ' +
      Object.keys(DEFAULT_RATE_RULES)
        .map((n) => '`' + n + '`')
        .join(', ') +
      '.',
  },
  { env: 'LO_SHUTDOWN_TIMEOUT', default: '10', doc: 'Seconds to finish in-flight requests on SIGTERM/SIGINT before closing anyway.' },
  {
    env: 'LO_WS_MAX_CONNECTIONS_PER_USER',
    default: '20',
    doc: 'WebSocket connections one user may hold on one node (more close with 4003).',
  },
  {
    env: 'LO_WS_MAX_CONNECTIONS_PER_IP',
    default: '1000',
    doc: 'WebSocket connections from one client address on one node (more are refused with 429).',
  },
  { env: 'LO_WS_MAX_SUBSCRIPTIONS', default: '200', doc: 'Channel subscriptions per WebSocket connection.' },
  {
    env: 'LO_WS_QUEUE_MAX_BYTES',
    default: '4194304',
    doc: 'Bytes queued for one socket (waiting to be written plus unsent) at which it is closed as a slow consumer (4002). Typing and presence events are dropped from half of it.',
  },
  {
    env: 'LO_WS_PING_INTERVAL',
    default: '25',
    doc: 'Seconds between WebSocket pings; a socket that has not answered by the next one is dropped. Presence entries live 2.5 times this long without a heartbeat.',
  },
  {
    env: 'LO_WS_AUTH_TIMEOUT',
    default: String(WS_LIMITS.authTimeoutS),
    doc: 'Seconds a new WebSocket has to send its `auth` frame (then it is closed with 4500).',
  },
  {
    env: 'LO_WS_WRITE_DELAY',
    default: '0',
    doc: 'Milliseconds to hold frames before writing them, so more of them share one write per socket. 0 writes at the end of each event-loop turn (lowest latency); a few milliseconds cut CPU per delivery on busy channels at that much added latency (bench/results.md).',
  },
  {
    env: 'LO_NAMESPACES',
    default: '',
    doc: 'JSON overrides of channel namespace settings (docs/PROTOCOL.md), e.g. `{"room":{"historySize":5000,"maxSubscribers":500}}`.',
  },
  {
    env: 'LO_AREA_K',
    default: '5',
    doc: 'Area counts (`GET /api/areas/count`, `area.count`) below this many people answer only `"few"` (2–1000), so a count never singles anyone out.',
  },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super('Invalid configuration:\n  ' + problems.join('\n  '));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the LO_* variables; throws ConfigError listing every problem at once. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const raw = (name: string): string => {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
    return VARIABLES.find((v) => v.env === name)?.default ?? '';
  };
  const int = (name: string, min: number, max: number): number => {
    const text = raw(name);
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}=${text}: expected an integer from ${min} to ${max}`);
      return min;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const text = raw(name);
    const found = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
    if (found === undefined) problems.push(`${name}=${text}: expected one of ${allowed.join(', ')}`);
    return found ?? allowed[0]!;
  };

  const dataDir = path.resolve(cwd, raw('LO_DATA_DIR'));
  const jwtSecret = env.LO_JWT_SECRET?.trim() || null;
  if (jwtSecret !== null && jwtSecret.length < 32) problems.push('LO_JWT_SECRET: must be at least 32 characters');

  const config: Config = {
    host: raw('LO_HOST'),
    port: int('LO_PORT', 0, 65535),
    dataDir,
    databaseUrl: resolveDatabaseUrl(env.LO_DATABASE_URL?.trim(), dataDir, cwd, problems),
    brokerUrl: raw('LO_BROKER_URL'),
    jwtSecret,
    allowedOrigins: parseOrigins(raw('LO_ALLOWED_ORIGINS'), problems),
    logLevel: oneOf('LO_LOG_LEVEL', ['info', 'fatal', 'error', 'warn', 'debug', 'trace', 'silent'] as const),
    trustProxy: parseTrustProxy(raw('LO_TRUST_PROXY')),
    metricsToken: env.LO_METRICS_TOKEN?.trim() || null,
    bodyLimit: int('LO_BODY_LIMIT', 1024, 16 * 1024 * 1024),
    accessTokenTtlS: int('LO_ACCESS_TOKEN_TTL', 5, 24 * 3600),
    refreshTokenTtlS: int('LO_REFRESH_TOKEN_TTL', 3600, 365 * 24 * 3600),
    sessionIdleTtlS: int('LO_SESSION_IDLE_TTL', 600, 365 * 24 * 3600),
    privacyGridM: int('LO_PRIVACY_GRID_M', 25, 100),
    maxSpeedMps: int('LO_LOCATION_MAX_SPEED', 1, 1_000_000_000),
    messageTtlS: int('LO_MESSAGE_TTL', 60, 30 * 24 * 3600),
    messageEditWindowS: int('LO_MESSAGE_EDIT_WINDOW', 0, 7 * 24 * 3600),
    sqliteSynchronous: oneOf('LO_SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const),
    rateLimits: parseRateLimits(raw('LO_RATE_LIMITS'), problems),
    shutdownTimeoutS: int('LO_SHUTDOWN_TIMEOUT', 1, 600),
    wsMaxConnectionsPerUser: int('LO_WS_MAX_CONNECTIONS_PER_USER', 1, 1_000_000),
    wsMaxConnectionsPerIp: int('LO_WS_MAX_CONNECTIONS_PER_IP', 1, 1_000_000),
    wsMaxSubscriptions: int('LO_WS_MAX_SUBSCRIPTIONS', 1, 100_000),
    wsQueueMaxBytes: int('LO_WS_QUEUE_MAX_BYTES', 65_536, 1024 * 1024 * 1024),
    wsPingIntervalS: int('LO_WS_PING_INTERVAL', 1, 3600),
    wsAuthTimeoutS: int('LO_WS_AUTH_TIMEOUT', 1, 60),
    wsWriteDelayMs: int('LO_WS_WRITE_DELAY', 0, 1000),
    namespaces: namespacesFrom(raw('LO_NAMESPACES'), problems),
    areaK: int('LO_AREA_K', 2, 1000),
  };
  if (!/^(memory|(rediss?|nats):\/\/.+)$/.test(config.brokerUrl)) {
    problems.push(`LO_BROKER_URL=${config.brokerUrl}: expected memory, redis://… or nats://…`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function namespacesFrom(text: string, problems: string[]): NamespaceTable {
  const parsed = parseNamespaces(text);
  problems.push(...parsed.problems);
  return parsed.table;
}

/** Connections per node when a PostgreSQL LO_DATABASE_URL has no `?pool=`. */
const DEFAULT_POSTGRES_POOL = 10;

/**
 * Splits Lo's own query parameters off a PostgreSQL LO_DATABASE_URL: `pool` (connections per node,
 * default 10) and `schema` (where Lo's tables live, default `public`). The rest goes to the driver.
 */
export function parsePostgresUrl(databaseUrl: string): { url: string; poolSize: number; schema: string | undefined } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('LO_DATABASE_URL: not a valid postgres:// URL');
  }
  const pool = url.searchParams.get('pool');
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('pool');
  url.searchParams.delete('schema');
  const poolSize = pool === null ? DEFAULT_POSTGRES_POOL : Number(pool);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw new Error(`LO_DATABASE_URL: pool=${pool} is not 1..1000`);
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`LO_DATABASE_URL: schema=${schema} is not a lower-case identifier`);
  }
  return { url: url.toString(), poolSize, schema };
}

function resolveDatabaseUrl(value: string | undefined, dataDir: string, cwd: string, problems: string[]): string {
  if (value === undefined || value === '') return 'sqlite:' + path.join(dataDir, 'lo.db');
  if (value.startsWith('sqlite:')) return 'sqlite:' + path.resolve(cwd, value.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      parsePostgresUrl(value);
    } catch (error) {
      problems.push((error as Error).message);
    }
    return value;
  }
  problems.push(`LO_DATABASE_URL: expected sqlite:<file> or postgres://user:password@host:5432/database`);
  return value;
}

function parseOrigins(text: string, problems: string[]): string[] {
  if (text === '') return [];
  return text.split(',').map((origin) => {
    const trimmed = origin.trim();
    if (trimmed === '*') return trimmed;
    try {
      const url = new URL(trimmed);
      if (url.origin === 'null' || url.origin !== trimmed.replace(/\/$/, '')) throw new Error('not an origin');
      return url.origin;
    } catch {
      problems.push(`LO_ALLOWED_ORIGINS: "${trimmed}" is not an origin like https://app.example`);
      return trimmed;
    }
  });
}

function parseTrustProxy(text: string): boolean | string {
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  return text;
}

function parseRateLimits(text: string, problems: string[]): RateRules {
  const rules: RateRules = { ...DEFAULT_RATE_RULES };
  if (text === '') return rules;
  for (const item of text.split(',')) {
    const match = /^\s*([a-z_]+)\s*=\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(item);
    const name = match?.[1] as RateRuleName | undefined;
    if (!match || name === undefined || !Object.hasOwn(DEFAULT_RATE_RULES, name)) {
      problems.push(`LO_RATE_LIMITS: "${item.trim()}" is not name=points/seconds with a known name`);
      continue;
    }
    const points = Number(match[2]);
    const durationS = Number(match[3]);
    if (points < 1 || durationS < 1) {
      problems.push(`LO_RATE_LIMITS: "${item.trim()}" needs points and seconds of at least 1`);
      continue;
    }
    rules[name] = { name, points, durationS };
  }
  return rules;
}
