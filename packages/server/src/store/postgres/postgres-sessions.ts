import type { RotateResult, SessionRecord, SessionRepo } from '../../core/store.js';
import type { Pg, PostgresDb } from './postgres-db.js';
import { toSession } from '../shared/rows.js';

export class PostgresSessions implements SessionRepo {
  constructor(private readonly db: PostgresDb) {}

  async create(session: SessionRecord, tokenHash: string): Promise<void> {
    await this.db.tx(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          device: session.device,
          created_at: session.createdAt,
          last_used_at: session.lastUsedAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
          ip_hash: session.ipHash,
        })
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash, session_id: session.id, created_at: session.createdAt, used_at: null })
        .execute();
    });
  }

  async byId(id: string): Promise<SessionRecord | null> {
    const row = await this.db.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async listActive(userId: string, now: number, idleSince: number): Promise<SessionRecord[]> {
    const rows = await this.db.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_used_at', '>', idleSince)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toSession);
  }

  rotate(tokenHash: string, nextHash: string, now: number, idleSince: number): Promise<RotateResult> {
    return this.db.tx(async (trx): Promise<RotateResult> => {
      // The row lock makes concurrent rotations of one token take turns: the second one sees the token
      // used by the first and reports (and acts on) the reuse.
      const token = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
      if (token === undefined) return { kind: 'invalid' };
      const row = await trx.selectFrom('sessions').selectAll().where('id', '=', token.session_id).forUpdate().executeTakeFirst();
      if (row === undefined) return { kind: 'invalid' };
      const session = toSession(row);
      if (token.used_at !== null) {
        // Reuse of a rotated token means two parties hold this family: end it for both.
        if (session.revokedAt === null) await revokeNow(trx, session.id, now);
        return { kind: 'reused', session: { ...session, revokedAt: session.revokedAt ?? now } };
      }
      if (session.revokedAt !== null || session.expiresAt <= now || session.lastUsedAt <= idleSince) return { kind: 'invalid' };
      await trx.updateTable('refresh_tokens').set({ used_at: now }).where('token_hash', '=', tokenHash).execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: nextHash, session_id: session.id, created_at: now, used_at: null })
        .execute();
      await trx.updateTable('sessions').set({ last_used_at: now }).where('id', '=', session.id).execute();
      return { kind: 'rotated', session: { ...session, lastUsedAt: now } };
    });
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.kysely.updateTable('sessions').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return (await revokeNow(this.db.kysely, id, now)) > 0;
  }

  async revokeAllForUser(userId: string, now: number): Promise<number> {
    const result = await this.db.kysely
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async knowsIp(userId: string, ipHash: string, since: number): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('ip_hash', '=', ipHash)
      .where('created_at', '>', since)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

async function revokeNow(db: Pg, id: string, now: number): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
