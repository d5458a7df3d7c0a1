import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { LoError } from '../errors/lo-error.js';
import { loggerOptions } from '../ops/logger.js';
import { newId } from '../util/ids.js';
import { requireAuth } from './auth-hook.js';
import type { Http, HttpDeps, RouteDeps } from './http-deps.js';
import { sendProblem } from './problem.js';
import { rateLimits } from './rate-limit.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerBlockRoutes } from './routes/blocks.js';
import { registerFriendRoutes } from './routes/friends.js';
import { registerLiveLocationRoutes } from './routes/live-location.js';
import { registerMeRoutes } from './routes/me.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerRoomRoutes } from './routes/rooms.js';
import { registerRpcRoutes } from './routes/rpc.js';
import { registerUserRoutes } from './routes/users.js';
import { serializerCompiler, validatorCompiler } from './validation.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP API: Fastify with TypeBox schemas, problem+json errors, rate limits and OpenAPI. */
export async function buildHttp(deps: HttpDeps): Promise<Http> {
  const { config } = deps;
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    // A client-supplied X-Request-Id is kept when it is short and plain, so logs can be correlated.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only: Fastify's built-in text/plain parser would hand a string to the schema and
  // answer validation_failed instead of 415 unsupported_media_type.
  app.removeContentTypeParser('text/plain');
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(new LoError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const anyOrigin = config.allowedOrigins.includes('*');
  await app.register(cors, {
    origin: config.allowedOrigins.length === 0 ? false : anyOrigin ? true : config.allowedOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'x-request-id'],
    maxAge: 600,
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Lo API',
        version: deps.version,
        description: 'Real-time, location-based social backend. Errors are RFC 9457 problem+json; see docs/ERRORS.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  const authenticate = requireAuth(deps.auth);
  const limit = rateLimits(deps.limiter, config.rateLimits, deps.metrics);
  const routeDeps: RouteDeps = {
    ...deps,
    secured: (rule) => ({ onRequest: [authenticate], ...(rule && { preHandler: [limit(rule)] }) }),
    limit,
  };
  await app.register(
    async (api) => {
      const typed = api.withTypeProvider<TypeBoxTypeProvider>();
      registerOpsRoutes(typed, routeDeps);
      registerAuthRoutes(typed, routeDeps);
      registerMeRoutes(typed, routeDeps);
      registerUserRoutes(typed, routeDeps);
      registerFriendRoutes(typed, routeDeps);
      registerLiveLocationRoutes(typed, routeDeps);
      registerBlockRoutes(typed, routeDeps);
      registerMessageRoutes(typed, routeDeps);
      registerRoomRoutes(typed, routeDeps);
      registerRpcRoutes(typed, routeDeps);
    },
    { prefix: '/api' },
  );
  return app;
}
