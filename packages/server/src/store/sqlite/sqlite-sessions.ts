import type { RotateResult, SessionRecord, SessionRepo } from '../../core/store.js';
import type { SqliteDb } from './sqlite-db.js';
import { toSession } from '../shared/rows.js';
import type { SessionsTable } from './schema.js';

/** Read by every authenticated request and WebSocket (re)open: prepared, not built with Kysely each time. */
const BY_ID_SQL = 'SELECT * FROM sessions WHERE id = ?';

export class SqliteSessions implements SessionRepo {
  constructor(private readonly db: SqliteDb) {}

  create(session: SessionRecord, tokenHash: string): Promise<void> {
    this.db.tx(() => {
      this.db.run(
        this.db.kysely.insertInto('sessions').values({
          id: session.id,
          user_id: session.userId,
          device: session.device,
          created_at: session.createdAt,
          last_used_at: session.lastUsedAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
          ip_hash: session.ipHash,
        }),
      );
      this.db.run(
        this.db.kysely
          .insertInto('refresh_tokens')
          .values({ token_hash: tokenHash, session_id: session.id, created_at: session.createdAt, used_at: null }),
      );
    });
    return Promise.resolve();
  }

  byId(id: string): Promise<SessionRecord | null> {
    const row = this.db.prepare(BY_ID_SQL).get(id) as SessionsTable | undefined;
    return Promise.resolve(row ? toSession(row) : null);
  }

  listActive(userId: string, now: number, idleSince: number): Promise<SessionRecord[]> {
    const q = this.db.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_used_at', '>', idleSince)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc');
    return Promise.resolve(this.db.all(q).map(toSession));
  }

  rotate(tokenHash: string, nextHash: string, now: number, idleSince: number): Promise<RotateResult> {
    const result = this.db.tx((): RotateResult => {
      const token = this.db.get(this.db.kysely.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash));
      if (token === undefined) return { kind: 'invalid' };
      const row = this.db.get(this.db.kysely.selectFrom('sessions').selectAll().where('id', '=', token.session_id));
      if (row === undefined) return { kind: 'invalid' };
      const session = toSession(row);
      if (token.used_at !== null) {
        // Reuse of a rotated token means two parties hold this family: end it for both.
        if (session.revokedAt === null) this.revokeNow(session.id, now);
        return { kind: 'reused', session: { ...session, revokedAt: session.revokedAt ?? now } };
      }
      if (session.revokedAt !== null || session.expiresAt <= now || session.lastUsedAt <= idleSince) return { kind: 'invalid' };
      this.db.run(this.db.kysely.updateTable('refresh_tokens').set({ used_at: now }).where('token_hash', '=', tokenHash));
      this.db.run(
        this.db.kysely
          .insertInto('refresh_tokens')
          .values({ token_hash: nextHash, session_id: session.id, created_at: now, used_at: null }),
      );
      this.db.run(this.db.kysely.updateTable('sessions').set({ last_used_at: now }).where('id', '=', session.id));
      return { kind: 'rotated', session: { ...session, lastUsedAt: now } };
    });
    return Promise.resolve(result);
  }

  touch(id: string, now: number): Promise<void> {
    this.db.run(this.db.kysely.updateTable('sessions').set({ last_used_at: now }).where('id', '=', id));
    return Promise.resolve();
  }

  revoke(id: string, now: number): Promise<boolean> {
    return Promise.resolve(this.revokeNow(id, now) > 0);
  }

  revokeAllForUser(userId: string, now: number): Promise<number> {
    const q = this.db.kysely.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
    return Promise.resolve(this.db.run(q));
  }

  knowsIp(userId: string, ipHash: string, since: number): Promise<boolean> {
    const q = this.db.kysely
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('ip_hash', '=', ipHash)
      .where('created_at', '>', since)
      .limit(1);
    return Promise.resolve(this.db.get(q) !== undefined);
  }

  private revokeNow(id: string, now: number): number {
    return this.db.run(
      this.db.kysely.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null),
    );
  }
}
