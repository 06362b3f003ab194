import type { Session } from 'fastify';
import type { Clock } from '../clock.ts';
import type { Db, Executor } from '../db/database.ts';
import { hashToken } from '../tokens.ts';

export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60_000;
// Touching last_seen_at on every request would turn every page view into a write; a minute's
// slack on a 30-minute idle timeout is the price.
const TOUCH_AFTER_MS = 60_000;

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

/**
 * @fastify/session store on the sessions table. Rows are keyed by the SHA-256 of the session id
 * and carry the account id, so that every session of an account can be ended with one DELETE.
 * Idle and absolute timeouts are enforced here, on the server, whatever the cookie says.
 */
export class DatabaseSessionStore {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  get(sessionId: string, callback: SessionCallback): void {
    this.#get(sessionId).then((s) => callback(null, s), (e) => callback(e));
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    this.#set(sessionId, session).then(() => callback(), (e) => callback(e));
  }

  destroy(sessionId: string, callback: Callback): void {
    this.#db
      .deleteFrom('sessions')
      .where('id_hash', '=', hashToken(sessionId))
      .execute()
      .then(() => callback(), (e) => callback(e));
  }

  async #get(sessionId: string): Promise<Session | null> {
    const idHash = hashToken(sessionId);
    const row = await this.#db.selectFrom('sessions').select(['data', 'created_at', 'last_seen_at']).where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return null;
    const now = this.#clock.now().getTime();
    if (now - row.last_seen_at.getTime() > IDLE_TIMEOUT_MS || now - row.created_at.getTime() > ABSOLUTE_TIMEOUT_MS) {
      await this.#db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      return null;
    }
    if (now - row.last_seen_at.getTime() > TOUCH_AFTER_MS) {
      await this.#db.updateTable('sessions').set({ last_seen_at: new Date(now) }).where('id_hash', '=', idHash).execute();
    }
    return row.data as unknown as Session;
  }

  async #set(sessionId: string, session: Session): Promise<void> {
    const now = this.#clock.now();
    const data = JSON.stringify(session);
    await this.#db
      .insertInto('sessions')
      .values({ id_hash: hashToken(sessionId), account_id: session.account?.id ?? null, data, created_at: now, last_seen_at: now })
      .onConflict((oc) => oc.column('id_hash').doUpdateSet({ data, account_id: session.account?.id ?? null, last_seen_at: now }))
      .execute();
  }
}

/** Ends every session of an account (password set or changed, account disabled). */
export async function endAccountSessions(db: Executor, accountId: string, exceptSessionId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId);
  if (exceptSessionId) query = query.where('id_hash', '<>', hashToken(exceptSessionId));
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes the sessions the store would refuse anyway (idle or absolute timeout passed). */
export async function removeExpiredSessions(db: Executor, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('last_seen_at', '<', new Date(now.getTime() - IDLE_TIMEOUT_MS)), eb('created_at', '<', new Date(now.getTime() - ABSOLUTE_TIMEOUT_MS))]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
