import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../audit/audit.ts';
import { linkLifetimes } from '../auth/routes.ts';
import { text } from '../i18n/de.ts';
import { issuePasswordLink } from '../passwords/links.ts';
import { type CompanyValues, companyValuesFromRow, countries, readCompanyForm, validateCompany } from '../tenants/company.ts';
import { type PersonForm, readPersonForm, validatePerson } from '../users/person.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { submitOnce } from '../web/once.ts';
import { type FormErrors, hasErrors } from '../web/forms.ts';
import { isUuid, listUrl, readListQuery } from '../web/listing.ts';
import { denyAccess } from '../workspace/context.ts';
import { createReseller, createResellerStaff, findReseller, listResellers, listResellerStaff, updateReseller } from './resellers.ts';

interface IdParams {
  id: string;
}

const operatorOnly = { config: { roles: ['operator'] as const } };
const emptyCompany: CompanyValues = { name: '', customerNumber: '', street: '', postalCode: '', city: '', country: 'DE', vatId: '', phone: '', email: '' };
const emptyPerson: PersonForm = { firstName: '', lastName: '', email: '' };

export async function resellerRoutes(app: FastifyInstance): Promise<void> {
  const actorOf = (request: FastifyRequest) => ({ actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip });

  async function renderDetail(
    reply: FastifyReply,
    resellerId: string,
    forms: { values?: CompanyValues; errors?: FormErrors; staffValues?: PersonForm; staffErrors?: FormErrors } = {},
    status = 200,
  ) {
    const reseller = await findReseller(app.db, resellerId);
    if (!reseller) throw new Error('renderDetail: reseller vanished');
    const staff = await listResellerStaff(app.db, resellerId);
    return reply.page(
      'resellers/show.eta',
      {
        title: text.resellers.editTitle(reseller.name),
        reseller,
        staff,
        countries,
        resellerId,
        values: forms.values ?? companyValuesFromRow(reseller),
        errors: forms.errors ?? {},
        staffValues: forms.staffValues ?? emptyPerson,
        staffErrors: forms.staffErrors ?? {},
      },
      status,
    );
  }

  async function resellerOr404(request: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) {
    const reseller = isUuid(request.params.id) ? await findReseller(app.db, request.params.id) : undefined;
    if (!reseller) await denyAccess(request, reply, 'reseller', request.params.id);
    return reseller;
  }

  app.get('/reseller', operatorOnly, async (request, reply) => {
    const query = readListQuery(request.query, ['name'] as const, 'name');
    const { rows, info } = await listResellers(app.db, query);
    return reply.page('resellers/index.eta', { title: text.resellers.title, rows, info, query, listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/reseller', query, change) });
  });

  app.get('/reseller/neu', operatorOnly, async (_request, reply) =>
    reply.page('resellers/new.eta', { title: text.resellers.newTitle, values: emptyCompany, errors: {}, countries }),
  );

  app.post('/reseller', operatorOnly, async (request, reply) => {
    const values = readCompanyForm(request.body);
    const errors = validateCompany(values);
    if (hasErrors(errors)) return reply.page('resellers/new.eta', { title: text.resellers.newTitle, values, errors, countries }, 422);
    return submitOnce(request, reply, async (trx) => {
      const reseller = await createReseller(trx, values, actorOf(request));
      return { location: `/reseller/${reseller.id}`, flash: text.resellers.created(values.name) };
    });
  });

  app.get<{ Params: IdParams }>('/reseller/:id', operatorOnly, async (request, reply) => {
    const reseller = await resellerOr404(request, reply);
    if (!reseller) return reply;
    return renderDetail(reply, reseller.id);
  });

  app.post<{ Params: IdParams }>('/reseller/:id', operatorOnly, async (request, reply) => {
    const reseller = await resellerOr404(request, reply);
    if (!reseller) return reply;
    const values = readCompanyForm(request.body);
    const errors = validateCompany(values);
    if (hasErrors(errors)) return renderDetail(reply, reseller.id, { values, errors }, 422);
    await app.db.transaction().execute((trx) => updateReseller(trx, reseller.id, values, actorOf(request)));
    if (request.session.support?.resellerId === reseller.id) request.session.support = { resellerId: reseller.id, resellerName: values.name };
    return redirectWithFlash(reply, `/reseller/${reseller.id}`, text.resellers.updated(values.name));
  });

  app.post<{ Params: IdParams }>('/reseller/:id/mitarbeiter', operatorOnly, async (request, reply) => {
    const reseller = await resellerOr404(request, reply);
    if (!reseller) return reply;
    const person = readPersonForm(request.body);
    const errors = validatePerson(person, 'other');
    if (hasErrors(errors)) return renderDetail(reply, reseller.id, { staffValues: person, staffErrors: errors }, 422);
    return submitOnce(request, reply, async (trx) => {
      const account = await createResellerStaff(trx, app.outbox, linkLifetimes(app), reseller.id, person, actorOf(request));
      return { location: `/reseller/${reseller.id}`, flash: text.resellers.staffCreated(account.login, person.email) };
    });
  });

  app.post<{ Params: IdParams & { accountId: string } }>('/reseller/:id/mitarbeiter/:accountId/link', operatorOnly, async (request, reply) => {
    const reseller = await resellerOr404(request, reply);
    if (!reseller) return reply;
    const staff = (await listResellerStaff(app.db, reseller.id)).find((s) => s.id === request.params.accountId);
    if (!staff) return denyAccess(request, reply, 'account', request.params.accountId);
    if (staff.status !== 'active') return redirectWithFlash(reply, `/reseller/${reseller.id}`, text.users.linkDisabled);
    return submitOnce(request, reply, async (trx) => {
      const link = await issuePasswordLink(trx, app.outbox, linkLifetimes(app), { accountId: staff.id, actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip });
      const name = `${staff.first_name} ${staff.last_name}`;
      return { location: `/reseller/${reseller.id}`, flash: link.kind === 'invitation' ? text.users.invitationSentAgain(name, staff.email) : text.users.replacementSent(name, staff.email) };
    });
  });

  app.post<{ Params: IdParams }>('/reseller/:id/arbeiten', operatorOnly, async (request, reply) => {
    const reseller = await resellerOr404(request, reply);
    if (!reseller) return reply;
    request.session.support = { resellerId: reseller.id, resellerName: reseller.name };
    delete request.session.tenant;
    await recordAuditEvent(app.db, { action: 'support.entered', ...actorOf(request), resellerId: reseller.id });
    return redirectWithFlash(reply, '/mandanten', text.resellers.supportEntered(reseller.name));
  });

  app.post('/support-modus/beenden', operatorOnly, async (request, reply) => {
    const support = request.session.support;
    if (support) await recordAuditEvent(app.db, { action: 'support.left', ...actorOf(request), resellerId: support.resellerId });
    delete request.session.support;
    delete request.session.tenant;
    return redirectWithFlash(reply, '/reseller', text.resellers.supportLeft);
  });
}
