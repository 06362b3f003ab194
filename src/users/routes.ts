import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { linkLifetimes } from '../auth/routes.ts';
import { text } from '../i18n/de.ts';
import { AccountNotLinkableError, issuePasswordLink } from '../passwords/links.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { submitOnce } from '../web/once.ts';
import { type FormErrors, hasErrors, readForm } from '../web/forms.ts';
import { isUuid, type ListQuery, listUrl, queryHoldingRow, readListQuery } from '../web/listing.ts';
import { type RightsSection, rightsSection } from '../applications/sections.ts';
import { denyAccess, requireWorkspace, type SelectedTenant, selectedTenant, workspaceOf } from '../workspace/context.ts';
import { type PersonForm, readPersonForm, validatePerson } from './person.ts';
import { createUser, describeUserStatus, EmailTakenError, findUser, findUserPage, listUsers, setUserStatus, type TenantScope, updateUser } from './users.ts';

interface IdParams {
  id: string;
}

const workspaceRoute = { config: { roles: ['operator', 'reseller'] as const }, preHandler: requireWorkspace };
const userSorts = ['name'] as const;
const actions = ['link', 'bearbeiten', 'deaktivieren', 'aktivieren'] as const;

/** The list with the user's row marked; the list opens at the page that holds it (in the search the person had, if any). */
function userListUrl(user: { id: string }, q = ''): string {
  return `/anwender?${new URLSearchParams({ ...(q ? { q } : {}), markiert: user.id })}`;
}

