/**
 * The `msg` frame of a stored or ephemeral message, built by string concatenation around the stored
 * JSON `data`: a publication is encoded once, by the node that publishes it, and never re-parsed.
 */
import type { ChannelMessage, UserRef } from '@lo/protocol';
import { iso } from '../../util/time.js';
import type { ChannelMessageRecord } from '../channel-repos.js';

export interface MessageParts {
  channel: string;
  offset: number | null;
  id: string;
  author: UserRef;
  /** JSON text. */
  data: string;
  createdAt: number;
}

export function partsOf(record: ChannelMessageRecord): MessageParts {
  return {
    channel: record.channel,
    offset: record.offset,
    id: record.id,
    author: { id: record.authorId, username: record.authorUsername },
    data: record.data,
    createdAt: record.createdAt,
  };
}

export function messageFrame(m: MessageParts): string {
  const offset = m.offset === null ? '' : `"offset":${m.offset},`;
  return (
    `{"type":"msg","channel":${JSON.stringify(m.channel)},${offset}"id":"${m.id}",` +
    `"author":${JSON.stringify(m.author)},"data":${m.data},"created_at":"${iso(m.createdAt)}"}`
  );
}

/** The HTTP view of a stored message (the frame without `type`). */
export function channelMessageView(record: ChannelMessageRecord): ChannelMessage {
  return {
    channel: record.channel,
    offset: record.offset,
    id: record.id,
    author: { id: record.authorId, username: record.authorUsername },
    data: JSON.parse(record.data) as unknown,
    created_at: iso(record.createdAt),
  };
}
