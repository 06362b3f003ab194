import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOGIN_CEILING_PER_MINUTE } from './auth/throttle.ts';

export interface ImpressumConfig {
  company: string;
  address: string;
  representative: string;
  email: string;
  phone: string;
  register: string;
  vatId: string;
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  baseUrl: URL;
  secureCookies: boolean;
  databaseUrl: string | null;
  dataDir: string;
  smtpUrl: string | null;
  mailFrom: string;
  sessionSecret: string;
  trustProxy: string[] | false;
  supportEmail: string;
  impressum: ImpressumConfig;
  invitationLinkHours: number;
  resetLinkHours: number;
  mailRetryDelaySeconds: number;
  mailRetryLimit: number;
  /** Seconds between the worker's safety-net polls; queued mail wakes it at once (LISTEN/NOTIFY). */
  mailPollingSeconds: number;
  /** Pooled SMTP connections per instance, and so mails in flight at once. */
  smtpMaxConnections: number;
  /** Seconds an SMTP conversation may stall (connect, greeting, any answer) before it counts as failed. */
  smtpTimeoutSeconds: number;
  /** Mails per minute for all instances together (the relay's limit); null: no cap. */
  mailRatePerMinute: number | null;
  /** All POSTs to /anmelden from one address per minute and instance (auth/throttle.ts). */
  loginCeilingPerMinute: number;
  logLevel: string;
  /** Seconds to wait for a PostgreSQL connection before the request gets a 503. */
  dbConnectTimeoutSeconds: number;
  /** Seconds one SQL statement may run (PostgreSQL's statement_timeout): a frozen database answers within it. */
  dbStatementTimeoutSeconds: number;
  /** Bearer token for GET /metrics; null: the endpoint answers 404. */
  metricsToken: string | null;
  /** Seconds a SIGTERM waits for running requests and mails before the process ends anyway. */
  shutdownTimeoutSeconds: number;
}

/** Thrown for a bad environment; server.ts prints the message as one line and exits with 1. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} muss eine ganze Zahl von ${min} bis ${max} sein (ist: "${raw}").`);
  }
  return value;
}

function readNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} muss eine Zahl von ${min} bis ${max} sein (ist: "${raw}").`);
  }
  return value;
}

/** Unset or empty: null (the setting is off). */
function readOptionalInteger(env: Env, name: string, min: number, max: number): number | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  return readInteger(env, name, min, min, max);
}

/** A secret an operator sets: long enough not to be guessed, printable, no spaces (it travels in a header). */
function readOptionalToken(env: Env, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  if (raw.length < 32 || !/^[\x21-\x7e]+$/.test(raw)) throw new ConfigError(`${name} muss mindestens 32 druckbare Zeichen ohne Leerzeichen haben.`);
  return raw;
}

function readUrl(name: string, raw: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} ist keine gültige URL (ist: "${raw}").`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} muss mit ${protocols.map((p) => `${p}//`).join(' oder ')} beginnen.`);
  }
  return url;
}

/**
 * Only the proxies' own addresses: "true" would believe any X-Forwarded-For a client writes (and
 * so let it dodge rate limits), and Fastify treats a hop count as "trust nobody".
 */
function readTrustProxy(raw: string | undefined): string[] | false {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (raw === 'true' || /^\d+$/.test(raw) || entries.some((e) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(e) || !/[.:]/.test(e))) {
    throw new ConfigError('TRUST_PROXY muss die Adressen der Reverse-Proxys nennen, z. B. 10.0.0.5 oder 10.0.0.0/8 (kommagetrennt), oder "false" sein.');
  }
  return entries;
}

const emailPattern = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

function readEmail(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (!emailPattern.test(value)) throw new ConfigError(`${name} ist keine gültige E-Mail-Adresse (ist: "${value}").`);
  return value;
}

/**
 * In development the secret is generated once and kept in DATA_DIR, so sessions survive a restart
 * without anyone having to invent a secret; production must bring its own.
 */
