import type { FastifyInstance, FastifyReply } from 'fastify';
import { listMyApplications } from '../applications/applications.ts';
import { text } from '../i18n/de.ts';
import { changeOwnPassword, findPasswordHash } from '../passwords/change.ts';
import { hashPassword, verifyPassword } from '../passwords/hashing.ts';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from '../passwords/policy.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { hasErrors, readForm, type FormErrors } from '../web/forms.ts';

export async function accountRoutes(app: FastifyInstance): Promise<void> {
  const accountPage = { title: text.account.title, minLength: PASSWORD_MIN_LENGTH };
  // The password form is on both pages; `zurueck` says which one sent it (and gets it back).
  const returnPages = ['/konto', '/meine-anwendungen'] as const;

  const renderMyApplications = async (reply: FastifyReply, accountId: string, errors: FormErrors = {}, status = 200) =>
    reply.page(
      'account/applications.eta',
      { title: text.myApplications.title, applications: await listMyApplications(app.db, accountId), minLength: PASSWORD_MIN_LENGTH, errors },
      status,
    );

  app.get('/konto', async (_request, reply) => reply.page('account/show.eta', accountPage));

  app.post('/konto/passwort', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const me = request.session.account!;
    const form = readForm(request.body, ['currentPassword', 'password', 'passwordRepeat', 'zurueck']);
    const back = returnPages.find((page) => page === form.zurueck && (page !== '/meine-anwendungen' || me.role === 'user')) ?? '/konto';
    const errors: FormErrors = {};
    const currentHash = await findPasswordHash(app.db, me.id);
    if (!form.currentPassword || !currentHash || !(await verifyPassword(currentHash, form.currentPassword))) {
      errors.currentPassword = form.currentPassword ? text.password.currentWrong : text.login.missingPassword;
    }
    Object.assign(errors, validateNewPassword(form.password, form.passwordRepeat, { login: me.login, firstName: me.firstName, lastName: me.lastName }));
    if (hasErrors(errors)) {
      return back === '/meine-anwendungen' ? renderMyApplications(reply, me.id, errors, 422) : reply.page('account/show.eta', { ...accountPage, errors }, 422);
    }
    const passwordHash = await hashPassword(form.password);
    await app.db.transaction().execute((trx) =>
      changeOwnPassword(trx, app.outbox, { accountId: me.id, passwordHash, currentSessionId: request.session.sessionId, at: app.clock.now(), ip: request.ip }),
    );
    // A new session id with the new password: whoever learned the old id (it is what the other
    // sessions just ended for) cannot ride on. The workspace choices come along.
    await request.session.regenerate(['account', 'support', 'tenant']);
    return redirectWithFlash(reply, back, text.account.passwordChanged);
  });

  app.get('/meine-anwendungen', { config: { roles: ['user'] } }, async (request, reply) => renderMyApplications(reply, request.session.account!.id));
}
