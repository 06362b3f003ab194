import { sql } from 'kysely';
import { recordAuditEvent, recordAuditEvents } from '../audit/audit.ts';
import { HOUR } from '../clock.ts';
import type { Executor, Tx } from '../db/database.ts';
import type { CreatedUser } from './apply.ts';
import type { ImportCounts, ImportOptions } from './plan.ts';
import type { SheetRow } from './rows.ts';

// Import runs of one reseller: every query takes the reseller id (but for the housekeeping job's
// expiry, which runs for all).

/** A preview nobody finished is kept this long; its rows hold names and e-mail addresses. */
export const IMPORT_PREVIEW_HOURS = 24;

export async function createImportRun(db: Executor, run: { resellerId: string; createdBy: string; fileName: string; rows: SheetRow[]; at: Date; ip: string | null }): Promise<string> {
  const { id } = await db
    .insertInto('import_runs')
    .values({
      reseller_id: run.resellerId,
      created_by: run.createdBy,
      file_name: run.fileName,
      state: 'preview',
      created_at: run.at,
      rows: JSON.stringify(run.rows),
      options: JSON.stringify({ bookForAll: [], defaultRight: null } satisfies ImportOptions),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAuditEvent(db, { action: 'import.uploaded', at: run.at, actorId: run.createdBy, resellerId: run.resellerId, ip: run.ip, details: { runId: id, fileName: run.fileName, rows: run.rows.length } });
  return id;
}

/**
 * The run without its rows and its result list (up to 20,000 each): readImportRows and
 * readImportResult read those by the page.
 */
export async function findImportRun(db: Executor, resellerId: string, runId: string) {
  const run = await db
    .selectFrom('import_runs')
    .select(['id', 'reseller_id', 'created_by', 'file_name', 'state', 'created_at', 'imported_at', 'options', 'counts', 'links_requested_at'])
    .select(sql<number>`jsonb_array_length(rows)`.as('row_count'))
    .select(sql<number>`jsonb_array_length(result)`.as('result_count'))
    .where('reseller_id', '=', resellerId)
    .where('id', '=', runId)
    .executeTakeFirst();
  if (!run) return undefined;
  return { ...run, row_count: Number(run.row_count), result_count: Number(run.result_count), options: run.options as unknown as ImportOptions, counts: run.counts as Partial<ImportCounts> };
}

/** Rows of the file read from the database per query: each query unpacks the stored array once, so pages are not small. */
export const ROWS_PER_PAGE = 5000;

/**
 * The stored rows of a run, page by page, in the order of the file. Read whole, the rows of
 * 20,000 lines are one JSON text of several megabytes, held as text, as buffer and as objects
 * at once; by the page, each is parsed and can be dropped before the next arrives.
 */
export async function* readImportRows(db: Executor, runId: string, rowCount: number): AsyncGenerator<SheetRow[]> {
  for (let offset = 0; offset < rowCount; offset += ROWS_PER_PAGE) {
    // A slice of the array as one value: the database cuts it out without listing every element.
    const path = `$[${offset} to ${offset + ROWS_PER_PAGE - 1}]`;
    const row = await db.selectFrom('import_runs').select(sql<SheetRow[]>`jsonb_path_query_array(rows, ${path}::jsonpath)`.as('page')).where('id', '=', runId).executeTakeFirst();
    if (!row || row.page.length === 0) return;
    yield row.page;
  }
}

/** Anwender created by the run, in the order of the file; a slice of them when limit is given. */
export async function readImportResult(db: Executor, runId: string, slice?: { offset: number; limit: number }): Promise<CreatedUser[]> {
  if (!slice) {
    const row = await db.selectFrom('import_runs').select('result').where('id', '=', runId).executeTakeFirst();
    return (row?.result ?? []) as CreatedUser[];
  }
  // Only the page is taken out of the stored list; the other entries stay in the database.
  const { rows } = await sql<{ entry: CreatedUser }>`
    select x.entry from import_runs r, jsonb_array_elements(r.result) with ordinality as x(entry, n)
    where r.id = ${runId} and x.n > ${slice.offset} and x.n <= ${slice.offset + slice.limit}
    order by x.n`.execute(db);
  return rows.map((r) => r.entry);
}

/** For the commit: the run locked, so that two clicks on "Import ausführen" import once. */
export async function lockImportRun(trx: Tx, resellerId: string, runId: string) {
  return trx.selectFrom('import_runs').select(['id', 'state']).where('reseller_id', '=', resellerId).where('id', '=', runId).forUpdate().executeTakeFirst();
}

export async function listImportRuns(db: Executor, resellerId: string) {
  return db
    .selectFrom('import_runs as r')
    .leftJoin('accounts as a', 'a.id', 'r.created_by')
    .select(['r.id', 'r.file_name', 'r.state', 'r.created_at', 'r.imported_at', 'r.counts', 'a.first_name', 'a.last_name', sql<number>`jsonb_array_length(r.rows)`.as('row_count')])
    .where('r.reseller_id', '=', resellerId)
    .orderBy('r.created_at', 'desc')
    .limit(100)
    .execute();
}

export async function saveImportOptions(db: Executor, resellerId: string, runId: string, options: ImportOptions): Promise<void> {
  await db.updateTable('import_runs').set({ options: JSON.stringify(options) }).where('reseller_id', '=', resellerId).where('id', '=', runId).where('state', '=', 'preview').execute();
}

export async function markImported(trx: Tx, runId: string, counts: ImportCounts, result: CreatedUser[], at: Date): Promise<void> {
  // The file's rows are not kept once imported: the result lists what was created, and the
  // rows (names, e-mails of every line) need not linger.
  await trx
    .updateTable('import_runs')
    .set({ state: 'imported', imported_at: at, counts: JSON.stringify(counts), result: JSON.stringify(result), rows: '[]' })
    .where('id', '=', runId)
    .execute();
}

export async function discardImportRun(db: Executor, resellerId: string, runId: string, actor: { actorId: string; at: Date; ip: string | null }): Promise<boolean> {
  const result = await db
    .updateTable('import_runs')
    .set({ state: 'discarded', rows: '[]' })
    .where('reseller_id', '=', resellerId)
    .where('id', '=', runId)
    .where('state', '=', 'preview')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await recordAuditEvent(db, { action: 'import.discarded', at: actor.at, actorId: actor.actorId, resellerId, ip: actor.ip, details: { runId } });
  return true;
}

/** Active Anwender of the run without a password and without a link that still works. */
export async function findAccountsNeedingLinks(db: Executor, runId: string, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts as a')
    .select('a.id')
    .where('a.import_run_id', '=', runId)
    .where('a.status', '=', 'active')
    .where('a.password_hash', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('password_links as l')
            .select('l.id')
            .whereRef('l.account_id', '=', 'a.id')
            .where('l.used_at', 'is', null)
            .where('l.revoked_at', 'is', null)
            .where('l.expires_at', '>', now),
        ),
      ),
    )
    .execute();
  return rows.map((r) => r.id);
}

