import type { Executor } from '../db/database.ts';
import { PAGE_SIZE, type PageInfo } from '../web/listing.ts';

export interface AuditRow {
  id: string;
  occurred_at: Date;
  action: string;
  actor_name: string | null;
  actor_login: string | null;
  actor_role: string | null;
  subject_name: string | null;
  subject_login: string | null;
  tenant_name: string | null;
  reseller_name: string | null;
  details: Record<string, unknown>;
}

/** Newest first. resellerId null: every event (operator); otherwise only that reseller's. */
export async function listAuditEvents(db: Executor, resellerId: string | null, page: number): Promise<{ rows: AuditRow[]; info: PageInfo }> {
  let base = db.selectFrom('audit_events as e');
  if (resellerId) base = base.where('e.reseller_id', '=', resellerId);
  // Counting a growing log on every view is wasted work: one row past the page says "there is more".
  const offset = (page - 1) * PAGE_SIZE;
  const rows = await base
    .leftJoin('accounts as actor', 'actor.id', 'e.actor_account_id')
    .leftJoin('accounts as subject', 'subject.id', 'e.subject_account_id')
    .leftJoin('tenants as t', 't.id', 'e.tenant_id')
    .leftJoin('resellers as r', 'r.id', 'e.reseller_id')
    .select((eb) => [
      'e.id',
      'e.occurred_at',
      'e.action',
      'e.details',
      eb.fn<string>('concat_ws', [eb.val(' '), 'actor.first_name', 'actor.last_name']).as('actor_name'),
      'actor.login as actor_login',
      'actor.role as actor_role',
      eb.fn<string>('concat_ws', [eb.val(' '), 'subject.first_name', 'subject.last_name']).as('subject_name'),
      'subject.login as subject_login',
      't.name as tenant_name',
      'r.name as reseller_name',
    ])
    .orderBy('e.occurred_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(PAGE_SIZE + 1)
    .offset(offset)
    .execute();
  const hasMore = rows.length > PAGE_SIZE;
  // Without a total the page count is open-ended: "Seite 3" with a link to the next one.
  return { rows: rows.slice(0, PAGE_SIZE) as AuditRow[], info: { page, pages: hasMore ? page + 1 : page, total: 0, capped: false, openEnded: true } };
}
