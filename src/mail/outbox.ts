import { fromKysely, type PgBoss } from 'pg-boss';
import type { Executor } from '../db/database.ts';
import type { MailKind } from '../db/types.ts';

export const MAIL_QUEUE = 'mail';

/** What a job carries: only the delivery's id. Tokens are minted by the worker, never queued. */
export interface MailJob {
  deliveryId: string;
}

export interface MailOutbox {
  /** Records the mail and queues its job inside the caller's transaction: both commit or neither. */
  queueMail(trx: Executor, mail: { kind: MailKind; accountId: string; linkId?: string | null; at: Date }): Promise<string>;
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
  };
}
