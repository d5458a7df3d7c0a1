import type { Page } from '@lo/protocol';
import { LoError } from '../errors/lo-error.js';
import { decodeCursor, encodeCursor, isRecord } from '../util/cursor.js';
import type { PageAfter } from './store.js';

/** Decodes a `(time, id)` list cursor; throws `invalid_cursor` for anything else. */
export function decodeAfter(cursor: string | undefined): PageAfter | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor, (v): v is PageAfter => isRecord(v) && Number.isFinite(v.at) && typeof v.id === 'string');
  if (after === null) throw new LoError('invalid_cursor');
  return { at: after.at, id: after.id };
}

/**
 * Builds a page from up to `limit + 1` fetched rows: the extra row only tells that there is a next
 * page, whose cursor is the last row shown.
 */
export function toPage<Row, Item>(rows: Row[], limit: number, cursorOf: (row: Row) => object, view: (row: Row) => Item): Page<Item> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(view),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}
