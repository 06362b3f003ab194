import t from 'tap';
import { startTestApp } from './helpers/app.ts';
import { createOperator, signIn } from './helpers/fixtures.ts';

t.test('an operator signs in and sees the account page', async (t) => {
  const { app, db } = await startTestApp(t);
  const otto = await createOperator(db);
  const browser = await signIn(app, otto);
  const page = await browser.get('/konto');
  t.equal(page.status, 200);
  t.match(page.body, /otto\.betrieb/);
});
