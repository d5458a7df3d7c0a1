import type { ErrorCode, FieldError, Problem } from '@lo/protocol';

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
