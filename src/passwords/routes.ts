import type { FastifyInstance, FastifyReply } from 'fastify';
import { linkLifetimes } from '../auth/routes.ts';
import { text } from '../i18n/de.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { hasErrors, readForm } from '../web/forms.ts';
import { hashPassword } from './hashing.ts';
import { findUsableLink, renewExpiredLink, setPasswordWithLink } from './links.ts';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from './policy.ts';

// GET only shows the form: mail scanners open links, and a GET must not use one up.
// Every dead link (unknown, used, revoked, expired) gets the same calm page.

const linkRateLimit = { rateLimit: { max: 20, timeWindow: '1 minute' } };

interface TokenParams {
  token: string;
}

export async function linkRoutes(app: FastifyInstance): Promise<void> {
  const deadLinkPage = (reply: FastifyReply, token: string) => reply.page('passwords/dead-link.eta', { title: text.link.invalidTitle, token }, 410);

  app.get<{ Params: TokenParams }>('/passwort-link/:token', { config: { public: true, tokenInUrl: true, ...linkRateLimit } }, async (request, reply) => {
    const found = await findUsableLink(app.db, request.params.token, app.clock.now());
    if (!found) return deadLinkPage(reply, request.params.token);
    return reply.page('passwords/set-password.eta', { title: text.link.setTitle, token: request.params.token, login: found.account.login, minLength: PASSWORD_MIN_LENGTH });
  });

  app.post<{ Params: TokenParams }>('/passwort-link/:token', { config: { public: true, tokenInUrl: true, ...linkRateLimit } }, async (request, reply) => {
    const { token } = request.params;
    const found = await findUsableLink(app.db, token, app.clock.now());
    if (!found) return deadLinkPage(reply, token);
    const values = readForm(request.body, ['password', 'passwordRepeat']);
    const errors = validateNewPassword(values.password, values.passwordRepeat, {
      login: found.account.login,
      firstName: found.account.first_name,
      lastName: found.account.last_name,
    });
    if (hasErrors(errors)) {
      // Passwords are never sent back into the page.
      return reply.page('passwords/set-password.eta', { title: text.link.setTitle, token, login: found.account.login, minLength: PASSWORD_MIN_LENGTH, errors }, 422);
    }
    const passwordHash = await hashPassword(values.password);
    const done = await app.db.transaction().execute((trx) =>
      setPasswordWithLink(trx, app.outbox, { token, passwordHash, at: app.clock.now(), ip: request.ip }),
    );
    if (!done) return deadLinkPage(reply, token);
    return redirectWithFlash(reply, '/anmelden', text.link.done(done.login));
  });

  app.post<{ Params: TokenParams }>('/passwort-link/:token/neu', { config: { public: true, tokenInUrl: true, rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (request, reply) => {
    await app.db.transaction().execute((trx) =>
      renewExpiredLink(trx, app.outbox, linkLifetimes(app), { token: request.params.token, at: app.clock.now(), ip: request.ip }),
    );
    return redirectWithFlash(reply, '/anmelden', text.link.requested);
  });
}
