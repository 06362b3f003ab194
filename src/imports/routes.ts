import fastifyMultipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { linkLifetimes } from '../auth/routes.ts';
import { listCatalogue } from '../applications/applications.ts';
import { recordAuditEvent } from '../audit/audit.ts';
import { HOUR } from '../clock.ts';
import type { Tx } from '../db/database.ts';
import { formatDateTime, formatDuration, text } from '../i18n/de.ts';
import { estimateSecondsLeft, summariseLinkProgress } from '../mail/progress.ts';
import { issueLinksInBulk } from '../passwords/bulk-links.ts';
import { redirectWithFlash } from '../web/flash.ts';
import { readForm } from '../web/forms.ts';
import { isUuid, PAGE_SIZE, pageInfo, readListQuery } from '../web/listing.ts';
import { denyAccess, requireWorkspace, workspaceOf } from '../workspace/context.ts';
import { applyImportPlan } from './apply.ts';
import { buildImportPlan, hasBlockingIssues, type ImportOptions } from './plan.ts';
import type { Catalogue } from './rows.ts';
import { createImportRun, discardImportRun, IMPORT_PREVIEW_HOURS, findAccountsNeedingLinks, findAccountsWithFailedLinks, findImportRun, listImportRuns, lockImportRun, markImported, measureLinkProgress, readImportResult, readImportRows, saveImportOptions } from './runs.ts';
import { buildTemplateCsv, buildTemplateXlsx, MAX_FILE_BYTES, readSpreadsheet, SpreadsheetError, toCsv } from './spreadsheet.ts';
import { buildResultXlsx } from './result-xlsx.ts';

interface IdParams {
  id: string;
}

const workspaceRoute = { config: { roles: ['operator', 'reseller'] as const }, preHandler: requireWorkspace };
const SHOWN_ISSUES = 200;
const SHOWN_LOGINS = 100;

class ImportChangedError extends Error {}

// What the multipart parser (busboy) throws for a body it cannot read.
const unreadableMultipart = /boundary|unexpected end of multipart data|terminated early|unsupported content-type/i;

async function loadCatalogue(app: FastifyInstance): Promise<Catalogue & { list: Awaited<ReturnType<typeof listCatalogue>> }> {
  const list = await listCatalogue(app.db);
  return { list, byCode: new Map(list.map((a) => [a.code.toLowerCase(), { id: a.id, code: a.code.toLowerCase(), name: a.name, roles: a.roles }])) };
}

function attachment(reply: FastifyReply, fileName: string, type: string, body: Buffer) {
  return reply.header('content-type', type).header('content-disposition', `attachment; filename="${fileName}"`).send(body);
}

