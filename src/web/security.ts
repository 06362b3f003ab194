import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseSessionStore } from '../auth/session-store.ts';
import { text } from '../i18n/de.ts';
import type { RateLimitStoreClass } from '../ops/rate-limit-store.ts';
import { setFlash } from './flash.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export class ForeignOriginError extends Error {
  readonly statusCode = 403;
  readonly code = 'FST_CSRF_FOREIGN_ORIGIN';
}

export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sid' : 'sid';
}

/** Headers, cookies, sessions, CSRF, rate limits and the login guard: everything every route gets. */
export async function registerSecurity(app: FastifyInstance, rateLimitStore?: RateLimitStoreClass): Promise<void> {
  const { config } = app;
  const secure = config.secureCookies;

  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Never a referrer to other sites. Same-origin referrers stay, because with "no-referrer"
    // browsers send "Origin: null" on form posts and the origin check below loses its signal.
    // Pages with a token in their URL tighten this to no-referrer (config.tokenInUrl).
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });

  await app.register(fastifyCookie, { secret: config.sessionSecret });

  await app.register(fastifySession, {
    secret: config.sessionSecret,
    cookieName: sessionCookieName(secure),
    store: new DatabaseSessionStore(app.db, app.clock),
    saveUninitialized: false,
    // Saved only when changed; idle and absolute timeouts are enforced by the store.
    rolling: false,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure },
  });

  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: secure ? '__Host-csrf' : 'csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true },
    // The token is bound to the session it was shown in (issue 12, finding 11): a victim's session
    // with an attacker's own CSRF cookie and token is refused. Visitors without a session get
    // tokens bound to nothing, which only the public forms (login, links) accept.
    csrfOpts: { hmacKey: createHmac('sha256', config.sessionSecret).update('csrf-token-binding').digest() },
    getUserInfo: csrfUserInfo,
    getToken: (request) => {
      const field = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof field === 'string') return field;
      // A multipart form (the import upload) delivers each field as { value }.
      const value = (field as { value?: unknown } | undefined)?.value;
      return typeof value === 'string' ? value : undefined;
    },
  });

  await app.register(fastifyRateLimit, {
    global: false,
    // Counters in PostgreSQL, shared by every instance (ops/rate-limit-store.ts). A database
    // that does not answer fails the request with the outage's 503 rather than letting it pass.
    ...(rateLimitStore ? { store: rateLimitStore as never } : {}),
    // Retry-After takes whole seconds (RFC 9110); context.after is prose ("1 minute").
    errorResponseBuilder: (_request, context) => Object.assign(new Error(text.pages.tooManyText), { statusCode: 429, retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)) }),
  });

  app.addHook('preHandler', async (request, reply) => {
    if (safeMethods.has(request.method)) return;
    checkOrigin(request, config.baseUrl.origin);
    await new Promise<void>((resolve, reject) => {
      app.csrfProtection(request, reply, (error?: Error) => (error ? reject(error) : resolve()));
    });
  });

  // Before the body is read: a visitor without a session gets the login page, and a multipart
  // upload (POST /import) is not even parsed for them (finding 9).
  app.addHook('preParsing', async (request, reply, payload) => {
    await requireSession(request, reply, secure);
    return payload;
  });
  app.addHook('preHandler', async (request, reply) => requireRole(request, reply));

  // Pages behind a login (and the link pages) must not come back from a cache after logout.
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/static/')) reply.header('cache-control', 'no-store');
    if (request.routeOptions.config?.tokenInUrl) reply.header('referrer-policy', 'no-referrer');
  });
}

function checkOrigin(request: FastifyRequest, ownOrigin: string): void {
  const origin = request.headers.origin;
  // "null" is what a browser sends from a no-referrer page (our link pages): no signal either
  // way, so it counts as absent and the CSRF token decides, as it does for old browsers.
  if (origin !== undefined && origin !== 'null' && origin !== ownOrigin) throw new ForeignOriginError('Fremde Herkunft');
  if (request.headers['sec-fetch-site'] === 'cross-site') throw new ForeignOriginError('Fremde Herkunft');
}

/** What a CSRF token is bound to: the session id once signed in, "no session" before (the library refuses an empty value). */
export function csrfUserInfo(request: FastifyRequest): string {
  return request.session?.account ? `session:${request.session.sessionId}` : 'no-session';
}

function needsLogin(request: FastifyRequest): boolean {
  return !(request.is404 || request.routeOptions.config.public || request.url.startsWith('/static/'));
}

async function requireSession(request: FastifyRequest, reply: FastifyReply, secure: boolean): Promise<void> {
  if (!needsLogin(request) || request.session.account) return;
  const hadSession = Boolean(request.cookies[sessionCookieName(secure)]);
  setFlash(reply, hadSession ? text.session.expired : text.session.required);
  const next = request.method === 'GET' ? `?weiter=${encodeURIComponent(request.url)}` : '';
  await reply.redirect(`/anmelden${next}`, 303);
}

async function requireRole(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!needsLogin(request)) return;
  const roles = request.routeOptions.config.roles;
  if (roles && !roles.includes(request.session.account!.role)) {
    await reply.page('pages/forbidden.eta', {}, 403);
  }
}

// The first path segments a login may lead back to: the pages requireLogin sends people away
// from. Anything else (the login itself, a link page, a setup link) leads to the start page.
const nextPathPrefixes = new Set([
  'anwender', 'anwendungen', 'hilfe', 'impressum', 'import', 'konto', 'mandanten', 'meine-anwendungen', 'protokoll', 'reseller',
]);
// Printable ASCII without space, quote, backslash, angle brackets, backtick and braces: what a
// URL of ours looks like once the browser has encoded it. Control characters (tab, CR, LF),
// U+3000 and friends never reach the Location header this way.
const pathCharacters = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;

/**
 * Only a path the app itself serves is followed after login, re-serialised from its parsed
 * parts; everything else (another host, "/\t/evil.example/", a header-breaking character) is
 * null, and the caller goes to the start page.
 */
export function safeNextPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 500 || !pathCharacters.test(value)) return null;
  let parsed: URL;
  try {
    parsed = new URL(value, 'http://portal.invalid');
  } catch {
    return null;
  }
  if (parsed.origin !== 'http://portal.invalid' || parsed.pathname.startsWith('//')) return null;
  const segments = parsed.pathname.split('/');
  if (!nextPathPrefixes.has(segments[1] ?? '') || segments.some((s) => s === '..' || s === '.' || /%2e|%2f|%5c/i.test(s))) return null;
  return `${parsed.pathname}${parsed.search}`;
}
