import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { linkLifetimes } from '../auth/routes.ts';
import { deadLinkKey, deadLinkPolicy, findBlockedUntil, recordLoginFailure } from '../auth/throttle.ts';
import { hashToken, isTokenShaped } from '../tokens.ts';
import { text } from '../i18n/de.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { hasErrors, readForm } from '../web/forms.ts';
import { hashPassword } from './hashing.ts';
import { findUsableLink, renewExpiredLink, setPasswordWithLink } from './links.ts';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from './policy.ts';

// GET only shows the form: mail scanners open links, and a GET must not use one up.
// Every dead link (unknown, used, revoked, expired) gets the same calm page.
//
// Limits (issue 10: an office opens its people's links from one address): per token, so one
// link cannot be hammered; per address only for dead or unknown tokens (deadLinkPolicy in
// auth/throttle.ts, kept in the database like the login throttle), so a scanner is stopped
// while a thousand valid links from one office all work. A blocked address is refused on every
// link page, valid or not: otherwise the block would still answer "valid" or "dead".

interface TokenParams {
  token: string;
}

/** Per token, not per address; the key is the token's hash, so no token sits in memory. */
function perToken(max: number) {
  return { rateLimit: { max, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `link:${hashToken((request.params as TokenParams).token ?? '')}` } };
}

export async function linkRoutes(app: FastifyInstance): Promise<void> {
  const deadLinkPage = async (request: FastifyRequest, reply: FastifyReply, token: string) => {
    await recordLoginFailure(app.db, deadLinkKey(request.ip), deadLinkPolicy, app.clock.now());
    // The form's action is built from a token of the right shape only, never from the raw path
    // ("..%2F..%2Fabmelden%3F" would otherwise post somewhere else with a valid CSRF token).
    return reply.page('passwords/dead-link.eta', { title: text.link.invalidTitle, token: isTokenShaped(token) ? token : null }, 410);
  };
  // The same German "Zu viele Anfragen" page as the rate limit, with Retry-After.
  const refuseBlockedAddress = async (request: FastifyRequest) => {
    const now = app.clock.now();
    const until = await findBlockedUntil(app.db, [deadLinkKey(request.ip)], now);
    if (until) throw Object.assign(new Error(text.pages.tooManyText), { statusCode: 429, retryAfter: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)) });
  };

  app.get<{ Params: TokenParams }>('/passwort-link/:token', { config: { public: true, tokenInUrl: true, ...perToken(20) } }, async (request, reply) => {
    await refuseBlockedAddress(request);
    const found = await findUsableLink(app.db, request.params.token, app.clock.now());
    if (!found) return deadLinkPage(request, reply, request.params.token);
    return reply.page('passwords/set-password.eta', { title: text.link.setTitle, token: request.params.token, login: found.account.login, minLength: PASSWORD_MIN_LENGTH });
  });

  app.post<{ Params: TokenParams }>('/passwort-link/:token', { config: { public: true, tokenInUrl: true, ...perToken(10) } }, async (request, reply) => {
    const { token } = request.params;
    await refuseBlockedAddress(request);
    const found = await findUsableLink(app.db, token, app.clock.now());
    if (!found) return deadLinkPage(request, reply, token);
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
    if (!done) return deadLinkPage(request, reply, token);
    return redirectWithFlash(reply, '/anmelden', text.link.done(done.login));
  });

  // Asking for a new link is what the dead-link page offers, so it is not counted again; a mail
  // goes out at most once per recent link anyway (issueSelfServiceLink).
  app.post<{ Params: TokenParams }>('/passwort-link/:token/neu', { config: { public: true, tokenInUrl: true, ...perToken(5) } }, async (request, reply) => {
    await refuseBlockedAddress(request);
    await app.db.transaction().execute((trx) =>
      renewExpiredLink(trx, app.outbox, linkLifetimes(app), { token: request.params.token, at: app.clock.now(), ip: request.ip }),
    );
    return redirectWithFlash(reply, '/anmelden', text.link.requested);
  });
}
