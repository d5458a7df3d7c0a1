/**
 * Bounds that are part of the public contract: the server enforces them and the client may check them
 * early. Deployment-tunable limits (rate limits, body size) live in the server's config instead.
 */
export const LIMITS = {
  /** Message content, in bytes of UTF-8. */
  contentMaxBytes: 4096,
  /** Largest radius of a post, of the nearby query and of a user's visibility radius, in metres. */
  radiusMaxM: 10_000,
  /**
   * Smallest radius of a post and of a visibility radius. Radii are measured from the post's public
   * (snapped) point, which lies up to ~2.7 grid cells (LO_PRIVACY_GRID_M, 100 m by default) from
   * where it was posted; below this a post could be invisible at the very spot it was posted.
   */
  radiusMinM: 300,
  /** Smallest radius of a nearby query. */
  queryRadiusMinM: 10,
  defaultVisibilityRadiusM: 1_000,
  pageMax: 100,
  pageDefault: 20,
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 128,
  displayNameMax: 64,
  clientMsgIdMax: 64,
  reportReasonMax: 500,
  deviceLabelMax: 64,
  /** Post lifetime bounds, in seconds. */
  expiresInMin: 60,
  expiresInMax: 30 * 24 * 3600,
} as const;

/** Distances shown to anyone but the author, from the author's snapped point (DESIGN section 7). */
export const DISTANCE_BANDS = ['<100 m', '<500 m', '<1 km', '<2 km', '<5 km', '<10 km', '>10 km'] as const;
export type DistanceBand = (typeof DISTANCE_BANDS)[number];
