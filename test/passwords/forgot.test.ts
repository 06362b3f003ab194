import t from 'tap';
import { MINUTE } from '../../src/clock.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { waitForQueueDrained } from '../helpers/jobs.ts';
import { FORGOT_QUEUE } from '../../src/passwords/forgot.ts';

// "Passwort vergessen": a link to the address on file, the same answer whatever was typed, and
// no second mail while the first is on its way.

const answer = 'Falls wir ein aktives Konto zu deiner Eingabe finden, ist ein Link an die hinterlegte E-Mail-Adresse unterwegs.';

t.test('Passwort vergessen', async (t) => {
  const { app, db, clock, smtp } = await startTestApp(t);
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant);
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Alt', email: 'anna@mueller-bau.example' });
  await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', anna.id).execute();
  const links = async () => (await db.selectFrom('password_links').select(['account_id']).execute()).map((l) => l.account_id);

  const ask = async (identifier: string) => {
    const browser = new Browser(app);
    await browser.get('/passwort-vergessen');
    const page = await browser.post('/passwort-vergessen', { identifier });
    t.equal(page.status, 303, `"${identifier}" is answered with a redirect`);
    t.match(visibleText((await browser.follow(page)).body), answer, `"${identifier}" gets the one answer`);
    // The lookup and the link happen in a job after the answer (no timing difference).
    await waitForQueueDrained(db, FORGOT_QUEUE);
  };

  await t.test('by login: a replacement link goes to the address on file; the password stays', async (t) => {
    await ask(joerg.login.toUpperCase());
    const mail = await smtp.waitForMail((m) => m.to.includes(joerg.email));
    t.match(mail.subject, 'Link für ein neues Passwort');
    t.same(await links(), [joerg.id]);
  });

  await t.test('asking again within five minutes sends nothing more', async (t) => {
    await ask(joerg.email);
    t.same(await links(), [joerg.id], 'still one link');
  });

  await t.test('after the cooldown, by e-mail address: a new link, the older one revoked', async (t) => {
    clock.advance(6 * MINUTE);
    await ask(joerg.email);
    t.equal((await links()).length, 2);
    const open = await db.selectFrom('password_links').select('id').where('revoked_at', 'is', null).execute();
    t.equal(open.length, 1, 'only the newest link is open');
  });

  await t.test('an unknown login, a disabled account and an empty field send nothing', async (t) => {
    await ask('niemand.hier');
    await ask(anna.login);
    t.equal((await links()).length, 2, 'no link for either');
    // From another address: this one has used up its five requests a minute by now.
    const remoteAddress = '192.0.2.9';
    const form = await app.inject({ url: '/passwort-vergessen', remoteAddress });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const page = await app.inject({
      method: 'POST',
      url: '/passwort-vergessen',
      remoteAddress,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, identifier: '   ' }).toString(),
    });
    t.equal(page.statusCode, 422);
    t.match(visibleText(page.body), 'Bitte gib deinen Login oder deine E-Mail-Adresse ein.');
  });
});
