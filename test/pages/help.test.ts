import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, signIn } from '../helpers/fixtures.ts';

t.test('Hilfe names the support address once in its text (the footer has its own)', async (t) => {
  const { app, db, config } = await startTestApp(t);
  // A reseller reaches Hilfe from the footer of any page.
  const staff = await signIn(app, await createResellerStaff(db, (await createReseller(db)).id));
  const page = await staff.get('/hilfe');
  t.equal(page.status, 200);
  const main = /<main[\s\S]*<\/main>/.exec(page.body)![0];
  const text = visibleText(main);
  t.equal(text.split(config.supportEmail).length - 1, 1, 'the address appears once in the page’s text');
  t.match(text, `Fragen? Unser Support hilft dir gern: ${config.supportEmail}`);
  t.match(main, `<a href="mailto:${config.supportEmail}">${config.supportEmail}</a>`, 'as a mail link');
});
