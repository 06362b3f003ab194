import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

// Issue 12, finding 6: the route rate limits live in the database, so two instances on one
// database allow what one allows (before: 10 instead of 5 on "Passwort vergessen").

t.test('two instances on one database share the route rate limit', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const one = await startTestApp(t, {}, { database, startWorker: false });
  const two = await startTestApp(t, {}, { database, startWorker: false });
  const host = 'portal.test';

  // One CSRF cookie and token, valid on both (the same SESSION_SECRET, as the README requires).
  const form = await one.app.inject({ method: 'GET', url: '/passwort-vergessen', headers: { host } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const cookie = (form.cookies as { name: string; value: string }[]).map((c) => `${c.name}=${c.value}`).join('; ');
  const post = (instance: typeof one, remoteAddress: string) =>
    instance.app.inject({
      method: 'POST',
      url: '/passwort-vergessen',
      remoteAddress,
      headers: { host, origin: 'http://portal.test', cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, identifier: 'niemand@nord-it.example' }).toString(),
    });

  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await post(i % 2 ? two : one, '10.2.0.1')).statusCode);
  t.same(statuses.slice(0, 5), [303, 303, 303, 303, 303], 'five requests pass, alternating between the instances');
  t.same(statuses.slice(5), [429, 429, 429, 429, 429], 'the sixth and later are refused on both instances');
  const refused = await post(two, '10.2.0.1');
  t.match(String(refused.headers['retry-after']), /^[1-9]\d*$/, 'Retry-After in whole seconds');

  t.equal((await post(one, '10.2.0.2')).statusCode, 303, 'another address has its own count');
  const rows = await database.db.selectFrom('rate_limit_counters').select(['key', 'hits']).execute();
  t.ok(rows.some((row) => row.key === 'POST /passwort-vergessen|10.2.0.1' && row.hits >= 11), 'the count is one row in the database');

  t.test('parallel requests on both instances do not overshoot', async (t) => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? two : one, '10.2.0.3')));
    t.equal(answers.filter((a) => a.statusCode === 303).length, 5, 'exactly five of twenty pass');
  });
});
