import type { FastifyInstance } from 'fastify';
import { formatDateTime, text } from '../i18n/de.ts';
import { listUrl, readListQuery } from '../web/listing.ts';
import { currentWorkspace } from '../workspace/context.ts';
import { listAuditEvents } from './log.ts';

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  app.get('/protokoll', { config: { roles: ['operator', 'reseller'] } }, async (request, reply) => {
    const query = readListQuery(request.query, ['occurred'] as const, 'occurred');
    const account = request.session.account!;
    // A reseller sees its own events; an operator all of them, or one reseller's in support mode.
    const resellerId = account.role === 'reseller' ? account.resellerId : (currentWorkspace(request)?.resellerId ?? null);
    const { rows, info } = await listAuditEvents(app.db, resellerId, query.page);
    return reply.page('audit/index.eta', {
      title: text.audit.title,
      rows: rows.map((row) => ({ ...row, when: formatDateTime(row.occurred_at), label: text.audit.actions[row.action] ?? row.action })),
      info,
      showReseller: !resellerId,
      listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/protokoll', query, change),
    });
  });
}
