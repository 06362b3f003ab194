import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.ts';

// The environment is checked once at start; a bad value is refused with a message that names
// the variable (server.ts prints it as one line and exits with 1, see server.test.ts).

const secret = 'a-session-secret-of-at-least-32-characters';
const production = { NODE_ENV: 'production', BASE_URL: 'https://portal.example.de', IMPRESSUM_COMPANY: 'OKIT GmbH', IMPRESSUM_ADDRESS: 'Hafenstraße 1, 20095 Hamburg', SMTP_URL: 'smtp://mail.example.de:587', TRUST_PROXY: '10.0.0.5' };

function dataDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'agileas-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a bad variable is refused with a ConfigError that names it', async (t) => {
  const dir = dataDir(t);
  const cases: [string, Record<string, string>, string][] = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['BASE_URL=ftp://x', { BASE_URL: 'ftp://x' }, 'BASE_URL'],
    ['BASE_URL that is no URL', { BASE_URL: 'portal.example.de' }, 'BASE_URL'],
    ['BASE_URL with a path', { BASE_URL: 'https://example.de/portal' }, 'BASE_URL'],
    ['SMTP_URL=http://x', { SMTP_URL: 'http://x' }, 'SMTP_URL'],
    ['DATABASE_URL=mysql://x', { DATABASE_URL: 'mysql://x/db' }, 'DATABASE_URL'],
    ['production without SESSION_SECRET', { ...production }, 'SESSION_SECRET'],
    ['a short SESSION_SECRET', { SESSION_SECRET: 'zu-kurz' }, 'SESSION_SECRET'],
    ['production without SMTP_URL (links would go to the console)', { ...production, SESSION_SECRET: secret, SMTP_URL: '' }, 'SMTP_URL'],
    ['production without BASE_URL', { ...production, SESSION_SECRET: secret, BASE_URL: '' }, 'BASE_URL'],
    ['INVITATION_LINK_HOURS=0', { INVITATION_LINK_HOURS: '0' }, 'INVITATION_LINK_HOURS'],
    ['RESET_LINK_HOURS=1.5', { RESET_LINK_HOURS: '1.5' }, 'RESET_LINK_HOURS'],
    ['MAIL_RETRY_LIMIT=-1', { MAIL_RETRY_LIMIT: '-1' }, 'MAIL_RETRY_LIMIT'],
    ['SMTP_MAX_CONNECTIONS=0', { SMTP_MAX_CONNECTIONS: '0' }, 'SMTP_MAX_CONNECTIONS'],
    ['SMTP_MAX_CONNECTIONS=viele', { SMTP_MAX_CONNECTIONS: 'viele' }, 'SMTP_MAX_CONNECTIONS'],
    ['SMTP_MAX_CONNECTIONS=2.5', { SMTP_MAX_CONNECTIONS: '2.5' }, 'SMTP_MAX_CONNECTIONS'],
    ['MAIL_RATE_PER_MINUTE=0', { MAIL_RATE_PER_MINUTE: '0' }, 'MAIL_RATE_PER_MINUTE'],
    ['MAIL_RATE_PER_MINUTE=-5', { MAIL_RATE_PER_MINUTE: '-5' }, 'MAIL_RATE_PER_MINUTE'],
    ['MAIL_RATE_PER_MINUTE=10/s', { MAIL_RATE_PER_MINUTE: '10/s' }, 'MAIL_RATE_PER_MINUTE'],
    ['SMTP_TIMEOUT_SECONDS=0', { SMTP_TIMEOUT_SECONDS: '0' }, 'SMTP_TIMEOUT_SECONDS'],
    ['MAIL_POLLING_SECONDS=0.1 (a busy loop against the database)', { MAIL_POLLING_SECONDS: '0.1' }, 'MAIL_POLLING_SECONDS'],
    ['TRUST_PROXY=yes please', { TRUST_PROXY: 'yes please' }, 'TRUST_PROXY'],
    ['TRUST_PROXY=true (would believe any client-written X-Forwarded-For)', { TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    ['TRUST_PROXY=1 (a hop count trusts nobody in Fastify)', { TRUST_PROXY: '1' }, 'TRUST_PROXY'],
    ['an https BASE_URL without TRUST_PROXY (logins would silently fail)', { BASE_URL: 'https://portal.example.de' }, 'TRUST_PROXY'],
    ['SUPPORT_EMAIL=nobody', { SUPPORT_EMAIL: 'nobody' }, 'SUPPORT_EMAIL'],
    ['LOGIN_CEILING_PER_MINUTE=10 (an office could not sign in)', { LOGIN_CEILING_PER_MINUTE: '10' }, 'LOGIN_CEILING_PER_MINUTE'],
    ['LOGIN_CEILING_PER_MINUTE=unbegrenzt', { LOGIN_CEILING_PER_MINUTE: 'unbegrenzt' }, 'LOGIN_CEILING_PER_MINUTE'],
    ['a short METRICS_TOKEN', { METRICS_TOKEN: 'geheim' }, 'METRICS_TOKEN'],
    ['a METRICS_TOKEN with a space', { METRICS_TOKEN: 'ein langes token mit leerzeichen 0123456789' }, 'METRICS_TOKEN'],
    ['DB_CONNECT_TIMEOUT_SECONDS=0', { DB_CONNECT_TIMEOUT_SECONDS: '0' }, 'DB_CONNECT_TIMEOUT_SECONDS'],
    ['DB_STATEMENT_TIMEOUT_SECONDS=lang', { DB_STATEMENT_TIMEOUT_SECONDS: 'lang' }, 'DB_STATEMENT_TIMEOUT_SECONDS'],
    ['SHUTDOWN_TIMEOUT_SECONDS=120', { SHUTDOWN_TIMEOUT_SECONDS: '120' }, 'SHUTDOWN_TIMEOUT_SECONDS'],
  ];
  for (const [name, env, variable] of cases) {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dir, ...env });
    } catch (caught) {
      error = caught;
    }
    t.ok(error instanceof ConfigError, `${name}: refused with a ConfigError`);
    t.match((error as Error | undefined)?.message ?? '', variable, `${name}: the message names ${variable}`);
    t.notMatch((error as Error | undefined)?.message ?? '', /\n/, `${name}: in one line`);
  }
});

