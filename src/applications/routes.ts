import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { text } from '../i18n/de.ts';
import { companyValuesFromRow, countries } from '../tenants/company.ts';
import { findTenant } from '../tenants/tenants.ts';
import { findUser } from '../users/users.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { type FormErrors, hasErrors } from '../web/forms.ts';
import { isUuid } from '../web/listing.ts';
import { denyAccess, requireWorkspace, selectedTenant, workspaceOf } from '../workspace/context.ts';
import {
  ApplicationRefusedError,
  createApplication,
  findApplication,
  listCatalogueWithBookings,
  RightsRefusedError,
  setBookings,
  setUserRights,
  UnknownApplicationError,
  updateApplication,
} from './applications.ts';
import { type ApplicationValues, applicationValuesFromRow, readApplicationForm, validateApplication } from './form.ts';
import { bookingSection, type RightsSection, rightsSection } from './sections.ts';

interface IdParams {
  id: string;
}

const operatorOnly = { config: { roles: ['operator'] as const } };
const workspaceRoute = { config: { roles: ['operator', 'reseller'] as const }, preHandler: requireWorkspace };
const emptyApplication: ApplicationValues = { code: '', name: '', description: '', launchUrl: 'https://', roles: '' };

/** Repeated checkboxes arrive as a string (one) or an array (several); anything else is ignored. */
function readCheckedIds(body: unknown, field: string): string[] {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The posted selects: application id → role code ('' = kein Zugriff). */
function readRightsForm(body: unknown): Record<string, string> {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const posted: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!key.startsWith('recht-')) continue;
    // A repeated or structured field is no choice from the list: '#' is never a role code.
    posted[key.slice('recht-'.length)] = typeof value === 'string' ? value : '#';
  }
  return posted;
}

