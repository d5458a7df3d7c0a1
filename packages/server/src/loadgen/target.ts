import http from 'node:http';
import https from 'node:https';
import { OperatorError } from '../errors/operator-error.js';
import { OpError } from './op-error.js';

/** Largest answer body read (a nearby page is a few KB; anything far larger is not Lo). */
const BODY_MAX_BYTES = 4 * 1024 * 1024;

export interface RequestOptions {
  token?: string;
  body?: unknown;
  timeoutMs?: number;
  /** Extra headers (the metrics token). */
  headers?: Record<string, string>;
}

export interface Answer<T> {
  status: number;
  body: T;
  /** The raw text, for answers that are not JSON (Prometheus metrics). */
  text: string;
}

/** Checks `--url`: an http(s) base URL without credentials, query or fragment. */
export function parseTargetUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OperatorError(`--url ${JSON.stringify(raw)} is not a URL; give the base URL of your deployment, e.g. https://lo.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OperatorError(`--url must be http:// or https://, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new OperatorError('--url must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw new OperatorError('--url must not have a query or a fragment');
  return url;
}

/**
 * The one deployment a run talks to. Every request goes to the host of `--url` and nowhere else:
 * paths are joined to that base, and a redirect is refused rather than followed (it could point
 * anywhere, and a load test must never spill onto a host nobody chose). Requests leave from the
 * `--local-addresses` in turn, so many sockets do not exhaust the ephemeral ports of one address.
 */
export class Target {
  readonly base: URL;
  /** The path prefix of a deployment under a sub-path (`https://host/lo` → `/lo`), without trailing slash. */
  private readonly basePath: string;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private turn = 0;

  constructor(
    url: URL,
    private readonly localAddresses: readonly string[],
    private readonly timeoutMs: number,
  ) {
    this.base = url;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.transport = url.protocol === 'https:' ? https : http;
    // Keep-alive with no socket cap: the open model bounds in-flight requests itself, and an agent
    // queue would hide server latency inside the client.
    const options = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' as const };
    this.agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /** The next local address to leave from (round-robin), or undefined to let the OS choose. */
  nextLocalAddress(): string | undefined {
    if (this.localAddresses.length === 0) return undefined;
    return this.localAddresses[this.turn++ % this.localAddresses.length];
  }

  get wsUrl(): string {
    return `${this.base.protocol === 'https:' ? 'wss:' : 'ws:'}//${this.base.host}${this.basePath}/ws`;
  }

  /** A JSON request to `path` under the base URL; non-2xx answers throw an OpError named by the problem `code`. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const answer = await this.request<T>(method, path, options);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw problemError(answer);
  }

  /** Any request to `path` under the base URL, answered with its status (redirects and network failures throw). */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'lo-bench', ...options.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: `${this.basePath}${path}`,
          method,
          headers,
          agent: this.agent,
          localAddress: this.nextLocalAddress(),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.resume();
            reject(redirectRefused(this.base, status, res.headers.location));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > BODY_MAX_BYTES) req.destroy(new OpError('answer_too_large', `an answer over ${BODY_MAX_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status, body: parseJson(text) as T, text });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new OpError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', reject);
      req.on('close', () => clearTimeout(timer));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function redirectRefused(base: URL, status: number, location: string | undefined): OpError {
  return new OpError(
    'redirect_refused',
    `${base.origin} answered ${status} redirecting to ${location ?? '(no location)'}; lo bench follows no redirects and contacts only the --url host (give the final URL)`,
  );
}

/** The error of a non-2xx answer: the problem+json `code` when there is one. */
export function problemError(answer: Answer<unknown>): OpError {
  const body = answer.body as { code?: unknown; detail?: unknown } | undefined;
  const code = typeof body?.code === 'string' ? body.code : `http_${answer.status}`;
  const detail = typeof body?.detail === 'string' ? body.detail : answer.text.slice(0, 200);
  return new OpError(code, `${answer.status} ${code}: ${detail}`);
}
