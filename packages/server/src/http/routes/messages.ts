import { commonErrors, IdParams, NoContent, Page, Problem } from '../schemas/common.js';
import {
  CreateGeoMessage,
  EditMessage,
  GeoMessage,
  NearbyQuery,
  ReactionBody,
  ReactionParams,
  ReactionResult,
  ReportBody,
  ReportView,
} from '../schemas/messages.js';
import { principalOf } from '../auth-hook.js';
import type { Http, RouteDeps } from '../http-deps.js';

export function registerMessageRoutes(http: Http, { messages, metrics, secured }: RouteDeps): void {
  const base = { tags: ['messages'], security: [{ bearer: [] }] };
  const errors = { ...commonErrors, 403: Problem, 404: Problem, 409: Problem };

  http.post(
    '/messages',
    {
      schema: { ...base, body: CreateGeoMessage, response: { 201: GeoMessage, 200: GeoMessage, ...commonErrors, 422: Problem } },
      ...secured('post'),
    },
    async (request, reply) => {
      const { message, created } = await messages.create(principalOf(request), request.body);
      if (created) metrics.messagesPosted.inc();
      // A retry with a known client_msg_id answers 200 with the original post.
      return reply.code(created ? 201 : 200).send(message);
    },
  );

  http.get(
    '/messages/nearby',
    {
      schema: { ...base, querystring: NearbyQuery, response: { 200: Page(GeoMessage), ...commonErrors, 422: Problem } },
      ...secured('probe'),
    },
    async (request) => messages.nearby(principalOf(request), request.query),
  );

  http.get(
    '/messages/:id',
    { schema: { ...base, params: IdParams, response: { 200: GeoMessage, ...errors } }, ...secured() },
    async (request) => messages.get(principalOf(request), request.params.id),
  );

  http.patch(
    '/messages/:id',
    {
      schema: { ...base, params: IdParams, body: EditMessage, response: { 200: GeoMessage, ...errors } },
      ...secured('write'),
    },
    async (request) => messages.edit(principalOf(request), request.params.id, request.body.content),
  );

  http.delete(
    '/messages/:id',
    { schema: { ...base, params: IdParams, response: { 204: NoContent, ...errors } }, ...secured('write') },
    async (request, reply) => {
      await messages.delete(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  http.post(
    '/messages/:id/reactions',
    {
      schema: { ...base, params: IdParams, body: ReactionBody, response: { 201: ReactionResult, 200: ReactionResult, ...errors } },
      ...secured('write'),
    },
    async (request, reply) => {
      const { added, ...result } = await messages.react(principalOf(request), request.params.id, request.body.emoji);
      return reply.code(added ? 201 : 200).send(result);
    },
  );

  http.delete(
    '/messages/:id/reactions/:emoji',
    { schema: { ...base, params: ReactionParams, response: { 204: NoContent, ...errors } }, ...secured('write') },
    async (request, reply) => {
      await messages.unreact(principalOf(request), request.params.id, request.params.emoji);
      return reply.code(204).send(null);
    },
  );

  http.post(
    '/messages/:id/reports',
    {
      schema: { ...base, params: IdParams, body: ReportBody, response: { 201: ReportView, ...errors } },
      ...secured('report'),
    },
    async (request, reply) => reply.code(201).send(await messages.report(principalOf(request), request.params.id, request.body.reason)),
  );
}
