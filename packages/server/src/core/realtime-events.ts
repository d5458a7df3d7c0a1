/**
 * What the domain services tell the real-time layer, on every node (through the broker): sessions
 * that ended, relations that changed, notifications for a user. Implemented by ChannelService.
 */
import type { CloseReason } from '@lo/protocol';

export interface RealtimeEvents {
  /** Closes the user's live connections (of one session, or all) with `reason`. */
  sessionEnded(userId: string, sessionId: string | null, reason: CloseReason): Promise<void>;
  /** Blocks or friendships of these users changed (who they hide, whose status they see). */
  relationsChanged(userIds: string[]): Promise<void>;
  /** The user lost access to `channel`: their live subscriptions to it end. */
  revoked(userId: string, channel: string): Promise<void>;
  /** Stores a notification on `user:<userId>` (recoverable, in history) and pushes it to their connections. */
  notify(userId: string, from: { id: string; username: string }, data: Record<string, unknown>): Promise<void>;
}

/** For services built without a real-time layer (CLI commands). */
export const NO_REALTIME_EVENTS: RealtimeEvents = {
  sessionEnded: () => Promise.resolve(),
  relationsChanged: () => Promise.resolve(),
  revoked: () => Promise.resolve(),
  notify: () => Promise.resolve(),
};