/** Anwender of the run whose newest link mail finally failed. */
export async function findAccountsWithFailedLinks(db: Executor, runId: string): Promise<string[]> {
  const rows = await latestDeliveries(db, runId).where('a.password_hash', 'is', null).where('a.status', '=', 'active').execute();
  return rows.filter((r) => r.state === 'failed').map((r) => r.id);
}

function latestDeliveries(db: Executor, runId: string) {
  return db
    .selectFrom('accounts as a')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('mail_deliveries as d')
          .select('d.state')
          .whereRef('d.account_id', '=', 'a.id')
          .where('d.link_id', 'is not', null)
          .orderBy('d.created_at', 'desc')
          .limit(1)
          .as('d'),
      (join) => join.onTrue(),
    )
    .select(['a.id', 'd.state', sql<boolean>`a.password_hash is not null`.as('has_password')])
    .where('a.import_run_id', '=', runId);
}

/** How far the link mails of a run are: counts per state, "active" once the password is set. */
export async function measureLinkProgress(db: Executor, runId: string): Promise<Record<string, number>> {
  const rows = await latestDeliveries(db, runId).execute();
  const counts: Record<string, number> = { none: 0, queued: 0, retrying: 0, sent: 0, failed: 0, active: 0 };
  for (const row of rows) {
    const key = row.has_password ? 'active' : (row.state ?? 'none');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Marks stale previews "expired", drops their rows and writes an audit event for each. */
export async function expireImportPreviews(trx: Tx, now: Date): Promise<number> {
  const runs = await trx
    .updateTable('import_runs')
    .set({ state: 'expired', rows: '[]' })
    .where('state', '=', 'preview')
    .where('created_at', '<', new Date(now.getTime() - IMPORT_PREVIEW_HOURS * HOUR))
    .returning(['id', 'reseller_id', 'file_name'])
    .execute();
  await recordAuditEvents(
    trx,
    runs.map((run) => ({ action: 'import.expired', at: now, actorId: null, resellerId: run.reseller_id, ip: null, details: { runId: run.id, fileName: run.file_name } })),
  );
  return runs.length;
}
