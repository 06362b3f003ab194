import type { FastifyInstance } from 'fastify';
import { text } from '../i18n/de.ts';
import { changeOwnPassword, findPasswordHash } from '../passwords/change.ts';
import { hashPassword, verifyPassword } from '../passwords/hashing.ts';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from '../passwords/policy.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { hasErrors, readForm, type FormErrors } from '../web/forms.ts';

export async function accountRoutes(app: FastifyInstance): Promise<void> {
  const accountPage = { title: text.account.title, minLength: PASSWORD_MIN_LENGTH };

  app.get('/konto', async (_request, reply) => reply.page('account/show.eta', accountPage));

  app.post('/konto/passwort', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const me = request.session.account!;
    const form = readForm(request.body, ['currentPassword', 'password', 'passwordRepeat']);
    const errors: FormErrors = {};
    const currentHash = await findPasswordHash(app.db, me.id);
    if (!form.currentPassword || !currentHash || !(await verifyPassword(currentHash, form.currentPassword))) {
      errors.currentPassword = form.currentPassword ? text.password.currentWrong : text.login.missingPassword;
    }
    Object.assign(errors, validateNewPassword(form.password, form.passwordRepeat, { login: me.login, firstName: me.firstName, lastName: me.lastName }));
    if (hasErrors(errors)) return reply.page('account/show.eta', { ...accountPage, errors }, 422);
    const passwordHash = await hashPassword(form.password);
    await app.db.transaction().execute((trx) =>
      changeOwnPassword(trx, app.outbox, { accountId: me.id, passwordHash, currentSessionId: request.session.sessionId, at: app.clock.now(), ip: request.ip }),
    );
    return redirectWithFlash(reply, '/konto', text.account.passwordChanged);
  });

  app.get('/meine-anwendungen', { config: { roles: ['user'] } }, async (_request, reply) =>
    reply.page('account/applications.eta', { title: text.myApplications.title, applications: [] }),
  );
}
