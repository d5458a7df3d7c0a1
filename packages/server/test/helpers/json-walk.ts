import assert from 'node:assert/strict';
import { LoApiError } from '@lo/client';

/** One node of a JSON document: where it is, the key it hangs under (null for array items and the root), its value. */
export interface JsonNode {
  path: string;
  key: string | null;
  value: unknown;
}

/** Every node of a parsed JSON value, depth first, the root included. */
export function* walkJson(value: unknown, path = '', key: string | null = null): Generator<JsonNode> {
  yield { path: path === '' ? '/' : path, key, value };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* walkJson(item, `${path}/${index}`, null);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) yield* walkJson(item, `${path}/${name}`, name);
  }
}

export interface RawResponse {
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
export async function rawRequest(baseUrl: string, path: string, request: RawRequest = {}): Promise<RawResponse> {
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

/** Awaits a call that must fail with this status and problem `code`; returns the error for further checks. */
export async function expectProblem(call: Promise<unknown>, status: number, code: string): Promise<LoApiError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof LoApiError, `expected a LoApiError, got ${String(error)}`);
    assert.deepEqual({ status: error.status, code: error.code }, { status, code }, error.message);
    return error;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}
