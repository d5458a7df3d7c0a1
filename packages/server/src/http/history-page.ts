/**
 * History paging of chat channels for HTTP: `after_offset` reads forward (oldest first), `before_offset`
 * or nothing reads the newest messages backwards; `next_cursor` continues in the same direction.
 */
import { LIMITS, type ChannelMessage, type HistoryQuery, type Page } from '@lo/protocol';
import type { ChannelService } from '../core/channels/channel-service.js';
import { channelMessageView } from '../core/channels/message-frame.js';
import { LoError } from '../errors/lo-error.js';

export async function historyPage(
  channels: ChannelService,
  userId: string,
  channel: string,
  query: HistoryQuery & { cursor?: string },
): Promise<Page<ChannelMessage>> {
  const limit = query.limit ?? LIMITS.pageDefault;
  const { afterOffset, beforeOffset } = position(query);
  const { items, more, edge } = await channels.history(userId, channel, {
    limit,
    ...(afterOffset !== undefined && { afterOffset }),
    ...(beforeOffset !== undefined && { beforeOffset }),
  });
  const forward = afterOffset !== undefined;
  return {
    items: items.map(channelMessageView),
    next_cursor: more && edge !== null ? `${forward ? 'a' : 'b'}${edge}` : null,
  };
}

function position(query: HistoryQuery & { cursor?: string }): { afterOffset?: number; beforeOffset?: number } {
  const given = [query.after_offset, query.before_offset, query.cursor].filter((v) => v !== undefined).length;
  if (given > 1) throw new LoError('validation_failed', 'Give at most one of after_offset, before_offset and cursor.');
  if (query.cursor !== undefined) {
    const match = /^([ab])(\d{1,15})$/.exec(query.cursor);
    if (match === null) throw new LoError('invalid_cursor');
    return match[1] === 'a' ? { afterOffset: Number(match[2]) } : { beforeOffset: Number(match[2]) };
  }
  return {
    ...(query.after_offset !== undefined && { afterOffset: query.after_offset }),
    ...(query.before_offset !== undefined && { beforeOffset: query.before_offset }),
  };
}
