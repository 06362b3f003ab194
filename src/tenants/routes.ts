import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../audit/audit.ts';
import { text } from '../i18n/de.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { submitOnce } from '../web/once.ts';
import { type FormErrors, hasErrors, readForm } from '../web/forms.ts';
import { isUuid, type ListQuery, listUrl, queryHoldingRow, readListQuery } from '../web/listing.ts';
import { type BookingSection, bookingSection } from '../applications/sections.ts';
import { denyAccess, requireWorkspace, selectedTenant, workspaceOf } from '../workspace/context.ts';
import { type CompanyValues, companyValuesFromRow, countries, readCompanyForm, validateCompany } from './company.ts';
import { createTenant, CustomerNumberTakenError, findTenant, findTenantPage, listTenants, type TenantSort, tenantSorts, updateTenant } from './tenants.ts';

interface IdParams {
  id: string;
}

const workspaceRoute = { config: { roles: ['operator', 'reseller'] as const }, preHandler: requireWorkspace };
const emptyCompany: CompanyValues = { name: '', customerNumber: '', street: '', postalCode: '', city: '', country: 'DE', vatId: '', phone: '', email: '' };

export async function tenantRoutes(app: FastifyInstance): Promise<void> {
  const actorOf = (request: FastifyRequest) => ({
    actorId: request.session.account!.id,
    at: app.clock.now(),
    ip: request.ip,
    support: workspaceOf(request).support,
  });

  async function renderList(request: FastifyRequest, reply: FastifyReply, query: ListQuery<TenantSort>, extra: { marked?: string | null; formError?: string; status?: number } = {}) {
    const workspace = workspaceOf(request);
    const { rows, info } = await listTenants(app.db, workspace.resellerId, query);
    const selected = selectedTenant(request);
    return reply.page(
      'tenants/index.eta',
      {
        title: text.tenants.title,
        rows,
        info,
        query,
        sorts: tenantSorts,
        listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/mandanten', query, change),
        markedId: extra.marked ?? selected?.id ?? null,
        selectedId: selected?.id ?? null,
        formError: extra.formError,
      },
      extra.status ?? 200,
    );
  }

  const renderForm = (reply: FastifyReply, data: { tenantId: string | null; values: CompanyValues; errors: FormErrors; bookings?: BookingSection }, status = 200) =>
    reply.page(
      'tenants/form.eta',
      {
        title: data.tenantId ? text.tenants.editTitle(data.values.name) : text.tenants.newTitle,
        action: data.tenantId ? `/mandanten/${data.tenantId}` : '/mandanten',
        countries,
        ...data,
      },
      status,
    );

  app.get('/mandanten', workspaceRoute, async (request, reply) => {
    const params = request.query as Record<string, unknown>;
    let query = readListQuery(params, tenantSorts, 'name');
    const marked = isUuid(params.markiert) ? params.markiert : null;
    // After an action: the normal list, opened at the page that holds the marked row.
    if (marked) query = await queryHoldingRow(query, params.seite, (q) => findTenantPage(app.db, workspaceOf(request).resellerId, marked, q));
    return renderList(request, reply, query, { marked });
  });

  app.post('/mandanten/auswahl', workspaceRoute, async (request, reply) => {
    const form = readForm(request.body, ['mandant', 'aktion', 'q', 'sort', 'dir', 'seite']);
    const query = readListQuery(form, tenantSorts, 'name');
    if (!form.mandant) return renderList(request, reply, query, { formError: text.tenants.noSelection, status: 422 });
    const workspace = workspaceOf(request);
    const tenant = isUuid(form.mandant) ? await findTenant(app.db, workspace.resellerId, form.mandant) : undefined;
    if (!tenant) return denyAccess(request, reply, 'tenant', form.mandant);
    if (form.aktion === 'bearbeiten') return reply.redirect(`/mandanten/${tenant.id}/bearbeiten`, 303);
    request.session.tenant = { id: tenant.id, name: tenant.name, customerNumber: tenant.customer_number, resellerId: workspace.resellerId };
    await recordAuditEvent(app.db, { action: 'tenant.selected', ...actorOf(request), resellerId: workspace.resellerId, tenantId: tenant.id });
    return redirectWithFlash(reply, listUrl('/mandanten', query, {}), text.tenants.workingAs(tenant.name));
  });

  app.post('/mandant/verlassen', { config: { roles: ['operator', 'reseller'] } }, async (request, reply) => {
    delete request.session.tenant;
    return redirectWithFlash(reply, '/mandanten', text.tenants.left);
  });

  app.get('/mandanten/neu', workspaceRoute, async (_request, reply) => renderForm(reply, { tenantId: null, values: emptyCompany, errors: {} }));

  app.post('/mandanten', workspaceRoute, async (request, reply) => {
    const values = readCompanyForm(request.body);
    const errors = validateCompany(values);
    if (hasErrors(errors)) return renderForm(reply, { tenantId: null, values, errors }, 422);
    const workspace = workspaceOf(request);
    try {
      return await submitOnce(request, reply, async (trx) => {
        const tenant = await createTenant(trx, workspace.resellerId, values, actorOf(request));
        return { location: `/mandanten?${new URLSearchParams({ markiert: tenant.id })}`, flash: text.tenants.created(values.name) };
      });
    } catch (error) {
      if (error instanceof CustomerNumberTakenError) {
        return renderForm(reply, { tenantId: null, values, errors: { customerNumber: text.company.customerNumberTaken(error.holder) } }, 422);
      }
      throw error;
    }
  });

  app.get<{ Params: IdParams }>('/mandanten/:id/bearbeiten', workspaceRoute, async (request, reply) => {
    const tenant = isUuid(request.params.id) ? await findTenant(app.db, workspaceOf(request).resellerId, request.params.id) : undefined;
    if (!tenant) return denyAccess(request, reply, 'tenant', request.params.id);
    return renderForm(reply, { tenantId: tenant.id, values: companyValuesFromRow(tenant), errors: {}, bookings: await bookingSection(app.db, tenant.id) });
  });

  app.post<{ Params: IdParams }>('/mandanten/:id', workspaceRoute, async (request, reply) => {
    const workspace = workspaceOf(request);
    const { id } = request.params;
    if (!isUuid(id) || !(await findTenant(app.db, workspace.resellerId, id))) return denyAccess(request, reply, 'tenant', id);
    const values = readCompanyForm(request.body);
    const errors = validateCompany(values);
    if (hasErrors(errors)) return renderForm(reply, { tenantId: id, values, errors }, 422);
    try {
      await app.db.transaction().execute((trx) => updateTenant(trx, workspace.resellerId, id, values, actorOf(request)));
    } catch (error) {
      if (error instanceof CustomerNumberTakenError) {
        return renderForm(reply, { tenantId: id, values, errors: { customerNumber: text.company.customerNumberTaken(error.holder) } }, 422);
      }
      throw error;
    }
    const selected = request.session.tenant;
    if (selected?.id === id) request.session.tenant = { ...selected, name: values.name, customerNumber: values.customerNumber || null };
    return redirectWithFlash(reply, `/mandanten?${new URLSearchParams({ markiert: id })}`, text.tenants.updated(values.name));
  });
}
