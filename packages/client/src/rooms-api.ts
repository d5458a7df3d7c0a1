import type { ChannelMessage, CreateRoom, HistoryQuery, Page, Room, RoomMember } from '@lo/protocol';
import type { PageOptions } from './client.js';
import type { Method, RequestOptions } from './transport.js';

/** An authenticated call below /api (the client's `call`). */
export type ApiCall = <T>(method: Method, path: string, request?: RequestOptions) => Promise<T>;

/** History of a room or DM: `after_offset` to catch up, `before_offset` to scroll back; items come oldest first. */
export interface HistoryOptions extends HistoryQuery {
  cursor?: string;
}

export interface PostOptions {
  /** Idempotency key: a retry with the same id returns the original message instead of posting twice. */
  clientMsgId?: string;
}

const enc = encodeURIComponent;
const chatBody = (text: string, options: PostOptions) => ({
  text,
  ...(options.clientMsgId !== undefined && { client_msg_id: options.clientMsgId }),
});

/** `client.rooms`: chat rooms over HTTP. Live messages come through `client.channel(room.channel)`. */
export function roomsApi(call: ApiCall) {
  return {
    /** Creates a room you own (201). */
    create: (room: CreateRoom) => call<Room>('POST', '/rooms', { body: room }),
    get: (id: string) => call<Room>('GET', `/rooms/${enc(id)}`),
    /** Rooms you are a member of. */
    mine: (page: PageOptions = {}) => call<Page<Room>>('GET', '/me/rooms', { query: { ...page } }),
    /** Joins a public room. */
    join: (id: string) => call<Room>('POST', `/rooms/${enc(id)}/join`),
    leave: (id: string) => call<void>('POST', `/rooms/${enc(id)}/leave`),
    members: (id: string, page: PageOptions = {}) => call<Page<RoomMember>>('GET', `/rooms/${enc(id)}/members`, { query: { ...page } }),
    /** Adds a member (the owner of a private room). */
    addMember: (id: string, userId: string) => call<RoomMember>('POST', `/rooms/${enc(id)}/members`, { body: { user_id: userId } }),
    removeMember: (id: string, userId: string) => call<void>('DELETE', `/rooms/${enc(id)}/members/${enc(userId)}`),
    /** Stored messages, oldest first. */
    history: (id: string, query: HistoryOptions = {}) =>
      call<Page<ChannelMessage>>('GET', `/rooms/${enc(id)}/messages`, { query: { ...query } }),
    /** Posts `{text}` over HTTP (the same as publishing on the room's channel). */
    post: (id: string, text: string, options: PostOptions = {}) =>
      call<ChannelMessage>('POST', `/rooms/${enc(id)}/messages`, { body: chatBody(text, options) }),
  };
}

/** `client.dms`: direct messages with a friend over HTTP. Live ones come through `client.channel(dmChannel(me, them))`. */
export function dmsApi(call: ApiCall) {
  return {
    /** Stored messages with `userId`, oldest first. */
    history: (userId: string, query: HistoryOptions = {}) =>
      call<Page<ChannelMessage>>('GET', `/dms/${enc(userId)}/messages`, { query: { ...query } }),
    send: (userId: string, text: string, options: PostOptions = {}) =>
      call<ChannelMessage>('POST', `/dms/${enc(userId)}/messages`, { body: chatBody(text, options) }),
  };
}

export type RoomsApi = ReturnType<typeof roomsApi>;
export type DmsApi = ReturnType<typeof dmsApi>;
