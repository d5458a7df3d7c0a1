import { CLOSE_CODES, type ErrorCode, type FieldError, type Problem, type WsError } from '@lo/protocol';

/** A failed API call: the server's problem+json, with its catalogue `code` to branch on. */
export class LoApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'network_error' | 'invalid_response';
  readonly problem: Problem | null;
  readonly errors: FieldError[];
  /** Seconds, from Retry-After, when the server said when to retry. */
  readonly retryAfter: number | null;

  constructor(status: number, code: LoApiError['code'], message: string, problem: Problem | null = null, retryAfter: number | null = null) {
    super(message);
    this.name = 'LoApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
    this.errors = problem?.errors ?? [];
    this.retryAfter = retryAfter;
  }
}

/** Codes of real-time failures that happen on the client's side of the socket (not from the server's catalogue). */
export type RealtimeLocalCode =
  /** The socket closed (or the client disconnected) before the reply came. */
  | 'connection_closed'
  /** No reply within `requestTimeoutMs`. */
  | 'timeout'
  /** `disconnect()` was called while this was waiting. */
  | 'disconnected'
  /** The server closed the socket with a terminal code (4500-4999, or 1002/1003/1007/1008/1009). */
  | 'closed'
  /** The WebSocket could not be created (a malformed URL, a refused scheme). */
  | 'socket_error'
  /** No WebSocket implementation: pass `WebSocket` (from the `ws` package on Node 20). */
  | 'no_websocket'
  /** The offline outbox already holds `outboxMax` publications. */
  | 'outbox_full'
  /** `unsubscribe()` was called before the subscription completed. */
  | 'cancelled'
  /** The request needs a connection and the client is neither connected nor connecting. */
  | 'not_connected';

/**
 * A failed real-time operation: an error reply or push from the server (its catalogue `code`), a terminal close
 * (`closeCode` set), or a local condition such as a timeout.
 */
export class LoRealtimeError extends Error {
  readonly code: ErrorCode | RealtimeLocalCode;
  /** The WebSocket close code, when the error is a close. */
  readonly closeCode: number | null;
  /** Seconds the server asked to wait before retrying (rate limits). */
  readonly retryAfter: number | null;

  constructor(code: LoRealtimeError['code'], message: string, details: { closeCode?: number; retryAfter?: number } = {}) {
    super(message);
    this.name = 'LoRealtimeError';
    this.code = code;
    this.closeCode = details.closeCode ?? null;
    this.retryAfter = details.retryAfter ?? null;
  }

  static from(error: WsError): LoRealtimeError {
    return new LoRealtimeError(error.code, error.message, error.retry_after === undefined ? {} : { retryAfter: error.retry_after });
  }

  /** The error of a close by the server; the catalogue code where one fits (token_expired, session_ended…). */
  static fromClose(code: number, reason: string): LoRealtimeError {
    const name = (Object.keys(CLOSE_CODES) as (keyof typeof CLOSE_CODES)[]).find((key) => CLOSE_CODES[key] === code);
    const text = `the server closed the connection (${code}${name ? ` ${name}` : ''}${reason ? `: ${reason}` : ''})`;
    const catalogue = name === 'token_expired' || name === 'session_ended' ? name : name === 'auth_failed' ? 'token_invalid' : 'closed';
    return new LoRealtimeError(catalogue, text, { closeCode: code });
  }
}

/** Error replies that mean "later", not "never": the request is retried after `retry_after` (default 1 s). */
export const RETRY_LATER: ReadonlySet<string> = new Set(['rate_limited', 'unavailable', 'internal']);
/** Failures that say nothing about the request itself: it is sent again once reconnected. */
export const RESEND_AFTER_RECONNECT: ReadonlySet<string> = new Set(['connection_closed', 'timeout', 'not_connected']);