export async function applicationRoutes(app: FastifyInstance): Promise<void> {
  const actorOf = (request: FastifyRequest) => ({ actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip });
  const workspaceActorOf = (request: FastifyRequest) => ({ ...actorOf(request), support: workspaceOf(request).support });

  const renderForm = (reply: FastifyReply, data: { applicationId: string | null; values: ApplicationValues; errors: FormErrors }, status = 200) =>
    reply.page(
      'applications/form.eta',
      {
        title: data.applicationId ? text.applications.editTitle(data.values.name) : text.applications.newTitle,
        action: data.applicationId ? `/anwendungen/${data.applicationId}` : '/anwendungen',
        ...data,
      },
      status,
    );

  // The catalogue (operator only) ------------------------------------------------------------------

  app.get('/anwendungen', operatorOnly, async (_request, reply) => {
    const rows = await listCatalogueWithBookings(app.db);
    return reply.page('applications/index.eta', { title: text.applications.title, rows });
  });

  app.get('/anwendungen/neu', operatorOnly, async (_request, reply) => renderForm(reply, { applicationId: null, values: emptyApplication, errors: {} }));

  app.post('/anwendungen', operatorOnly, async (request, reply) => {
    const values = readApplicationForm(request.body);
    const errors = validateApplication(values);
    if (hasErrors(errors)) return renderForm(reply, { applicationId: null, values, errors }, 422);
    try {
      await app.db.transaction().execute((trx) => createApplication(trx, values, actorOf(request)));
    } catch (error) {
      if (error instanceof ApplicationRefusedError) return renderForm(reply, { applicationId: null, values, errors: error.errors }, 422);
      throw error;
    }
    return redirectWithFlash(reply, '/anwendungen', text.applications.created(values.name));
  });

  app.get<{ Params: IdParams }>('/anwendungen/:id/bearbeiten', operatorOnly, async (request, reply) => {
    const application = isUuid(request.params.id) ? await findApplication(app.db, request.params.id) : undefined;
    if (!application) return denyAccess(request, reply, 'application', request.params.id);
    return renderForm(reply, { applicationId: application.id, values: applicationValuesFromRow(application), errors: {} });
  });

  app.post<{ Params: IdParams }>('/anwendungen/:id', operatorOnly, async (request, reply) => {
    const { id } = request.params;
    if (!isUuid(id) || !(await findApplication(app.db, id))) return denyAccess(request, reply, 'application', id);
    const values = readApplicationForm(request.body);
    const errors = validateApplication(values);
    if (hasErrors(errors)) return renderForm(reply, { applicationId: id, values, errors }, 422);
    try {
      const found = await app.db.transaction().execute((trx) => updateApplication(trx, id, values, actorOf(request)));
      if (!found) return denyAccess(request, reply, 'application', id);
    } catch (error) {
      if (error instanceof ApplicationRefusedError) return renderForm(reply, { applicationId: id, values, errors: error.errors }, 422);
      throw error;
    }
    return redirectWithFlash(reply, '/anwendungen', text.applications.updated(values.name));
  });

  // Bookings of a Mandant (its reseller, or an operator in support mode) --------------------------

  app.post<{ Params: IdParams }>('/mandanten/:id/anwendungen', workspaceRoute, async (request, reply) => {
    const workspace = workspaceOf(request);
    const { id } = request.params;
    const tenant = isUuid(id) ? await findTenant(app.db, workspace.resellerId, id) : undefined;
    if (!tenant) return denyAccess(request, reply, 'tenant', id);
    const wanted = readCheckedIds(request.body, 'anwendung');
    try {
      const result = await app.db.transaction().execute((trx) => setBookings(trx, workspace.resellerId, tenant.id, wanted, workspaceActorOf(request)));
      if (!result) return denyAccess(request, reply, 'tenant', id);
      return redirectWithFlash(
        reply,
        `/mandanten/${tenant.id}/bearbeiten`,
        text.applications.bookings.saved(tenant.name, result.booked.length, result.cancelled.length, result.removedRights),
      );
    } catch (error) {
      if (!(error instanceof UnknownApplicationError)) throw error;
      // The Mandant's edit page again, with the message at the booking section.
      return reply.page(
        'tenants/form.eta',
        {
          title: text.tenants.editTitle(tenant.name),
          action: `/mandanten/${tenant.id}`,
          countries,
          tenantId: tenant.id,
          values: companyValuesFromRow(tenant),
          errors: {},
          bookings: await bookingSection(app.db, tenant.id, text.applications.bookings.unknown),
        },
        422,
      );
    }
  });

  // Rights of an Anwender of the selected Mandant --------------------------------------------------

  app.post<{ Params: IdParams }>('/anwender/:id/zugriffsrechte', workspaceRoute, async (request, reply) => {
    const tenant = selectedTenant(request);
    if (!tenant) return reply.page('users/need-tenant.eta', { title: text.users.tab });
    const scope = { resellerId: workspaceOf(request).resellerId, tenantId: tenant.id };
    const user = isUuid(request.params.id) ? await findUser(app.db, scope, request.params.id) : undefined;
    if (!user) return denyAccess(request, reply, 'user', request.params.id);
    const posted = readRightsForm(request.body);
    const wanted = Object.fromEntries(Object.entries(posted).map(([applicationId, role]) => [applicationId, role === '' ? null : role]));
    const name = `${user.first_name} ${user.last_name}`;
    try {
      const changes = await app.db.transaction().execute((trx) => setUserRights(trx, user.id, wanted, workspaceActorOf(request)));
      const message = Object.keys(changes).length ? text.applications.rights.saved(name) : text.applications.rights.unchanged(name);
      return redirectWithFlash(reply, `/anwender/${user.id}/bearbeiten`, message);
    } catch (error) {
      if (!(error instanceof RightsRefusedError)) throw error;
      const rights: RightsSection = await rightsSection(app.db, tenant.id, user.id, { posted, problems: error.problems });
      return reply.page(
        'users/form.eta',
        {
          title: text.users.editTitle(name),
          action: `/anwender/${user.id}`,
          userId: user.id,
          login: user.login,
          values: { firstName: user.first_name, lastName: user.last_name, email: user.email },
          errors: {},
          rights,
        },
        422,
      );
    }
  });
}
