/**
 * Channel namespaces and their settings (DESIGN section 5). Every channel belongs to one namespace by
 * its prefix; the settings say how its messages are kept and who may do what. Deployments override
 * them with LO_NAMESPACES (JSON, e.g. `{"room":{"historySize":5000}}`).
 */
import { NAMESPACES, type Namespace } from '@lo/protocol';
import type { RateRule } from '../rate-rules.js';

export interface NamespaceSettings {
  /** Messages are stored with an offset (recoverable, in history) or only passed on (at-most-once). */
  persisted: boolean;
  /** Messages kept per channel; older ones are trimmed and cannot be recovered. 0: no count limit. */
  historySize: number;
  /** Seconds a message is kept. 0: no age limit. */
  historyTtlS: number;
  /** Whether subscribers appear in the channel's presence (join/leave events, `presence.get`). */
  presence: boolean;
  /** Whether `typing` is allowed. */
  typing: boolean;
  /**
   * Who may subscribe: `anyone` authenticated, or `members` (a room's members, a DM's two people,
   * the user of a `user:` channel).
   */
  subscribe: 'anyone' | 'members';
  /** Who may publish: `anyone`, `members` (for DMs: friends who do not block each other), or `nobody` (server only). */
  publish: 'anyone' | 'members' | 'nobody';
  /** Subscribers of one channel on one node. 0: no limit. */
  maxSubscribers: number;
  /**
   * Publishes per user in this namespace, on top of the global `publish` rule; null: only the global
   * rule. Given in LO_NAMESPACES as "points/seconds" (e.g. "5/10", "" for none), parsed once here.
   */
  publishLimit: RateRule | null;
}

export type NamespaceTable = Record<Namespace, NamespaceSettings>;

export const DEFAULT_NAMESPACES: NamespaceTable = {
  room: {
    persisted: true,
    historySize: 0,
    historyTtlS: 0,
    presence: true,
    typing: true,
    subscribe: 'members',
    publish: 'members',
    maxSubscribers: 10_000,
    publishLimit: null,
  },
  dm: {
    persisted: true,
    historySize: 0,
    historyTtlS: 0,
    presence: true,
    typing: true,
    subscribe: 'members',
    publish: 'members',
    maxSubscribers: 100,
    publishLimit: null,
  },
  user: {
    persisted: true,
    historySize: 1000,
    historyTtlS: 30 * 24 * 3600,
    presence: false,
    typing: false,
    subscribe: 'members',
    publish: 'nobody',
    maxSubscribers: 100,
    publishLimit: null,
  },
  public: {
    persisted: false,
    historySize: 0,
    historyTtlS: 0,
    presence: true,
    typing: true,
    subscribe: 'anyone',
    publish: 'anyone',
    maxSubscribers: 0,
    publishLimit: null,
  },
  // A user's live beacon: published by the server from `loc` frames, watched by whom the owner's sharing
  // setting allows (channel-access.ts), never stored as channel history.
  loc: {
    persisted: false,
    historySize: 0,
    historyTtlS: 0,
    presence: false,
    typing: false,
    subscribe: 'members',
    publish: 'nobody',
    maxSubscribers: 1000,
    publishLimit: null,
  },
};

const CHECKS: { [K in keyof NamespaceSettings]: (v: unknown) => boolean } = {
  persisted: (v) => typeof v === 'boolean',
  historySize: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  historyTtlS: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  presence: (v) => typeof v === 'boolean',
  typing: (v) => typeof v === 'boolean',
  subscribe: (v) => v === 'anyone' || v === 'members',
  publish: (v) => v === 'anyone' || v === 'members' || v === 'nobody',
  maxSubscribers: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  publishLimit: (v) => v === '' || (typeof v === 'string' && parseLimit(v) !== null),
};

/** "points/seconds" as a rate rule called `name`; null when empty or malformed. */
function parseLimit(text: string, name = 'namespace'): RateRule | null {
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) return null;
  return { name, points: Number(match[1]), durationS: Number(match[2]) };
}

/** What housekeeping trims: each namespace's channels (`<ns>:` prefix) to its history size and age. */
export function retentionOf(table: NamespaceTable): Array<{ prefix: string; keep: number; ttlS: number }> {
  return NAMESPACES.filter((ns) => table[ns].persisted).map((ns) => ({
    prefix: `${ns}:`,
    keep: table[ns].historySize,
    ttlS: table[ns].historyTtlS,
  }));
}

/** Applies LO_NAMESPACES overrides; returns the table and the problems found (config reports them). */
export function parseNamespaces(text: string): { table: NamespaceTable; problems: string[] } {
  const table = structuredClone(DEFAULT_NAMESPACES);
  const problems: string[] = [];
  if (text === '') return { table, problems };
  let overrides: unknown;
  try {
    overrides = JSON.parse(text);
  } catch {
    return { table, problems: ['LO_NAMESPACES: not JSON'] };
  }
  if (typeof overrides !== 'object' || overrides === null) return { table, problems: ['LO_NAMESPACES: expected a JSON object'] };
  for (const [ns, settings] of Object.entries(overrides)) {
    if (!(NAMESPACES as readonly string[]).includes(ns) || typeof settings !== 'object' || settings === null) {
      problems.push(`LO_NAMESPACES: "${ns}" is not one of ${NAMESPACES.join(', ')} with an object of settings`);
      continue;
    }
    for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
      const check = CHECKS[key as keyof NamespaceSettings] as ((v: unknown) => boolean) | undefined;
      if (check === undefined || !check(value)) {
        problems.push(`LO_NAMESPACES: ${ns}.${key}=${JSON.stringify(value)} is not a valid setting`);
        continue;
      }
      const parsed = key === 'publishLimit' ? parseLimit(value as string, `publish:${ns}`) : value;
      (table[ns as Namespace] as unknown as Record<string, unknown>)[key] = parsed;
    }
  }
  return { table, problems };
}
