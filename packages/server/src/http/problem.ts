import { ERROR_TYPE_PREFIX, ERRORS, type ErrorCode, type FieldError, type Problem } from '@lo/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isLoError, LoError, type RateLimitInfo } from '../errors/lo-error.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Fastify's own failures, by their error code, mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Turns anything thrown by a handler into a LoError; what is not expected becomes `internal`. */
export function toLoError(error: unknown): LoError {
  if (isLoError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const errors = fastifyError.validation.map((issue) => fieldError(issue));
    const where = fastifyError.validationContext ?? 'request';
    return new LoError('validation_failed', `Invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors });
  }
  const mapped = fastifyError.code !== undefined ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped !== undefined) return new LoError(mapped);
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return new LoError('invalid_json');
  return new LoError('internal', undefined, { cause: error });
}

function fieldError(issue: AjvIssue): FieldError {
  if (issue.keyword === 'additionalProperties') {
    return { path: `${issue.instancePath}/${String(issue.params.additionalProperty)}`, message: 'is not an accepted field' };
  }
  if (issue.keyword === 'required') {
    return { path: `${issue.instancePath}/${String(issue.params.missingProperty)}`, message: 'is required' };
  }
  return { path: issue.instancePath || '/', message: issue.message ?? issue.keyword };
}

export function problemBody(error: LoError, requestId: string): Problem {
  const spec = ERRORS[error.code];
  const body: Problem = {
    type: ERROR_TYPE_PREFIX + error.code,
    title: spec.title,
    status: error.status,
    // Internal errors never describe themselves to the client: details are in the log under the request id.
    detail: error.code === 'internal' ? spec.title : error.message,
    code: error.code,
    request_id: requestId,
  };
  if (error.errors !== undefined) body.errors = error.errors;
  return body;
}

/** IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policy and what is left of it. */
export function setRateLimitHeaders(reply: FastifyReply, info: RateLimitInfo): void {
  reply.header('RateLimit-Policy', `"${info.policy}";q=${info.limit};w=${info.windowS}`);
  reply.header('RateLimit', `"${info.policy}";r=${info.remaining};t=${info.resetS}`);
}

export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const loError = toLoError(error);
  if (loError.code === 'internal') request.log.error({ err: loError.cause ?? error }, 'unhandled error');
  else if (loError.status >= 500) request.log.warn({ code: loError.code, err: loError.cause }, loError.message);
  if (loError.retryAfter !== undefined) reply.header('Retry-After', String(loError.retryAfter));
  if (loError.rateLimit !== undefined) setRateLimitHeaders(reply, loError.rateLimit);
  return reply.code(loError.status).type('application/problem+json').send(problemBody(loError, request.id));
}
