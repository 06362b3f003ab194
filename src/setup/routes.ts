import type { FastifyInstance } from 'fastify';
import { text } from '../i18n/de.ts';
import { hashPassword } from '../passwords/hashing.ts';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from '../passwords/policy.ts';
import { loginBaseFor } from '../users/login-name.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { readPersonForm, validatePerson } from '../users/person.ts';
import { hasErrors, readForm } from '../web/forms.ts';
import { completeSetup, isSetupTokenUsable } from './setup.ts';

interface TokenParams {
  token: string;
}

const routeConfig = { config: { public: true, tokenInUrl: true, rateLimit: { max: 20, timeWindow: '1 minute' } } };

export async function setupRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: TokenParams }>('/einrichtung/:token', routeConfig, async (request, reply) => {
    if (!(await isSetupTokenUsable(app.db, request.params.token, app.clock.now()))) {
      return reply.page('setup/invalid.eta', { title: text.setup.invalidTitle }, 410);
    }
    return reply.page('setup/form.eta', { title: text.setup.title, token: request.params.token, minLength: PASSWORD_MIN_LENGTH });
  });

  app.post<{ Params: TokenParams }>('/einrichtung/:token', routeConfig, async (request, reply) => {
    const { token } = request.params;
    if (!(await isSetupTokenUsable(app.db, token, app.clock.now()))) {
      return reply.page('setup/invalid.eta', { title: text.setup.invalidTitle }, 410);
    }
    const form = readForm(request.body, ['password', 'passwordRepeat']);
    const values = readPersonForm(request.body);
    const errors = validatePerson(values, 'own');
    Object.assign(errors, validateNewPassword(form.password, form.passwordRepeat, { login: loginBaseFor(values.firstName, values.lastName), firstName: values.firstName, lastName: values.lastName }));
    if (hasErrors(errors)) {
      return reply.page('setup/form.eta', { title: text.setup.title, token, minLength: PASSWORD_MIN_LENGTH, values, errors }, 422);
    }
    const passwordHash = await hashPassword(form.password);
    const account = await app.db.transaction().execute((trx) => completeSetup(trx, token, { ...values, passwordHash }, app.clock.now(), request.ip));
    if (!account) return reply.page('setup/invalid.eta', { title: text.setup.invalidTitle }, 410);
    return redirectWithFlash(reply, '/anmelden', text.setup.done(account.login));
  });
}
