import { sql, type RawBuilder } from 'kysely';
import { boundingBoxes, type Box } from '../../core/geo/bbox.js';
import type { CandidateRow } from '../shared/nearby.js';

/**
 * The recent feed's grid (migration 0003-feed-cells): 0.01-degree cells (~1.1 km north-south), numbered
 * row by row. The B-tree `messages_cell_recent` lists each cell's live posts newest first and carries
 * every column a scan decides on, so a query walks one short, index-only range per covering cell
 * instead of fetching every post of the circle from the heap (the GiST path).
 */

const CELLS_PER_DEGREE = 100;
const COLUMNS = 360 * CELLS_PER_DEGREE + 1;

/**
 * Above this many covering cells (a radius of a few kilometres, or any circle around a pole) the
 * per-cell walk costs more than the GiST scan, which is then used instead.
 */
export const MAX_FEED_CELLS = 100;

/** The cell of a point: the same formula as the generated column `messages.cell` in SQL. */
export function feedCell(lat: number, lng: number): number {
  return cellOf(Math.floor(lat * CELLS_PER_DEGREE), Math.floor(lng * CELLS_PER_DEGREE));
}

function cellOf(row: number, column: number): number {
  return (row + 90 * CELLS_PER_DEGREE) * COLUMNS + (column + 180 * CELLS_PER_DEGREE);
}

/** A circle's pre-filter: the boxes that hold it and every cell of those boxes. */
export interface FeedCover {
  cells: number[];
  boxes: Box[];
}

/** Every cell a point within `radiusM` can lie in, or null when there are more than MAX_FEED_CELLS. */
export function feedCellsCovering(lat: number, lng: number, radiusM: number): FeedCover | null {
  const cells: number[] = [];
  const boxes = boundingBoxes(lat, lng, radiusM);
  for (const box of boxes) {
    const rows = [Math.floor(box.minLat * CELLS_PER_DEGREE), Math.floor(box.maxLat * CELLS_PER_DEGREE)] as const;
    const columns = [Math.floor(box.minLng * CELLS_PER_DEGREE), Math.floor(box.maxLng * CELLS_PER_DEGREE)] as const;
    if (cells.length + (rows[1] - rows[0] + 1) * (columns[1] - columns[0] + 1) > MAX_FEED_CELLS) return null;
    for (let row = rows[0]; row <= rows[1]; row++) {
      for (let column = columns[0]; column <= columns[1]; column++) cells.push(cellOf(row, column));
    }
  }
  return { cells, boxes };
}

export interface CellScan {
  /** The circle's cover (feedCellsCovering): the caller decides each candidate by haversine afterwards. */
  cover: FeedCover;
  now: number;
  /** Only posts older than this, in (created_at, id) order (the keyset of the previous batch). */
  before?: { createdAt: number; id: string };
  /** Only posts newer than this. */
  after?: { createdAt: number; id: string };
  limit: number;
}

/**
 * The `limit` newest live posts of the cells within `radiusM`: each cell's newest `limit` from the index
 * (LATERAL), merged. The circle's boxes filter on the indexed columns, so a cell reaching beyond the
 * circle's box does not fill its share with posts outside it (a haversine in SQL filtered a little
 * better and cost ~25 % more in dense cells). The partial index holds live posts only: deleting or
 * purging a post clears `public_geog`.
 */
export function cellCandidatesSql(scan: CellScan): RawBuilder<CandidateRow> {
  const before = scan.before === undefined ? sql`` : sql`AND (m.created_at, m.id) < (${scan.before.createdAt}::bigint, ${scan.before.id})`;
  const after = scan.after === undefined ? sql`` : sql`AND (m.created_at, m.id) > (${scan.after.createdAt}::bigint, ${scan.after.id})`;
  const inBoxes = sql.join(
    scan.cover.boxes.map(
      (b) =>
        sql`(m.public_lat BETWEEN ${b.minLat}::float8 AND ${b.maxLat}::float8 AND m.public_lng BETWEEN ${b.minLng}::float8 AND ${b.maxLng}::float8)`,
    ),
    sql` OR `,
  );
  return sql<CandidateRow>`SELECT p.* FROM unnest(${scan.cover.cells}::integer[]) AS k(cell) CROSS JOIN LATERAL (
      SELECT m.id, m.author_id, m.public_lat, m.public_lng, m.radius, m.visibility, m.created_at, m.expires_at
      FROM messages m
      WHERE m.cell = k.cell AND m.public_geog IS NOT NULL
        AND (m.expires_at IS NULL OR m.expires_at > ${scan.now}::bigint)
        AND (${inBoxes}) ${before} ${after}
      ORDER BY m.created_at DESC, m.id DESC LIMIT ${scan.limit}
    ) p
    ORDER BY p.created_at DESC, p.id DESC LIMIT ${scan.limit}`;
}
