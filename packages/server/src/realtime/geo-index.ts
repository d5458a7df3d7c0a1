/**
 * This node's live geo areas indexed by geohash cell (DESIGN section 7). A publication on `geo:<cell>`
 * is checked only against the areas registered in that cell, never against every area of the node. The
 * index counts local interest per cell topic through the hub, so the node listens to a cell's topic
 * exactly while one of its connections covers the cell: inter-node traffic follows interest.
 */
import type { Publication } from '../core/broker.js';
import { cellTopic } from '../core/geo/cells.js';
import { GeoFrames } from './geo-frames.js';
import type { GeoSub } from './geo-sub.js';
import type { TopicInterest } from './topic-interest.js';

export interface GeoIndexStats {
  /** Areas registered. */
  areas: number;
  /** Cells with at least one area (= cell topics this node listens to). */
  cells: number;
  /** Geo publications heard for a cell with areas. */
  publications: number;
  /** Areas checked against a publication: only those of its cell (the point of the index). */
  candidates: number;
  /** Pushes written at once (those held during a read are not counted). */
  deliveries: number;
}

export class GeoIndex {
  private readonly byCell = new Map<string, Set<GeoSub>>();
  readonly stats: GeoIndexStats = { areas: 0, cells: 0, publications: 0, candidates: 0, deliveries: 0 };

  constructor(
    private readonly topics: TopicInterest,
    private readonly now: () => number,
  ) {}

  /**
   * Registers `sub` in exactly `cells`. It is in the index at once (publications from now on reach it);
   * topics of cells it enters are retained (this resolves once the broker delivers them all) and those of
   * cells it left released. On failure the caller removes the sub, which releases what was retained.
   */
  async place(sub: GeoSub, cells: string[]): Promise<void> {
    const next = new Set(cells);
    const entered: string[] = [];
    if (sub.cells.size === 0) this.stats.areas++;
    for (const cell of next) {
      if (sub.cells.has(cell)) continue;
      let subs = this.byCell.get(cell);
      if (subs === undefined) {
        subs = new Set();
        this.byCell.set(cell, subs);
        this.stats.cells++;
      }
      subs.add(sub);
      entered.push(cell);
    }
    for (const cell of sub.cells) if (!next.has(cell)) this.leave(sub, cell);
    sub.cells = next;
    await Promise.all(entered.map((cell) => this.topics.retain(cellTopic(cell))));
  }

  remove(sub: GeoSub): void {
    if (sub.cells.size === 0) return;
    for (const cell of sub.cells) this.leave(sub, cell);
    sub.cells = new Set();
    this.stats.areas--;
  }

  /** The hub's route for `geo:` topics. */
  readonly handle = (topic: string, pub: Publication): void => {
    if (pub.geo === undefined) return;
    const subs = this.byCell.get(topic.slice('geo:'.length));
    if (subs === undefined) return;
    this.stats.publications++;
    const frames = new GeoFrames(pub.geo);
    const now = this.now();
    for (const sub of subs) {
      this.stats.candidates++;
      if (sub.offer(frames, now) === 'sent') this.stats.deliveries++;
    }
  };

  private leave(sub: GeoSub, cell: string): void {
    const subs = this.byCell.get(cell);
    if (subs === undefined || !subs.delete(sub)) return;
    if (subs.size === 0) {
      this.byCell.delete(cell);
      this.stats.cells--;
    }
    this.topics.release(cellTopic(cell));
  }
}
