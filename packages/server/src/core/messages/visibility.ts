import type { GeoCandidate } from '../store.js';

/** What the visibility rules need to know about the viewer. */
export interface ViewerScope {
  viewerId: string;
  /** The viewer's visibility radius (metres): posts farther than this are not theirs to see. */
  visibilityRadius: number;
  isBlocked(userId: string): boolean;
  isFriend(userId: string): boolean;
}

/**
 * The one rule for who sees a geo post (the feed, the RPC and GET /messages/:id all use it):
 * not blocked either way; public, or friends-only and the viewer is a friend (or the author); and,
 * measured from the post's public point, the viewer is inside the post's radius and the post is inside
 * the viewer's visibility radius. Deleted and expired posts never reach this check.
 */
export function canSee(scope: ViewerScope, post: Pick<GeoCandidate, 'authorId' | 'visibility' | 'radius' | 'distance'>): boolean {
  if (scope.isBlocked(post.authorId)) return false;
  if (post.visibility === 'friends' && post.authorId !== scope.viewerId && !scope.isFriend(post.authorId)) return false;
  return post.distance <= post.radius && post.distance <= scope.visibilityRadius;
}
