import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/db/database.ts';
import { issuePasswordLink } from '../../src/passwords/links.ts';
import type { TestApp } from '../helpers/app.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import type { Person } from '../helpers/fixtures.ts';
import { linkFromMail, type ReceivedMail } from '../helpers/smtp-peer.ts';

// Shared steps of the password-link tests: issue a link the way the portal does and read it out
// of the mail the real worker sends; use it through the real form; try a login.

export interface SentLink {
  url: string;
  path: string;
  token: string;
  mail: ReceivedMail;
  linkId: string;
}

/** Issues a link for the person and waits for the mail carrying it (the worker mints the token). */
export async function sendLink(ctx: TestApp, person: Pick<Person, 'id' | 'email'>): Promise<SentLink> {
  const before = ctx.smtp.received.length;
  const issued = await ctx.db.transaction().execute((trx) =>
    issuePasswordLink(
      trx,
      ctx.app.outbox,
      { invitationHours: ctx.config.invitationLinkHours, resetHours: ctx.config.resetLinkHours },
      { accountId: person.id, actorId: null, at: ctx.clock.now() },
    ),
  );
  const mail = await nextLinkMail(ctx, person.email, before);
  return { ...linkFromMail(mail), mail, linkId: issued.linkId };
}

/** The first link mail to this address among the mails received after index `after`. */
export function nextLinkMail(ctx: TestApp, email: string, after: number): Promise<ReceivedMail> {
  return ctx.smtp.waitForMail((m) => ctx.smtp.received.indexOf(m) >= after && m.to.includes(email) && m.text.includes('/passwort-link/'));
}

/** Opens the link in a fresh browser and posts the form, as a person would. */
export async function postNewPassword(app: FastifyInstance, path: string, password: string, repeat = password, browser = new Browser(app)): Promise<Page> {
  await browser.get(path);
  return browser.post(path, { password, passwordRepeat: repeat });
}

/** A login attempt in a fresh browser; the status tells (303 signed in, 401 refused). */
export async function tryLogin(app: FastifyInstance, login: string, password: string): Promise<Page> {
  const browser = new Browser(app);
  await browser.get('/anmelden');
  return browser.post('/anmelden', { login, password });
}

export async function linkRow(db: Db, linkId: string) {
  return db.selectFrom('password_links').selectAll().where('id', '=', linkId).executeTakeFirstOrThrow();
}

export async function passwordHashOf(db: Db, accountId: string): Promise<string | null> {
  const row = await db.selectFrom('accounts').select('password_hash').where('id', '=', accountId).executeTakeFirstOrThrow();
  return row.password_hash;
}

/**
 * Every row of every table in our schema and in pg-boss's schema (job payloads included), each
 * row as its text form: for proving that a secret is stored nowhere.
 */
export async function dumpDatabase(db: Db): Promise<{ tables: Record<string, string>; text: string }> {
  const { rows: found } = await sql<{ table_schema: string; table_name: string }>`
    select table_schema, table_name from information_schema.tables
    where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'
    order by table_schema, table_name`.execute(db);
  const tables: Record<string, string> = {};
  for (const { table_schema, table_name } of found) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(`${table_schema}.${table_name}`)} as t`.execute(db);
    tables[`${table_schema}.${table_name}`] = rows.map((r) => r.row).join('\n');
  }
  return { tables, text: Object.values(tables).join('\n') };
}
