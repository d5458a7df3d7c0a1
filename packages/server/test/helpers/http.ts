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

/**
 * One raw HTTP call below /api, for what the SDK will not send (malformed input, custom headers) or
 * hides (status codes, response headers). The body is parsed as JSON when there is one.
 */
export async function api<T = Problem>(
  server: TestServer,
  method: string,
  path: string,
  options: RawOptions = {},
): Promise<RawResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}/api${path}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
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
