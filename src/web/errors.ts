import type { FastifyError, FastifyInstance } from 'fastify';
import { text } from '../i18n/de.ts';
import { isDatabaseUnavailable, type DatabaseHealth } from '../ops/database-health.ts';

/** Seconds a client is asked to wait while the database is away (Retry-After of the 503). */
export const DATABASE_RETRY_AFTER_SECONDS = 10;

/** German pages for every failure; a 500 shows a reference number, never internals. */
export function registerErrorPages(app: FastifyInstance, health?: DatabaseHealth): void {
  app.setNotFoundHandler(async (_request, reply) => reply.page('pages/error.eta', { title: text.pages.notFoundTitle, message: text.pages.notFoundText }, 404));

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      // No stack trace per request: the outage's start and end are logged once each (app.ts).
      health?.noteFailure(error);
      health?.noteRefused();
      request.log.debug({ reason: error.message }, 'Datenbank nicht erreichbar: 503');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      const page = { title: text.pages.unavailableTitle, message: text.pages.unavailableText };
      try {
        return await reply.page('pages/error.eta', { ...page, reference: null }, 503);
      } catch {
        return reply.code(503).type('text/plain; charset=utf-8').send(`${page.title}\n\n${page.message}`);
      }
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const page = describeError(error, status);
    if (status >= 500) {
      request.log.error({ err: error }, 'Unerwarteter Fehler');
    } else {
      request.log.info({ code: error.code, status }, 'Anfrage abgelehnt');
    }
    if (status === 429 && (error as { retryAfter?: unknown }).retryAfter) reply.header('retry-after', String((error as { retryAfter?: unknown }).retryAfter));
    try {
      return await reply.page('pages/error.eta', { ...page, reference: status >= 500 ? request.id : null }, status);
    } catch (renderError) {
      request.log.error({ err: renderError }, 'Fehlerseite konnte nicht dargestellt werden');
      return reply.code(status).type('text/plain; charset=utf-8').send(`${page.title}\n\n${page.message}`);
    }
  });
}

function describeError(error: FastifyError, status: number): { title: string; message: string } {
  const p = text.pages;
  if (error.code?.startsWith('FST_CSRF')) return { title: p.csrfTitle, message: p.csrfText };
  if (status === 429) return { title: p.tooManyTitle, message: p.tooManyText };
  if (status === 413) return { title: p.tooLargeTitle, message: p.tooLargeText };
  if (status === 404) return { title: p.notFoundTitle, message: p.notFoundText };
  if (status === 403) return { title: p.forbiddenTitle, message: p.forbiddenText };
  if (status < 500) return { title: p.badRequestTitle, message: p.badRequestText };
  return { title: p.errorTitle, message: p.errorText };
}
