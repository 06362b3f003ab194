import t from 'tap';
import { formatDuration } from '../../src/i18n/de.ts';
import { estimateSecondsLeft, measureMailPace, summariseLinkProgress } from '../../src/mail/progress.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';

// The estimate of the progress page: the portal's recent pace (mails the SMTP server accepted in
// the last half minute), capped by MAIL_RATE_PER_MINUTE, applied to the mails still queued.

t.test('the time left follows the recent pace and the rate cap', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const { db } = database;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });
  const now = new Date('2026-12-03T10:00:00Z');

  t.equal(await measureMailPace(db, now), null, 'nothing sent yet: no pace');
  t.equal(await estimateSecondsLeft(db, now, 30, null), null, 'so no estimate');
  t.equal(await estimateSecondsLeft(db, now, 0, null), 0, 'nothing waiting: nothing left');

  // 20 mails in the last 10 seconds (2 per second), and an old one that no longer counts.
  const sentAt = (msAgo: number) => new Date(now.getTime() - msAgo);
  const rows = Array.from({ length: 20 }, (_, i) => ({ kind: 'invitation' as const, account_id: joerg.id, state: 'sent' as const, attempts: 1, created_at: sentAt(60_000), updated_at: sentAt(i * 500 + 500), sent_at: sentAt(i * 500 + 500) }));
  rows.push({ ...rows[0]!, sent_at: sentAt(120_000), updated_at: sentAt(120_000) });
  await db.insertInto('mail_deliveries').values(rows).execute();

  t.equal(await measureMailPace(db, now), 2, 'two per second, measured from the first mail of the last half minute');
  t.equal(await estimateSecondsLeft(db, now, 30, null), 15, '30 waiting at 2 per second: 15 seconds');
  t.equal(await estimateSecondsLeft(db, now, 30, 60), 30, 'a cap of 60 per minute makes it 30 seconds');
  t.equal(await estimateSecondsLeft(db, new Date(now.getTime() + 10 * 60_000), 30, 60), 30, 'with a cap and no recent mail, the cap alone tells');
});

t.test('the figures of the page and the wording of the estimate', async (t) => {
  t.same(summariseLinkProgress({ none: 1, queued: 5, retrying: 2, sent: 10, failed: 1, active: 3, dropped: 4 }), { sent: 13, queued: 5, retrying: 2, failed: 1, total: 21 }, 'a link already used counts as sent; dropped and never-sent ones are not part of the run\'s total');
  t.equal(formatDuration(3), 'wenige Sekunden');
  t.equal(formatDuration(42), '40 Sekunden');
  t.equal(formatDuration(150), '3 Minuten');
  t.equal(formatDuration(3 * 3600), '3 Stunden');
});