function readSessionSecret(env: Env, production: boolean, dataDir: string): string {
  const given = env.SESSION_SECRET;
  if (given) {
    if (given.length < 32) throw new ConfigError('SESSION_SECRET muss mindestens 32 Zeichen lang sein.');
    return given;
  }
  if (production) throw new ConfigError('SESSION_SECRET fehlt: im Produktivbetrieb (NODE_ENV=production) ist es Pflicht.');
  const file = join(dataDir, 'session-secret');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch {
    // not there yet: generated below
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = readInteger(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || 'localhost';
  const dataDir = resolve(env.DATA_DIR || './data');
  if (production && !env.BASE_URL) throw new ConfigError('BASE_URL fehlt: im Produktivbetrieb ist es Pflicht (z. B. https://portal.example.de).');
  const baseUrl = readUrl('BASE_URL', env.BASE_URL || `http://localhost:${port}`, ['http:', 'https:']);
  if (baseUrl.pathname !== '/' || baseUrl.search || baseUrl.hash) {
    throw new ConfigError('BASE_URL darf nur Schema, Host und Port enthalten (kein Pfad), z. B. https://portal.example.de.');
  }
  const trustProxy = readTrustProxy(env.TRUST_PROXY);
  // The portal speaks plain HTTP; https only exists at a proxy in front, and without trusting it
  // the app never sees https and refuses to set its Secure cookie: logins would silently fail.
  if (baseUrl.protocol === 'https:' && !trustProxy) {
    throw new ConfigError('TRUST_PROXY fehlt: BASE_URL ist https, also läuft das Portal hinter einem Reverse-Proxy; nenne dessen Adresse (z. B. TRUST_PROXY=10.0.0.5).');
  }
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl) readUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  const smtpUrl = env.SMTP_URL || null;
  if (smtpUrl) readUrl('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);
  // Without SMTP the mail goes to files and its set-password link to the console, i.e. into the
  // production log: that is for development only.
  if (production && !smtpUrl) throw new ConfigError('SMTP_URL fehlt: im Produktivbetrieb ist es Pflicht (z. B. smtp://mail.example.de:587).');

  const impressumCompany = env.IMPRESSUM_COMPANY;
  const impressumAddress = env.IMPRESSUM_ADDRESS;
  if (production && !impressumCompany) throw new ConfigError('IMPRESSUM_COMPANY fehlt: das Impressum ist in Deutschland Pflicht.');
  if (production && !impressumAddress) throw new ConfigError('IMPRESSUM_ADDRESS fehlt: das Impressum ist in Deutschland Pflicht.');

  const supportEmail = readEmail(env, 'SUPPORT_EMAIL', 'agilas-support@okit.de');
  const invitationLinkHours = readInteger(env, 'INVITATION_LINK_HOURS', 72, 1, 24 * 30);
  const resetLinkHours = readInteger(env, 'RESET_LINK_HOURS', 24, 1, 24 * 30);

  return {
    production,
    port,
    host,
    baseUrl,
    secureCookies: baseUrl.protocol === 'https:',
    databaseUrl,
    dataDir,
    smtpUrl,
    mailFrom: env.MAIL_FROM || `AgileAS Portal <no-reply@${baseUrl.hostname === 'localhost' ? 'localhost.localdomain' : baseUrl.hostname}>`,
    sessionSecret: readSessionSecret(env, production, dataDir),
    trustProxy,
    supportEmail,
    impressum: {
      company: impressumCompany || 'OKIT GmbH (Beispieldaten – IMPRESSUM_COMPANY setzen)',
      address: impressumAddress || 'Musterstraße 1, 12345 Musterstadt (IMPRESSUM_ADDRESS setzen)',
      representative: env.IMPRESSUM_REPRESENTATIVE || '',
      email: env.IMPRESSUM_EMAIL || supportEmail,
      phone: env.IMPRESSUM_PHONE || '',
      register: env.IMPRESSUM_REGISTER || '',
      vatId: env.IMPRESSUM_VAT_ID || '',
    },
    invitationLinkHours,
    resetLinkHours,
    // First retry after 5–10 s (a mail whose worker died goes out again within seconds), then
    // doubling, capped at an hour: twelve retries span about 3.5 to 4.5 hours of relay trouble (as the earlier 10 × 30 s did).
    mailRetryDelaySeconds: readInteger(env, 'MAIL_RETRY_DELAY_SECONDS', 5, 1, 3600),
    mailRetryLimit: readInteger(env, 'MAIL_RETRY_LIMIT', 12, 0, 100),
    mailPollingSeconds: readNumber(env, 'MAIL_POLLING_SECONDS', 10, 0.5, 300),
    smtpMaxConnections: readInteger(env, 'SMTP_MAX_CONNECTIONS', 5, 1, 100),
    smtpTimeoutSeconds: readInteger(env, 'SMTP_TIMEOUT_SECONDS', 30, 1, 600),
    mailRatePerMinute: readOptionalInteger(env, 'MAIL_RATE_PER_MINUTE', 1, 1_000_000),
    loginCeilingPerMinute: readInteger(env, 'LOGIN_CEILING_PER_MINUTE', LOGIN_CEILING_PER_MINUTE, 100, 1_000_000),
    logLevel: env.LOG_LEVEL || 'info',
    dbConnectTimeoutSeconds: readNumber(env, 'DB_CONNECT_TIMEOUT_SECONDS', 5, 0.5, 120),
    dbStatementTimeoutSeconds: readNumber(env, 'DB_STATEMENT_TIMEOUT_SECONDS', 10, 0.5, 3600),
    metricsToken: readOptionalToken(env, 'METRICS_TOKEN'),
    shutdownTimeoutSeconds: readNumber(env, 'SHUTDOWN_TIMEOUT_SECONDS', 8, 1, 60),
  };
}