export async function userRoutes(app: FastifyInstance): Promise<void> {
  const actorOf = (request: FastifyRequest) => ({ actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip, support: workspaceOf(request).support });
  const scopeOf = (request: FastifyRequest, tenant: SelectedTenant): TenantScope => ({ resellerId: workspaceOf(request).resellerId, tenantId: tenant.id });

  async function renderList(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { marked?: string | null; formError?: string; status?: number; query?: ListQuery<(typeof userSorts)[number]> } = {},
  ) {
    const tenant = selectedTenant(request);
    if (!tenant) return reply.page('users/need-tenant.eta', { title: text.users.tab }, extra.status ?? 200);
    const source = extra.status ? (request.body as Record<string, unknown>) : (request.query as Record<string, unknown>);
    const query = extra.query ?? readListQuery(source, userSorts, 'name');
    const { rows, info } = await listUsers(app.db, scopeOf(request, tenant), query);
    const now = app.clock.now();
    return reply.page(
      'users/index.eta',
      {
        title: text.users.title(tenant.name),
        tenant,
        rows: rows.map((row) => ({ ...row, statusText: describeUserStatus(row, now) })),
        info,
        query,
        listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/anwender', query, change),
        markedId: extra.marked ?? null,
        formError: extra.formError,
      },
      extra.status ?? 200,
    );
  }

  const renderForm = (reply: FastifyReply, tenant: SelectedTenant, data: { userId: string | null; login?: string; values: PersonForm; errors: FormErrors; rights?: RightsSection }, status = 200) =>
    reply.page(
      'users/form.eta',
      {
        title: data.userId ? text.users.editTitle(`${data.values.firstName} ${data.values.lastName}`) : text.users.newTitle(tenant.name),
        action: data.userId ? `/anwender/${data.userId}` : '/anwender',
        ...data,
      },
      status,
    );

  /** For the pages that need a selected Mandant: without one, the hint page. */
  function tenantOrHint(request: FastifyRequest, reply: FastifyReply): SelectedTenant | null {
    const tenant = selectedTenant(request);
    if (!tenant) void reply.page('users/need-tenant.eta', { title: text.users.tab });
    return tenant;
  }

  app.get('/anwender', workspaceRoute, async (request, reply) => {
    const params = request.query as Record<string, unknown>;
    const marked = isUuid(params.markiert) ? params.markiert : null;
    const tenant = selectedTenant(request);
    if (!marked || !tenant) return renderList(request, reply, { marked });
    // After an action: the normal list, opened at the page that holds the marked row.
    const query = await queryHoldingRow(readListQuery(params, userSorts, 'name'), params.seite, (q) => findUserPage(app.db, scopeOf(request, tenant), marked, q.q));
    return renderList(request, reply, { marked, query });
  });

  app.post('/anwender/auswahl', workspaceRoute, async (request, reply) => {
    const tenant = tenantOrHint(request, reply);
    if (!tenant) return reply;
    const form = readForm(request.body, ['anwender', 'aktion', 'q']);
    if (!form.anwender) return renderList(request, reply, { formError: text.users.noSelection, status: 422 });
    const scope = scopeOf(request, tenant);
    const user = isUuid(form.anwender) ? await findUser(app.db, scope, form.anwender) : undefined;
    if (!user || !actions.includes(form.aktion as (typeof actions)[number])) return denyAccess(request, reply, 'user', form.anwender);
    const name = `${user.first_name} ${user.last_name}`;
    const back = userListUrl(user, form.q.trim());

    if (form.aktion === 'bearbeiten') return reply.redirect(`/anwender/${user.id}/bearbeiten`, 303);
    if (form.aktion === 'link') {
      try {
        // A double click sends one link, not two.
        return await submitOnce(request, reply, async (trx) => {
          const link = await issuePasswordLink(trx, app.outbox, linkLifetimes(app), { accountId: user.id, actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip });
          // Without a password yet it is the invitation again; with one, a replacement link.
          const flash = link.kind === 'invitation' ? text.users.invitationSentAgain(name, user.email) : text.users.replacementSent(name, user.email);
          return { location: back, flash };
        });
      } catch (error) {
        if (error instanceof AccountNotLinkableError) return renderList(request, reply, { marked: user.id, formError: text.users.linkDisabled, status: 422 });
        throw error;
      }
    }
    const status = form.aktion === 'deaktivieren' ? 'disabled' : 'active';
    const result = await app.db.transaction().execute((trx) => setUserStatus(trx, scope, user.id, status, actorOf(request)));
    if (result === 'unchanged') {
      // The button that does not apply: nothing changed, and the list says which one would.
      const formError = status === 'disabled' ? text.users.alreadyDisabled(name) : text.users.alreadyActive(name);
      return renderList(request, reply, { marked: user.id, formError, status: 409 });
    }
    return redirectWithFlash(reply, back, status === 'disabled' ? text.users.deactivated(name) : text.users.activated(name));
  });

  app.get('/anwender/neu', workspaceRoute, async (request, reply) => {
    const tenant = tenantOrHint(request, reply);
    if (!tenant) return reply;
    return renderForm(reply, tenant, { userId: null, values: { firstName: '', lastName: '', email: '' }, errors: {} });
  });

  app.post('/anwender', workspaceRoute, async (request, reply) => {
    const tenant = tenantOrHint(request, reply);
    if (!tenant) return reply;
    const values = readPersonForm(request.body);
    const errors = validatePerson(values, 'other');
    if (hasErrors(errors)) return renderForm(reply, tenant, { userId: null, values, errors }, 422);
    try {
      return await submitOnce(request, reply, async (trx) => {
        const account = await createUser(trx, app.outbox, linkLifetimes(app), scopeOf(request, tenant), values, actorOf(request));
        return { location: userListUrl(account), flash: text.users.created(account.login, values.email) };
      });
    } catch (error) {
      if (error instanceof EmailTakenError) return renderForm(reply, tenant, { userId: null, values, errors: { email: text.users.emailTaken(error.login) } }, 422);
      throw error;
    }
  });

  app.get<{ Params: IdParams }>('/anwender/:id/bearbeiten', workspaceRoute, async (request, reply) => {
    const tenant = tenantOrHint(request, reply);
    if (!tenant) return reply;
    const user = isUuid(request.params.id) ? await findUser(app.db, scopeOf(request, tenant), request.params.id) : undefined;
    if (!user) return denyAccess(request, reply, 'user', request.params.id);
    return renderForm(reply, tenant, {
      userId: user.id,
      login: user.login,
      values: { firstName: user.first_name, lastName: user.last_name, email: user.email },
      errors: {},
      rights: await rightsSection(app.db, tenant.id, user.id),
    });
  });

  app.post<{ Params: IdParams }>('/anwender/:id', workspaceRoute, async (request, reply) => {
    const tenant = tenantOrHint(request, reply);
    if (!tenant) return reply;
    const scope = scopeOf(request, tenant);
    const user = isUuid(request.params.id) ? await findUser(app.db, scope, request.params.id) : undefined;
    if (!user) return denyAccess(request, reply, 'user', request.params.id);
    const values = readPersonForm(request.body);
    const errors = validatePerson(values, 'other');
    if (hasErrors(errors)) return renderForm(reply, tenant, { userId: user.id, login: user.login, values, errors }, 422);
    try {
      await app.db.transaction().execute((trx) => updateUser(trx, scope, user.id, values, actorOf(request)));
    } catch (error) {
      if (error instanceof EmailTakenError) return renderForm(reply, tenant, { userId: user.id, login: user.login, values, errors: { email: text.users.emailTaken(error.login) } }, 422);
      throw error;
    }
    return redirectWithFlash(reply, userListUrl(user), text.users.updated(`${values.firstName} ${values.lastName}`));
  });
}
