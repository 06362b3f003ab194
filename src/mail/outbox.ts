import { fromKysely, type PgBoss } from 'pg-boss';
import type { Executor } from '../db/database.ts';
import type { MailKind } from '../db/types.ts';

export const MAIL_QUEUE = 'mail';

/** What a job carries: only the delivery's id. Tokens are minted by the worker, never queued. */
export interface MailJob {
  deliveryId: string;
}

type QueuedMail = { kind: MailKind; accountId: string; linkId?: string | null; at: Date };

export interface MailOutbox {
  /** Records the mail and queues its job inside the caller's transaction: both commit or neither. */
  queueMail(trx: Executor, mail: QueuedMail): Promise<string>;
  /** The same for many mails at once (bulk link sending after an import). */
  queueMails(trx: Executor, mails: QueuedMail[]): Promise<void>;
}

export function createMailOutbox(boss: PgBoss): MailOutbox {
  return {
    async queueMail(trx, mail) {
      const { id } = await trx
        .insertInto('mail_deliveries')
        .values({ kind: mail.kind, account_id: mail.accountId, link_id: mail.linkId ?? null, created_at: mail.at, updated_at: mail.at })
        .returning('id')
        .executeTakeFirstOrThrow();
      const job: MailJob = { deliveryId: id };
      await boss.send(MAIL_QUEUE, job, { db: fromKysely(trx) });
      return id;
    },
    async queueMails(trx, mails) {
      for (let i = 0; i < mails.length; i += 1000) {
        const part = mails.slice(i, i + 1000);
        const rows = await trx
          .insertInto('mail_deliveries')
          .values(part.map((m) => ({ kind: m.kind, account_id: m.accountId, link_id: m.linkId ?? null, created_at: m.at, updated_at: m.at })))
          .returning('id')
          .execute();
        await boss.insert(MAIL_QUEUE, rows.map((row) => ({ data: { deliveryId: row.id } satisfies MailJob })), { db: fromKysely(trx) });
      }
    },
  };
}
