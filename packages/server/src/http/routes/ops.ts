import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { LoError } from '../../errors/lo-error.js';
import type { Http, RouteDeps } from '../http-deps.js';

const HealthBody = Type.Object(
  {
    status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
    version: Type.String(),
    checks: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Object({}, { additionalProperties: true })))),
  },
  { description: 'application/health+json (draft-inadarei-api-health-check)' },
);

/** Health (liveness, readiness), Prometheus metrics and the OpenAPI document. */
export function registerOpsRoutes(http: Http, { health, metrics, config }: RouteDeps): void {
  const tags = ['ops'];

  // Health bodies are tiny: plain JSON.stringify spares the first probe a serializer compilation.
  http.get('/health', { schema: { tags, response: { 200: HealthBody } } }, async (_request, reply) =>
    reply.type('application/health+json').serializer(JSON.stringify).send(health.live()),
  );

  http.get('/health/ready', { schema: { tags, response: { 200: HealthBody, 503: HealthBody } } }, async (_request, reply) => {
    const body = await health.readiness();
    return reply
      .code(body.status === 'fail' ? 503 : 200)
      .type('application/health+json')
      .serializer(JSON.stringify)
      .send(body);
  });

  http.get('/metrics', { schema: { tags, hide: false } }, async (request, reply) => {
    if (config.metricsToken !== null && !sameSecret(request.headers.authorization ?? '', `Bearer ${config.metricsToken}`)) {
      throw new LoError('unauthenticated', 'The metrics endpoint needs the LO_METRICS_TOKEN bearer token.');
    }
    return reply.type(metrics.contentType).send(await metrics.text());
  });

  http.get('/openapi.json', { schema: { hide: true } }, async () => http.swagger());
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
