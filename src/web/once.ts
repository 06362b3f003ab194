import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HOUR } from '../clock.ts';
import type { Executor, Tx } from '../db/database.ts';
import { redirectWithFlash } from './flash.ts';
import { readForm } from './forms.ts';
import { isUuid } from './listing.ts';

// Forms that create something carry a one-time id. The first post records it with the page it
// led to, in the same transaction as the creation; a repeated post of the same form (double
// click, back button and send again) is sent to that page and creates nothing.

export const SUBMISSION_FIELD = 'formular';

export function newSubmissionId(): string {
  return randomUUID();
}

/** Where the first post of this form led, if it was already sent by this account. */
export async function findEarlierSubmission(db: Executor, submissionId: string, accountId: string): Promise<string | null> {
  if (!isUuid(submissionId)) return null;
  const row = await db.selectFrom('form_submissions').select('location').where('id', '=', submissionId).where('account_id', '=', accountId).executeTakeFirst();
  return row?.location ?? null;
}

/**
 * Claims the submission at the start of the creating transaction. A concurrent twin's insert
 * waits on the key until this transaction ends, then fails: the twin never runs its work.
 */
async function claimSubmission(trx: Tx, submissionId: string, accountId: string, at: Date): Promise<void> {
  await trx.insertInto('form_submissions').values({ id: submissionId, account_id: accountId, location: '', created_at: at }).execute();
}

export interface Created {
  location: string;
  flash: string;
}

function isDuplicateSubmission(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && (e.constraint === 'form_submissions_pkey' || Boolean(e.message?.includes('form_submissions_pkey')));
}

/**
 * Runs a creating form post at most once per form: `create` runs in a transaction together with
 * the record of this submission; a repeat is redirected to where the first one led.
 */
export async function submitOnce(request: FastifyRequest, reply: FastifyReply, create: (trx: Tx) => Promise<Created>): Promise<FastifyReply> {
  const { db, clock } = request.server;
  const submissionId = readForm(request.body, [SUBMISSION_FIELD])[SUBMISSION_FIELD];
  const accountId = request.session.account!.id;
  const earlier = await findEarlierSubmission(db, submissionId, accountId);
  if (earlier) return reply.redirect(earlier, 303);
  const once = isUuid(submissionId);
  try {
    const created = await db.transaction().execute(async (trx) => {
      if (once) await claimSubmission(trx, submissionId, accountId, clock.now());
      const result = await create(trx);
      if (once) await trx.updateTable('form_submissions').set({ location: result.location }).where('id', '=', submissionId).execute();
      return result;
    });
    return redirectWithFlash(reply, created.location, created.flash);
  } catch (error) {
    // The twin of a double click committed first: this one was rolled back entirely.
    if (isDuplicateSubmission(error)) return reply.redirect((await findEarlierSubmission(db, submissionId, accountId)) ?? '/', 303);
    throw error;
  }
}

// A repeated post is recognised as long as the form could still be posted: a session lasts at
// most 12 hours, so a day is plenty.
const SUBMISSION_KEPT_MS = 24 * HOUR;

export async function removeOldSubmissions(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('form_submissions').where('created_at', '<', new Date(now.getTime() - SUBMISSION_KEPT_MS)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
