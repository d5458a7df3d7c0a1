import { isIP } from 'node:net';
import { OperatorError } from '../errors/operator-error.js';
import { SCENARIO_DEFAULTS, SCENARIOS, type ScenarioName } from './scenarios.js';
import { parseTargetUrl } from './target.js';
import { parseThreshold, type Threshold } from './thresholds.js';

/** Operations per second of each kind at multiplier 1, for the whole run (workers share them). */
export interface WorkloadRates {
  publish: number;
  geoPost: number;
  nearby: number;
  beacon: number;
  reconnect: number;
}

export interface BenchOptions {
  scenario: ScenarioName;
  url: URL;
  /** Authenticated sockets held open through the run. */
  connections: number;
  /** Rooms each connection subscribes to. */
  subscriptions: number;
  rooms: number;
  users: number;
  rates: WorkloadRates;
  /** New connections per second while they are being opened. */
  connectRate: number;
  durationS: number;
  /** Arrivals of the load in all (dropped ones count); the run ends when they are spent. */
  maxOps: number;
  /** Child processes carrying the load (0: this process). */
  workers: number;
  localAddresses: string[];
  /** Operations in flight at once (all workers); beyond it arrivals are dropped. */
  maxInFlight: number;
  /** Per request, and per connection open. */
  timeoutMs: number;
  thresholds: Threshold[];
  json: boolean;
  metricsToken: string | null;
  /** Where the simulated users are (each stays near its own point: the server checks travel speed). */
  center: { lat: number; lng: number };
  factor: number;
  steps: number;
  /** Breakpoint: a step whose error share is above this (percent) broke. */
  errorLimitPercent: number;
}

/** Raw flags as commander hands them over. */
export interface BenchFlags {
  url?: string;
  connections?: string;
  subscriptions?: string;
  rooms?: string;
  users?: string;
  connectionsPerUser?: string;
  publishRate?: string;
  geoPostRate?: string;
  nearbyRate?: string;
  beaconRate?: string;
  reconnectRate?: string;
  connectRate?: string;
  duration?: string;
  maxOps?: string;
  workers?: string;
  localAddresses?: string;
  maxInFlight?: string;
  timeout?: string;
  threshold?: string[];
  json?: boolean;
  metricsToken?: string;
  center?: string;
  factor?: string;
  steps?: string;
  errorLimit?: string;
  yes?: boolean;
}

/** Sizes past which a run needs --yes: it creates that many accounts and sockets on a real deployment. */
export const CONFIRM_ABOVE = { connections: 10_000, users: 1_000, durationS: 3600 };
/** Hard bounds, --yes or not. */
export const HARD_LIMITS = { connections: 1_000_000, users: 100_000, durationS: 24 * 3600, maxOps: 1_000_000_000, rate: 1_000_000 };
/** The open-file limit of one process on these machines; each socket is a file. */
const FILES_PER_WORKER = 15_000;

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max)
    throw new OperatorError(`--${name} must be a whole number from ${min} to ${max}, not ${raw}`);
  return n;
}

function num(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/\/s$/, ''));
  if (!Number.isFinite(n) || n < min || n > max) throw new OperatorError(`--${name} must be a number from ${min} to ${max}, not ${raw}`);
  return n;
}

/** `90`, `90s`, `500ms`, `5m`, `2h` → seconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (match === null) throw new OperatorError(`--${name} must be a duration like 30s, 5m or 1h, not ${raw}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] ?? 's']!;
  return Number(match[1]) * factor;
}

/** `127.0.0.1-127.0.0.8`, `10.0.0.5,10.0.0.6` or a mix: IPv4 ranges expand, at most 256 addresses. */
export function parseLocalAddresses(raw: string): string[] {
  const out: string[] = [];
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [from, to] = part.split('-').map((p) => p.trim());
    if (to === undefined) {
      if (isIP(from!) === 0) throw new OperatorError(`--local-addresses: ${from} is not an IP address`);
      out.push(from!);
      continue;
    }
    if (isIP(from!) !== 4 || isIP(to) !== 4) throw new OperatorError(`--local-addresses: ranges are IPv4 (a.b.c.d-a.b.c.e), not ${part}`);
    const [a, b] = [ipv4ToInt(from!), ipv4ToInt(to)];
    if (b < a || b - a >= 256) throw new OperatorError(`--local-addresses: ${part} is not an ascending range of at most 256 addresses`);
    for (let n = a; n <= b; n++) out.push(intToIpv4(n));
  }
  if (out.length > 256) throw new OperatorError('--local-addresses: at most 256 addresses');
  return out;
}

const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

function parseCenter(raw: string | undefined): { lat: number; lng: number } {
  if (raw === undefined) return { lat: 47.3769, lng: 8.5417 };
  const [lat, lng] = raw.split(',').map(Number);
  if (lat === undefined || lng === undefined || !(Math.abs(lat) <= 85) || !(Math.abs(lng) <= 180)) {
    throw new OperatorError(`--center must be "lat,lng" (|lat| ≤ 85), not ${raw}`);
  }
  return { lat, lng };
}

