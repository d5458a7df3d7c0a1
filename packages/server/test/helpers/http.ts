import assert from 'node:assert/strict';
import { LoApiError, type ErrorCode, type Problem } from '@lo/client';
import type { TestServer } from './test-server.js';

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RawOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Serialized as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RawExchange {
  status: number;
  headers: Headers;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
  text: string;
}

export interface RawRequest {
  method?: string;
  token?: string;
  /** Sent as is when a string, JSON-encoded otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One HTTP exchange without the SDK, for malformed input, custom headers and status codes the SDK
 * does not surface. JSON bodies get `content-type: application/json` unless a header says otherwise.
 */
export async function rawRequest(baseUrl: string, path: string, request: RawRequest = {}): Promise<RawExchange> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(baseUrl + path, {
    method: request.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined && { body }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** One raw HTTP call below /api (see rawRequest), its JSON body typed as `T`. */
export async function api<T = Problem>(
  server: TestServer,
  method: string,
  path: string,
  options: RawOptions = {},
): Promise<RawResponse<T>> {
  const { status, headers, json } = await rawRequest(`${server.url}/api`, path, { ...options, method });
  return { status, headers, body: json as T };
}

/** Asserts a raw response is an RFC 9457 problem with this status and catalogue code; returns it. */
export function assertProblem(response: RawResponse<unknown>, status: number, code: ErrorCode): Problem {
  const problem = response.body as Problem;
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${JSON.stringify(problem)}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(problem.type, `urn:lo:error:${code}`);
  return problem;
}

/** Awaits an SDK call that must fail with this status and code; returns the error for further checks. */
export async function rejectsWith(call: Promise<unknown>, status: number, code: ErrorCode): Promise<LoApiError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof LoApiError, `expected a LoApiError, got ${String(error)}`);
    assert.deepEqual({ status: error.status, code: error.code }, { status, code }, error.message);
    return error;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}
