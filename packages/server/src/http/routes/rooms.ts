import { dmChannel } from '@lo/protocol';
import { channelMessageView } from '../../core/channels/message-frame.js';
import { roomChannel } from '../../core/rooms/room-service.js';
import { principalOf } from '../auth-hook.js';
import { historyPage } from '../history-page.js';
import type { Http, RouteDeps } from '../http-deps.js';
import { commonErrors, IdParams, NoContent, Page, PageQuery, Problem, UserIdParams } from '../schemas/common.js';
import { UserIdBody } from '../schemas/users.js';
import {
  ChannelMessage,
  CreateRoom,
  HistoryQuery,
  NearbyRoom,
  NearbyRoomsQuery,
  PostChatMessage,
  Room,
  RoomMember,
  RoomMemberParams,
} from '../schemas/rooms.js';

/** Rooms, their members and history, and DMs. Posting goes through the same path as a WebSocket `pub`. */
export function registerRoomRoutes(http: Http, { rooms, channels, users, secured }: RouteDeps): void {
  const base = { tags: ['rooms'], security: [{ bearer: [] }] };
  const errors = { ...commonErrors, 403: Problem, 404: Problem, 409: Problem };

  http.post(
    '/rooms',
    { schema: { ...base, body: CreateRoom, response: { 201: Room, ...commonErrors } }, ...secured('write') },
    async (request, reply) => reply.code(201).send(await rooms.create(principalOf(request).userId, request.body)),
  );
  http.get(
    '/me/rooms',
    { schema: { ...base, querystring: PageQuery, response: { 200: Page(Room), ...commonErrors } }, ...secured() },
    async (request) => rooms.mine(principalOf(request).userId, request.query.limit ?? 20, request.query.cursor),
  );
  http.get(
    '/rooms/nearby',
    { schema: { ...base, querystring: NearbyRoomsQuery, response: { 200: Page(NearbyRoom), ...commonErrors } }, ...secured() },
    async (request) => rooms.nearby(principalOf(request).userId, request.query),
  );
  http.get('/rooms/:id', { schema: { ...base, params: IdParams, response: { 200: Room, ...errors } }, ...secured() }, async (request) =>
    rooms.get(principalOf(request).userId, request.params.id),
  );
  http.post(
    '/rooms/:id/join',
    { schema: { ...base, params: IdParams, response: { 200: Room, ...errors } }, ...secured('write') },
    async (request) => rooms.join(principalOf(request).userId, request.params.id),
  );
  http.post(
    '/rooms/:id/leave',
    { schema: { ...base, params: IdParams, response: { 204: NoContent, ...errors } }, ...secured('write') },
    async (request, reply) => {
      await rooms.leave(principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
  http.get(
    '/rooms/:id/members',
    { schema: { ...base, params: IdParams, querystring: PageQuery, response: { 200: Page(RoomMember), ...errors } }, ...secured() },
    async (request) => rooms.members(principalOf(request).userId, request.params.id, request.query.limit ?? 20, request.query.cursor),
  );
  http.post(
    '/rooms/:id/members',
    {
      schema: { ...base, params: IdParams, body: UserIdBody, response: { 201: RoomMember, ...errors } },
      ...secured('write'),
    },
    async (request, reply) =>
      reply.code(201).send(await rooms.addMember(principalOf(request).userId, request.params.id, request.body.user_id)),
  );
  http.delete(
    '/rooms/:id/members/:userId',
    { schema: { ...base, params: RoomMemberParams, response: { 204: NoContent, ...errors } }, ...secured('write') },
    async (request, reply) => {
      await rooms.removeMember(principalOf(request).userId, request.params.id, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  // Room and DM messages: history pages, and posts that go out live to the channel's subscribers.
  const channelOf = {
    room: (userId: string, id: string) => roomChannel(id),
    dm: (userId: string, otherId: string) => dmChannel(userId, otherId),
  };
  for (const [kind, path, Params] of [
    ['room', '/rooms/:id/messages', IdParams],
    ['dm', '/dms/:userId/messages', UserIdParams],
  ] as const) {
    const target = (userId: string, params: { id?: string; userId?: string }): string =>
      channelOf[kind](userId, (params.id ?? params.userId)!);
    http.get(
      path,
      { schema: { ...base, params: Params, querystring: HistoryQuery, response: { 200: Page(ChannelMessage), ...errors } }, ...secured() },
      async (request) => {
        const userId = principalOf(request).userId;
        return historyPage(channels, userId, target(userId, request.params), request.query);
      },
    );
    http.post(
      path,
      {
        schema: { ...base, params: Params, body: PostChatMessage, response: { 200: ChannelMessage, 201: ChannelMessage, ...errors } },
        ...secured('publish'),
      },
      async (request, reply) => {
        const userId = principalOf(request).userId;
        const author = await users.ref(userId);
        const { text, client_msg_id } = request.body;
        const published = await channels.publish(author, target(userId, request.params), { text }, client_msg_id);
        return reply.code(published.created ? 201 : 200).send(channelMessageView(published.record));
      },
    );
  }
}