export function parseBenchOptions(scenarioRaw: string, flags: BenchFlags, env: NodeJS.ProcessEnv = process.env): BenchOptions {
  if (!(SCENARIOS as readonly string[]).includes(scenarioRaw)) {
    throw new OperatorError(`unknown scenario "${scenarioRaw}"; one of ${SCENARIOS.join(', ')}`);
  }
  const scenario = scenarioRaw as ScenarioName;
  const shape = SCENARIO_DEFAULTS[scenario];
  if (flags.url === undefined)
    throw new OperatorError('--url is required: the base URL of the deployment to load, e.g. https://lo.example.org');
  const url = parseTargetUrl(flags.url);
  const H = HARD_LIMITS;
  const connections = int('connections', flags.connections, 100, 0, H.connections);
  const subscriptions = int('subscriptions', flags.subscriptions, 1, 0, 200);
  const perUser = int('connections-per-user', flags.connectionsPerUser, 10, 1, 10_000);
  const rate = (name: string, raw: string | undefined, fallback: number) => num(name, raw, fallback, 0, H.rate);
  const rates: WorkloadRates = {
    publish: rate('publish-rate', flags.publishRate, subscriptions > 0 && connections > 0 ? 10 : 0),
    geoPost: rate('geo-post-rate', flags.geoPostRate, 0),
    nearby: rate('nearby-rate', flags.nearbyRate, 0),
    beacon: rate('beacon-rate', flags.beaconRate, 0),
    reconnect: rate('reconnect-rate', flags.reconnectRate, 0),
  };
  if ((rates.publish > 0 || rates.reconnect > 0 || rates.beacon > 0) && connections === 0) {
    throw new OperatorError('publishing, beacons and reconnects need --connections > 0');
  }
  if (rates.publish > 0 && subscriptions === 0) throw new OperatorError('--publish-rate needs --subscriptions > 0 (rooms to publish in)');
  // Enough users that none holds more than --connections-per-user sockets (the server caps them at
  // LO_WS_MAX_CONNECTIONS_PER_USER, 20 by default; half of it leaves room for reconnects).
  const users = int('users', flags.users, Math.max(1, Math.ceil(connections / perUser)), 1, H.users);
  const rooms = int(
    'rooms',
    flags.rooms,
    subscriptions === 0 ? 0 : Math.max(subscriptions, Math.ceil((connections * subscriptions) / 100)),
    0,
    100_000,
  );
  if (subscriptions > rooms) throw new OperatorError(`--subscriptions ${subscriptions} needs at least as many --rooms`);
  const durationS = flags.duration === undefined ? shape.durationS : parseDuration('duration', flags.duration);
  if (durationS <= 0 || durationS > H.durationS)
    throw new OperatorError(`--duration must be more than 0 and at most ${H.durationS / 3600}h`);
  const workers = int('workers', flags.workers, Math.max(1, Math.ceil(connections / FILES_PER_WORKER)), 0, 64);
  if (workers > 0 && connections / workers > FILES_PER_WORKER) {
    throw new OperatorError(
      `${connections} connections over ${workers} workers is more than ${FILES_PER_WORKER} sockets per process; raise --workers`,
    );
  }
  if (workers === 0 && connections > FILES_PER_WORKER)
    throw new OperatorError(`--workers 0 carries at most ${FILES_PER_WORKER} connections`);
  const options: BenchOptions = {
    scenario,
    url,
    connections,
    subscriptions,
    rooms,
    users,
    rates,
    connectRate: num('connect-rate', flags.connectRate, 500, 0.1, H.rate),
    durationS,
    maxOps: int('max-ops', flags.maxOps, 10_000_000, 1, H.maxOps),
    workers,
    localAddresses: flags.localAddresses === undefined ? [] : parseLocalAddresses(flags.localAddresses),
    maxInFlight: int('max-in-flight', flags.maxInFlight, 10_000, 1, 1_000_000),
    timeoutMs: parseDuration('timeout', flags.timeout ?? '10s') * 1000,
    thresholds: (flags.threshold ?? []).map(parseThreshold),
    json: flags.json === true,
    metricsToken: flags.metricsToken ?? env.LO_METRICS_TOKEN ?? null,
    center: parseCenter(flags.center),
    factor: num('factor', flags.factor, shape.factor, 1, 1000),
    steps: int('steps', flags.steps, shape.steps, 1, 1000),
    errorLimitPercent: num('error-limit', flags.errorLimit?.replace(/%$/, ''), 1, 0, 100),
  };
  if (options.timeoutMs < 100) throw new OperatorError('--timeout must be at least 100ms');
  if (rates.beacon > users / 2) {
    throw new OperatorError(
      `--beacon-rate ${rates.beacon}/s needs at least ${Math.ceil(rates.beacon * 2)} --users (a user may beacon every 2 s)`,
    );
  }
  confirmSize(options, flags.yes === true);
  return options;
}

/** Refuses runs big enough to hurt a deployment unless the operator said --yes. */
function confirmSize(o: BenchOptions, yes: boolean): void {
  const big: string[] = [];
  if (o.connections > CONFIRM_ABOVE.connections) big.push(`${o.connections} connections`);
  if (o.users > CONFIRM_ABOVE.users) big.push(`${o.users} test accounts`);
  if (o.durationS > CONFIRM_ABOVE.durationS) big.push(`a ${o.durationS / 3600} h run`);
  if (big.length > 0 && !yes) {
    throw new OperatorError(`this run means ${big.join(', ')} against ${o.url.host}; add --yes if that is what you want`);
  }
}