export async function importRoutes(app: FastifyInstance): Promise<void> {
  // The file arrives with the form's other fields; the size limit truncates instead of throwing
  // so the page can say at the field what is wrong.
  await app.register(fastifyMultipart, { attachFieldsToBody: true, throwFileSizeLimit: false, limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 5, parts: 6 } });

  // A multipart body the parser cannot read (no boundary, cut off) is the sender's fault: a
  // German 400 page from the app's error handler, without a stack trace (issue 12, finding 9).
  app.setErrorHandler(async (error: FastifyError, request) => {
    if (error.statusCode === undefined && request.isMultipart() && unreadableMultipart.test(error.message)) throw Object.assign(error, { statusCode: 400 });
    throw error;
  });

  const actorOf = (request: FastifyRequest) => ({ actorId: request.session.account!.id, at: app.clock.now(), ip: request.ip, support: workspaceOf(request).support });

  async function renderIndex(request: FastifyRequest, reply: FastifyReply, fileError?: string, status = 200) {
    const runs = await listImportRuns(app.db, workspaceOf(request).resellerId);
    return reply.page(
      'imports/index.eta',
      { title: text.imports.title, runs: runs.map((r) => ({ ...r, when: formatDateTime(r.created_at) })), errors: fileError ? { datei: fileError } : {} },
      status,
    );
  }

  async function runOr404(request: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) {
    const run = isUuid(request.params.id) ? await findImportRun(app.db, workspaceOf(request).resellerId, request.params.id) : undefined;
    if (!run) await denyAccess(request, reply, 'import', request.params.id);
    return run;
  }

  app.get('/import', workspaceRoute, async (request, reply) => renderIndex(request, reply));

  app.get('/import/vorlage.xlsx', workspaceRoute, async (_request, reply) => {
    const catalogue = await listCatalogue(app.db);
    return attachment(reply, 'agileas-import-vorlage.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', await buildTemplateXlsx(catalogue.map((a) => ({ code: a.code, name: a.name, description: a.description, roles: a.roles }))));
  });

  app.get('/import/vorlage.csv', workspaceRoute, async (_request, reply) => attachment(reply, 'agileas-import-vorlage.csv', 'text/csv; charset=utf-8', buildTemplateCsv()));

  app.post('/import', { ...workspaceRoute, config: { ...workspaceRoute.config, rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (request, reply) => {
    const file = (request.body as Record<string, unknown> | undefined)?.datei as MultipartFile | undefined;
    if (!file || file.type !== 'file' || !file.filename) return renderIndex(request, reply, text.imports.noFile, 422);
    const buffer = await file.toBuffer();
    if (file.file.truncated) return renderIndex(request, reply, text.imports.fileTooLarge, 413);
    let sheet;
    try {
      sheet = await readSpreadsheet(buffer, file.filename);
    } catch (error) {
      if (error instanceof SpreadsheetError) {
        // What a library threw stays in the log (no cell content in it: the message of a parser).
        if (error.cause) request.log.warn({ code: error.code, cause: String((error.cause as Error)?.message ?? error.cause).slice(0, 300) }, 'spreadsheet refused');
        return renderIndex(request, reply, error.message, 422);
      }
      throw error;
    }
    const workspace = workspaceOf(request);
    const runId = await createImportRun(app.db, { resellerId: workspace.resellerId, createdBy: request.session.account!.id, fileName: file.filename.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 200), rows: sheet.rows, at: app.clock.now(), ip: request.ip });
    return reply.redirect(`/import/${runId}`, 303);
  });

  app.get<{ Params: IdParams }>('/import/:id', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    if (run.state === 'imported') {
      // 50 Anwender a page, like every list: 20,000 rows on one page are megabytes of HTML.
      const query = readListQuery(request.query, ['zeile'] as const, 'zeile');
      const info = pageInfo(query.page, run.result_count, false);
      const users = await readImportResult(app.db, run.id, { offset: (info.page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
      return reply.page('imports/result.eta', {
        title: text.imports.resultTitle(run.file_name),
        run,
        users,
        info,
        listUrl: (change: { seite?: number }) => (change.seite && change.seite > 1 ? `/import/${run.id}?seite=${change.seite}` : `/import/${run.id}`),
        progress: await measureLinkProgress(app.db, run.id),
      });
    }
    if (run.state === 'discarded') return redirectWithFlash(reply, '/import', text.imports.discarded);
    if (run.state === 'expired') return redirectWithFlash(reply, '/import', text.imports.expired(IMPORT_PREVIEW_HOURS));
    const catalogue = await loadCatalogue(app);
    const plan = await buildImportPlan(app.db, workspaceOf(request).resellerId, readImportRows(app.db, run.id, run.row_count), run.options, catalogue);
    // Rows with errors are not imported, so they get no login; the page says how many wait for a fix.
    const withLogin = plan.users.filter((u) => u.action === 'create' && u.login);
    return reply.page('imports/preview.eta', {
      title: text.imports.previewTitle(run.file_name),
      run,
      keptUntil: new Date(run.created_at.getTime() + IMPORT_PREVIEW_HOURS * HOUR),
      plan,
      issues: plan.issues.slice(0, SHOWN_ISSUES),
      newUsers: withLogin.slice(0, SHOWN_LOGINS),
      newUsersWithLogin: withLogin.length,
      newUsersWithoutLogin: plan.counts.newUsers - withLogin.length,
      warnings: plan.issues.filter((i) => i.severity === 'warning').length,
      shownIssues: SHOWN_ISSUES,
      shownLogins: SHOWN_LOGINS,
      blocked: hasBlockingIssues(plan),
      catalogue: catalogue.list,
    });
  });

  app.get<{ Params: IdParams }>('/import/:id/fehler.csv', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    const plan = await buildImportPlan(app.db, workspaceOf(request).resellerId, readImportRows(app.db, run.id, run.row_count), run.options, await loadCatalogue(app));
    const rows = plan.issues.map((i) => [i.line === null ? '' : String(i.line), i.column ?? '', text.imports.severity[i.severity] ?? i.severity, i.message]);
    return attachment(reply, 'import-fehler.csv', 'text/csv; charset=utf-8', toCsv([text.imports.errorCsvHeader, ...rows]));
  });

  app.post<{ Params: IdParams }>('/import/:id/optionen', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const codes = ([] as unknown[]).concat(body.buchen ?? []).filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase()).slice(0, 100);
    const form = readForm(request.body, ['recht']);
    const options: ImportOptions = { bookForAll: [...new Set(codes)], defaultRight: form.recht ? form.recht.toLowerCase().slice(0, 100) : null };
    await saveImportOptions(app.db, workspaceOf(request).resellerId, run.id, options);
    return reply.redirect(`/import/${run.id}`, 303);
  });

  app.post<{ Params: IdParams }>('/import/:id/verwerfen', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    const { actorId, at, ip } = actorOf(request);
    await discardImportRun(app.db, workspaceOf(request).resellerId, run.id, { actorId, at, ip });
    return redirectWithFlash(reply, '/import', text.imports.discarded);
  });

  app.post<{ Params: IdParams }>('/import/:id/ausfuehren', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    if (run.state !== 'preview') return redirectWithFlash(reply, `/import/${run.id}`, text.imports.notPreview);
    const resellerId = workspaceOf(request).resellerId;
    const catalogue = await loadCatalogue(app);
    const actor = actorOf(request);
    try {
      const counts = await app.db.transaction().execute(async (trx) => {
        const locked = await lockImportRun(trx, resellerId, run.id);
        if (locked?.state !== 'preview') return null;
        // The plan again, inside the transaction: what is written is what the data says now.
        const plan = await buildImportPlan(trx, resellerId, readImportRows(trx, run.id, run.row_count), run.options, catalogue);
        if (hasBlockingIssues(plan)) throw new ImportChangedError();
        const created = await applyImportPlan(trx, resellerId, run.id, plan, actor);
        await markImported(trx, run.id, plan.counts, created, actor.at);
        return plan.counts;
      });
      if (!counts) return redirectWithFlash(reply, `/import/${run.id}`, text.imports.notPreview);
      return redirectWithFlash(reply, `/import/${run.id}`, text.imports.committed(counts.newTenants, counts.newUsers));
    } catch (error) {
      if (error instanceof ImportChangedError) return redirectWithFlash(reply, `/import/${run.id}`, text.imports.commitRefused);
      // Someone created the same Mandant or login between plan and insert: nothing was written.
      if ((error as { code?: string }).code === '23505') return redirectWithFlash(reply, `/import/${run.id}`, text.imports.commitFailed);
      throw error;
    }
  });

  async function sendLinks(request: FastifyRequest, runId: string, pick: (trx: Tx) => Promise<string[]>) {
    const actor = actorOf(request);
    const resellerId = workspaceOf(request).resellerId;
    return app.db.transaction().execute(async (trx) => {
      // Who gets a link is decided under the run's lock: a double click waits here and then finds
      // the links of the first click, instead of revoking them and queuing every mail twice.
      await lockImportRun(trx, resellerId, runId);
      const accountIds = await pick(trx);
      const issued = await issueLinksInBulk(trx, app.outbox, linkLifetimes(app), accountIds, { ...actor, resellerId });
      await trx.updateTable('import_runs').set({ links_requested_at: actor.at }).where('id', '=', runId).execute();
      if (issued > 0) await recordAuditEvent(trx, { action: 'import.links_requested', ...actor, resellerId, details: { runId, count: issued } });
      return issued;
    });
  }

  app.post<{ Params: IdParams }>('/import/:id/links', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    if (run.state !== 'imported') return redirectWithFlash(reply, `/import/${run.id}`, text.imports.linksBeforeImport);
    const issued = await sendLinks(request, run.id, (trx) => findAccountsNeedingLinks(trx, run.id, app.clock.now()));
    return redirectWithFlash(reply, `/import/${run.id}/links`, issued ? text.imports.linksQueued(issued) : text.imports.linksNone);
  });

  app.post<{ Params: IdParams }>('/import/:id/links/erneut', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    if (run.state !== 'imported') return redirectWithFlash(reply, `/import/${run.id}`, text.imports.linksBeforeImport);
    const issued = await sendLinks(request, run.id, (trx) => findAccountsWithFailedLinks(trx, run.id));
    return redirectWithFlash(reply, `/import/${run.id}/links`, text.imports.resent(issued));
  });

  app.get<{ Params: IdParams }>('/import/:id/links', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    const progress = await measureLinkProgress(app.db, run.id);
    const summary = summariseLinkProgress(progress);
    const secondsLeft = summary.queued > 0 ? await estimateSecondsLeft(app.db, app.clock.now(), summary.queued, app.config.mailRatePerMinute) : null;
    // Quick while mails go out; slower while only retries wait for their backoff; off when done.
    const refreshSeconds = summary.queued > 0 ? 3 : summary.retrying > 0 ? 10 : null;
    const timeLeft = secondsLeft === null ? null : formatDuration(secondsLeft);
    return reply.page('imports/progress.eta', { title: text.imports.progressTitle, run, progress, summary, timeLeft, refreshSeconds });
  });

  async function resultTable(runId: string): Promise<string[][]> {
    const users = await readImportResult(app.db, runId);
    return users.map((u) => [u.customerNumber, u.tenantName, u.firstName, u.lastName, u.email, u.login]);
  }

  app.get<{ Params: IdParams }>('/import/:id/ergebnis.csv', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    return attachment(reply, 'import-ergebnis.csv', 'text/csv; charset=utf-8', toCsv([text.imports.resultCsvHeader, ...(await resultTable(run.id))]));
  });

  app.get<{ Params: IdParams }>('/import/:id/ergebnis.xlsx', workspaceRoute, async (request, reply) => {
    const run = await runOr404(request, reply);
    if (!run) return reply;
    const file = await buildResultXlsx(text.imports.resultCsvHeader, await resultTable(run.id));
    return attachment(reply, 'import-ergebnis.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', file);
  });
}
