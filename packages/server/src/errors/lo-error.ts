import { ERRORS, type ErrorCode, type FieldError } from '@lo/protocol';

/** The state of the rate limit that refused a request, for the RateLimit headers. */
export interface RateLimitInfo {
  policy: string;
  limit: number;
  windowS: number;
  remaining: number;
  resetS: number;
}

export interface LoErrorOptions {
  errors?: FieldError[];
  /** Seconds; becomes `Retry-After` on HTTP. */
  retryAfter?: number;
  rateLimit?: RateLimitInfo;
  cause?: unknown;
}

/**
 * The error every layer throws for an expected failure. It carries a catalogue code; the transports
 * turn it into a problem+json answer (HTTP) or an error reply (WebSocket). Anything that is not a
 * LoError is a bug and is answered as `internal` without details.
 */
export class LoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly retryAfter: number | undefined;
  readonly rateLimit: RateLimitInfo | undefined;

  constructor(code: ErrorCode, detail?: string, options: LoErrorOptions = {}) {
    super(detail ?? ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
    this.rateLimit = options.rateLimit;
  }
}

export function isLoError(error: unknown): error is LoError {
  return error instanceof LoError;
}