t.test('a good environment is read into a typed config', async (t) => {
  const dir = dataDir(t);
  const config = loadConfig({ ...production, DATA_DIR: dir, SESSION_SECRET: secret, PORT: '8080', INVITATION_LINK_HOURS: '48', TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' });
  t.equal(config.production, true);
  t.equal(config.port, 8080);
  t.equal(config.baseUrl.href, 'https://portal.example.de/');
  t.equal(config.secureCookies, true, 'https BASE_URL means secure cookies');
  t.equal(config.smtpUrl, 'smtp://mail.example.de:587');
  t.equal(config.invitationLinkHours, 48);
  t.equal(config.resetLinkHours, 24, 'the default replacement-link lifetime');
  t.same(config.trustProxy, ['10.0.0.5', '10.1.0.0/16']);
  t.equal(config.sessionSecret, secret);
});

t.test('mail throughput settings: defaults, and values as given', async (t) => {
  const dir = dataDir(t);
  const defaults = loadConfig({ DATA_DIR: dir });
  t.equal(defaults.smtpMaxConnections, 5, 'five pooled SMTP connections by default');
  t.equal(defaults.mailRatePerMinute, null, 'no rate cap by default');
  t.equal(defaults.smtpTimeoutSeconds, 30, 'an SMTP conversation may stall 30 s by default');
  t.equal(defaults.mailPollingSeconds, 10, 'the safety-net poll is slow: queued mail wakes the worker itself');
  const given = loadConfig({ DATA_DIR: dir, SMTP_MAX_CONNECTIONS: '12', MAIL_RATE_PER_MINUTE: '600', SMTP_TIMEOUT_SECONDS: '5', MAIL_POLLING_SECONDS: '2.5' });
  t.equal(given.smtpMaxConnections, 12);
  t.equal(given.mailRatePerMinute, 600);
  t.equal(given.smtpTimeoutSeconds, 5);
  t.equal(given.mailPollingSeconds, 2.5);
  t.equal(loadConfig({ DATA_DIR: dir, MAIL_RATE_PER_MINUTE: '' }).mailRatePerMinute, null, 'an empty value means no cap');
});

t.test('the login ceiling per address: 1,000 a minute by default, changeable', async (t) => {
  const dir = dataDir(t);
  t.equal(loadConfig({ DATA_DIR: dir }).loginCeilingPerMinute, 1000);
  t.equal(loadConfig({ DATA_DIR: dir, LOGIN_CEILING_PER_MINUTE: '6000' }).loginCeilingPerMinute, 6000);
});

t.test('operations settings: defaults, and values as given', async (t) => {
  const dir = dataDir(t);
  const defaults = loadConfig({ DATA_DIR: dir });
  t.same([defaults.dbConnectTimeoutSeconds, defaults.dbStatementTimeoutSeconds, defaults.metricsToken, defaults.shutdownTimeoutSeconds], [5, 10, null, 8]);
  const given = loadConfig({ DATA_DIR: dir, DB_CONNECT_TIMEOUT_SECONDS: '2', DB_STATEMENT_TIMEOUT_SECONDS: '30', METRICS_TOKEN: 'x'.repeat(40), SHUTDOWN_TIMEOUT_SECONDS: '5' });
  t.same([given.dbConnectTimeoutSeconds, given.dbStatementTimeoutSeconds, given.metricsToken, given.shutdownTimeoutSeconds], [2, 30, 'x'.repeat(40), 5]);
});

t.test('in development the session secret is generated once and kept in DATA_DIR', async (t) => {
  const dir = dataDir(t);
  const first = loadConfig({ DATA_DIR: dir });
  t.ok(first.sessionSecret.length >= 32, 'a long secret is generated');
  t.ok(existsSync(join(dir, 'session-secret')), 'and stored in DATA_DIR');
  t.equal(readFileSync(join(dir, 'session-secret'), 'utf8').trim(), first.sessionSecret);
  t.equal(loadConfig({ DATA_DIR: dir }).sessionSecret, first.sessionSecret, 'the next start reuses it');
  t.equal(first.smtpUrl, null, 'without SMTP_URL mail goes to files');
  t.equal(first.baseUrl.href, 'http://localhost:3000/', 'the default address');
});
