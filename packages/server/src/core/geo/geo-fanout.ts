/**
 * Live geo fan-out (DESIGN section 7): after a post is stored, and after it is deleted, tell the nodes
 * whose connections cover its cells. Publications go through the Broker port like every other real-time
 * event, on the topic of the public point's cell at both precisions (cells.ts), so each node's hub hears
 * it only when one of its connections covers the place.
 */
import type { Broker } from '../broker.js';
import type { MessageRecord } from '../store.js';
import { cellTopic, postCells } from './cells.js';
import type { GeoEvent, GeoPost } from './geo-event.js';

export class GeoFanout {
  /**
   * @param onError The post is already durable when fan-out fails: live viewers miss the push (they see
   *   it in the feed and on their next area read), and the author's request still succeeds. So failures
   *   are reported here instead of thrown.
   */
  constructor(
    private readonly broker: Broker,
    private readonly onError: (err: unknown) => void,
  ) {}

  posted(message: MessageRecord): Promise<void> {
    // Field by field: whatever MessageRecord gains later does not travel to every node unless added here.
    const post: GeoPost = {
      id: message.id,
      authorId: message.authorId,
      authorUsername: message.authorUsername,
      kind: message.kind,
      content: message.content,
      lat: message.lat,
      lng: message.lng,
      publicLat: message.publicLat,
      publicLng: message.publicLng,
      radius: message.radius,
      visibility: message.visibility,
      createdAt: message.createdAt,
      editedAt: message.editedAt,
      expiresAt: message.expiresAt,
    };
    return this.publish(message, { kind: 'posted', post });
  }

  deleted(message: MessageRecord): Promise<void> {
    return this.publish(message, { kind: 'deleted', id: message.id });
  }

  private async publish(message: MessageRecord, geo: GeoEvent): Promise<void> {
    try {
      await Promise.all(postCells(message.publicLat, message.publicLng).map((cell) => this.broker.publish(cellTopic(cell), { geo })));
    } catch (err) {
      this.onError(err);
    }
  }
}
