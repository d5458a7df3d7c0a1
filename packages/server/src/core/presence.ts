/**
 * Who is in a channel right now (DESIGN section 2). Entries are per connection (`clientId`), carry the
 * user and a small custom state, and expire `ttlMs` after they were last added unless added again:
 * connections re-add theirs on every heartbeat, so entries of a node that died vanish by themselves.
 * Implementations: memory (one node) and Redis (shared); both pass test/contracts/presence-contract.ts.
 */
import type { UserRef } from '@lo/protocol';

export interface PresenceInfo {
  user: UserRef;
  state: unknown;
}

export interface PresenceStats {
  clients: number;
  users: number;
}

export interface PresenceTracker {
  /** Adds or refreshes an entry; resolves true when it was not there before (a join). */
  add(channel: string, clientId: string, info: PresenceInfo): Promise<boolean>;
  /** Resolves true when the entry was there (a leave). */
  remove(channel: string, clientId: string): Promise<boolean>;
  /** Live entries, by client id. */
  list(channel: string): Promise<Map<string, PresenceInfo>>;
  stats(channel: string): Promise<PresenceStats>;
  close(): Promise<void>;
}
