import type { AuditEntry, AuditRepo, PageAfter } from '../../core/store.js';
import type { PostgresDb } from './postgres-db.js';

/** `data` is stored as JSON text (not jsonb) so it reads back exactly as written. */
export class PostgresAudit implements AuditRepo {
  constructor(private readonly db: PostgresDb) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.kysely
      .insertInto('audit_log')
      .values({
        id: entry.id,
        at: entry.at,
        actor_id: entry.actorId,
        action: entry.action,
        target: entry.target,
        data: entry.data === null ? null : JSON.stringify(entry.data),
      })
      .execute();
  }

  async list(limit: number, after?: PageAfter): Promise<AuditEntry[]> {
    let q = this.db.kysely.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit);
    if (after) q = q.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
    const rows = await q.execute();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actorId: row.actor_id,
      action: row.action,
      target: row.target,
      data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    }));
  }
}
