import type { FastifyInstance } from 'fastify';
import { recordAuditEvent } from '../audit/audit.ts';
import { text } from '../i18n/de.ts';
import { queueForgotRequest } from '../passwords/forgot.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { checkText, hasErrors, readForm, type FormErrors } from '../web/forms.ts';
import { safeNextPath } from '../web/security.ts';
import { authenticate, startPathFor } from './login.ts';

export async function authRoutes(app: FastifyInstance): Promise<void> {
  // Only a ceiling: failures are limited per address and per account in throttle.ts, and an
  // office's successful logins from one address must not be (issue 16).
  const loginRateLimit = { rateLimit: { max: app.config.loginCeilingPerMinute, timeWindow: '1 minute' } };

  app.get('/', { config: { public: true } }, async (request, reply) => {
    const account = request.session.account;
    return reply.redirect(account ? startPathFor(account.role) : '/anmelden', 303);
  });

  app.get('/anmelden', { config: { public: true } }, async (request, reply) => {
    if (request.session.account) return reply.redirect(startPathFor(request.session.account.role), 303);
    const next = safeNextPath((request.query as Record<string, unknown>).weiter);
    return reply.page('auth/login.eta', { title: text.login.title, next });
  });

  app.post('/anmelden', { config: { public: true, ...loginRateLimit } }, async (request, reply) => {
    const values = readForm(request.body, ['login', 'password', 'weiter']);
    const next = safeNextPath(values.weiter);
    const errors: FormErrors = {};
    const loginError = checkText(values.login.trim(), { label: text.labels.login, max: 100, required: true });
    if (loginError) errors.login = values.login.trim() ? loginError : text.login.missingLogin;
    if (!values.password) errors.password = text.login.missingPassword;
    else if (values.password.length > 1024) errors.password = text.field.tooLong(1024);
    const shown = { login: values.login.trim() };
    if (hasErrors(errors)) return reply.page('auth/login.eta', { title: text.login.title, values: shown, errors, next }, 422);

    // On an https instance the session cookie is Secure: over a connection that is not https
    // (a proxy without X-Forwarded-Proto, TRUST_PROXY missing) no cookie would be set and the
    // login would silently start again. Say so on the page and in the log instead.
    if (app.secureCookies && request.protocol !== 'https') {
      request.log.warn({ protocol: request.protocol }, text.startup.insecureLogin);
      return reply.page('auth/login.eta', { title: text.login.title, values: shown, formError: text.login.insecureConnection, next }, 400);
    }
    const result = await authenticate(app.db, app.clock, { login: values.login, password: values.password, ip: request.ip });
    app.metrics.logins.inc({ result: result.kind });
    if (result.kind === 'throttled') {
      const minutes = Math.max(1, Math.ceil((result.until.getTime() - app.clock.now().getTime()) / 60_000));
      reply.header('retry-after', String(minutes * 60));
      return reply.page('auth/login.eta', { title: text.login.title, values: shown, formError: text.login.throttled(minutes), next }, 429);
    }
    if (result.kind === 'failed') {
      return reply.page('auth/login.eta', { title: text.login.title, values: shown, formError: text.login.failed, next }, 401);
    }
    // A fresh session id at login; regenerate() also deletes the old row from the store.
    await request.session.regenerate();
    request.session.account = result.account;
    return reply.redirect(next ?? startPathFor(result.account.role), 303);
  });

  app.post('/abmelden', async (request, reply) => {
    const account = request.session.account;
    if (account) {
      await recordAuditEvent(app.db, {
        action: 'logout',
        at: app.clock.now(),
        actorId: account.id,
        subjectId: account.id,
        resellerId: account.resellerId,
        tenantId: account.tenantId,
        ip: request.ip,
      });
    }
    await request.session.destroy();
    return redirectWithFlash(reply, '/anmelden', text.logout.done);
  });

  app.get('/passwort-vergessen', { config: { public: true } }, async (_request, reply) =>
    reply.page('auth/forgot.eta', { title: text.forgot.title }),
  );

  app.post('/passwort-vergessen', { config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (request, reply) => {
    const values = readForm(request.body, ['identifier']);
    const identifier = values.identifier.trim();
    const error = identifier ? checkText(identifier, { label: text.forgot.field, max: 254 }) : text.forgot.missing;
    if (error) return reply.page('auth/forgot.eta', { title: text.forgot.title, values: { identifier }, errors: { identifier: error } }, 422);
    // The same single job for a known account and for anything else: no timing tells them apart.
    await queueForgotRequest(await app.queueReady, { identifier, at: app.clock.now(), ip: request.ip });
    return redirectWithFlash(reply, '/anmelden', text.forgot.done);
  });
}

export function linkLifetimes(app: FastifyInstance) {
  return { invitationHours: app.config.invitationLinkHours, resetHours: app.config.resetLinkHours };
}
