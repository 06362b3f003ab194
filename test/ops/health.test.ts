import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { createOperator } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Issue 12, finding 5: liveness, readiness and Prometheus metrics; /metrics only with its token.

const token = 'metrics-token-0123456789-abcdefghijklmnop';

t.test('/healthz, /readyz and /metrics', async (t) => {
  const { app, db, logs } = await startTestApp(t, { METRICS_TOKEN: token });
  const host = 'portal.test';

  const health = await app.inject({ method: 'GET', url: '/healthz', headers: { host } });
  t.equal(health.statusCode, 200, 'liveness: the process answers');
  t.equal(health.body.trim(), 'ok');

  const ready = await app.inject({ method: 'GET', url: '/readyz', headers: { host } });
  t.equal(ready.statusCode, 200, 'readiness: database reachable, migrations current');
  t.notOk(ready.headers['set-cookie'], 'probes get no cookies');

  t.test('/metrics needs the bearer token', async (t) => {
    const none = await app.inject({ method: 'GET', url: '/metrics', headers: { host } });
    t.equal(none.statusCode, 401, 'no token: 401');
    t.notMatch(none.body, 'portal_', 'and no figures');
    const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: { host, authorization: `Bearer ${token}x` } });
    t.equal(wrong.statusCode, 401, 'wrong token: 401');
    const basic = await app.inject({ method: 'GET', url: '/metrics', headers: { host, authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } });
    t.equal(basic.statusCode, 401, 'another scheme: 401');
  });

  t.test('with the token: request, login, mail, queue and database figures', async (t) => {
    const otto = await createOperator(db);
    const attempt = await loginAttempts(app);
    t.equal((await attempt(otto.login, otto.password!, { remoteAddress: '10.1.0.1' })).status, 303);
    t.equal((await attempt(otto.login, 'falsch falsch falsch', { remoteAddress: '10.1.0.1' })).status, 401);
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { host, authorization: `Bearer ${token}` } });
    t.equal(metrics.statusCode, 200);
    t.match(metrics.headers['content-type'], /^text\/plain/);
    const body = metrics.body;
    t.match(body, /portal_http_requests_total\{method="POST",route="\/anmelden",status="303"\} 1/, 'requests per route and status');
    t.match(body, /portal_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/healthz"\}/, 'latency per route');
    t.match(body, /portal_logins_total\{result="ok"\} 1/, 'logins ok');
    t.match(body, /portal_logins_total\{result="failed"\} 1/, 'logins refused');
    t.match(body, /portal_mails_total\{result="sent"\} \d+/, 'mails sent');
    t.match(body, /portal_mails_total\{result="failed"\} \d+/, 'mails failed');
    t.match(body, /portal_mail_queue_depth \d+/, 'queue depth');
    t.match(body, /portal_mail_queue_oldest_seconds [\d.e+-]+/, 'queue age');
    t.match(body, /portal_database_up 1/, 'database up');
    if (process.env.DATABASE_URL) t.match(body, /portal_db_pool_connections\{state="total"\} \d+/, 'the pool on PostgreSQL');
    t.match(body, /process_resident_memory_bytes \d+/, 'process figures');
    t.notMatch(body, otto.login, 'no login names in the figures');
  });

  t.test('readiness says "not ready" from the first moment of a shutdown', async (t) => {
    app.lifecycle.stopping = true;
    const stopping = await app.inject({ method: 'GET', url: '/readyz', headers: { host } });
    t.equal(stopping.statusCode, 503);
    const alive = await app.inject({ method: 'GET', url: '/healthz', headers: { host } });
    t.equal(alive.statusCode, 200, 'liveness stays: the process is still up');
    t.equal(alive.headers.connection, 'close', 'and each response closes its connection');
    app.lifecycle.stopping = false;
  });

  t.test('probes do not fill the log', async (t) => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: '/readyz', headers: { host } });
    t.notOk(logs.some((line) => line.includes('/readyz') || line.includes('/healthz')), 'no request lines for probes');
  });
});

t.test('without METRICS_TOKEN there is no /metrics', async (t) => {
  const { app } = await startTestApp(t);
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { host: 'portal.test' } });
  t.equal(metrics.statusCode, 404);
  t.notMatch(metrics.body, 'portal_');
});
