import type { Problem } from '@lo/protocol';
import { LoApiError } from './errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface TransportOptions {
  baseUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  token?: string | null;
  headers?: Record<string, string>;
}

/** One HTTP exchange with the Lo API: JSON in, JSON out, problem+json turned into LoApiError. */
export async function send<T>(options: TransportOptions, method: Method, path: string, request: RequestOptions = {}): Promise<T> {
  const url = new URL(options.baseUrl.replace(/\/$/, '') + '/api' + path);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  let response: Response;
  try {
    response = await options.fetch(url, {
      method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new LoApiError(0, 'network_error', `${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new LoApiError(response.status, 'invalid_response', `${method} ${path}: response is not JSON`);
  }
  if (!response.ok) {
    const problem = parsed as Problem | undefined;
    const retryAfter = response.headers.get('retry-after');
    throw new LoApiError(
      response.status,
      problem?.code ?? 'invalid_response',
      problem?.detail ?? `${method} ${path}: HTTP ${response.status}`,
      problem ?? null,
      retryAfter === null ? null : Number(retryAfter),
    );
  }
  return parsed as T;
}
