/// <reference lib="dom" />
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createPostgresTestDatabase } from '../helpers/database.ts';
import { freePort } from '../helpers/server-process.ts';
import { linkFromMail, startSmtpPeer, type ReceivedMail, type SmtpPeer } from '../helpers/smtp-peer.ts';

// End-to-end: the real portal on a real port, a real SMTP peer, and Debian's Chromium with
// JavaScript switched off, the way our users may run it. One browser per test file.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const axePath = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The one line every e2e test skips with when the machine has no Chromium. */
export const CHROMIUM_MISSING = 'Chromium fehlt – installiere es mit: apt-get install -y chromium';

/** For tap's `{ skip }`: false when Chromium is there, else the reason. */
export const noChromium: string | false = existsSync(chromiumPath) ? false : CHROMIUM_MISSING;

/** The stylesheet's `--selected` (#d3e3fd) as getComputedStyle reports it. */
export const SELECTED_BLUE = 'rgb(211, 227, 253)';

interface Teardown {
  teardown(fn: () => unknown): void;
}


export interface Portal extends TestApp {
  /** http://127.0.0.1:<port>, also the app's BASE_URL (links in mails point here). */
  base: string;
}

/**
 * The app built in-process (so tests can seed fixtures into its database) and listening on a
 * real port: the browser talks HTTP to it like to a deployed portal.
 */
export async function startPortal(t: Teardown, env: Record<string, string> = {}): Promise<Portal> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const testApp = await startTestApp(t, { BASE_URL: base, ...env });
  await testApp.app.listen({ port, host: '127.0.0.1' });
  return { ...testApp, base };
}

export interface SpawnedPortal {
  base: string;
  smtp: SmtpPeer;
  /** The one-time setup link the server printed on its console. */
  setupLink: string;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
}

/**
 * `node src/server.ts` as its own process, configured only through the environment, exactly as
 * an operator starts it: an empty DATA_DIR (PGlite), or a fresh database on the server of
 * DATABASE_URL. Resolves once the console shows "läuft" and the setup link.
 */
export async function spawnPortal(t: Teardown): Promise<SpawnedPortal> {
  const smtp = await startSmtpPeer();
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const database = process.env.DATABASE_URL ? await createPostgresTestDatabase(process.env.DATABASE_URL) : null;
  // A clean environment: nothing of tap's (NODE_OPTIONS, TAP_*) leaks into the server.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: base,
    SMTP_URL: smtp.url,
    MAIL_POLLING_SECONDS: '0.5',
    LOG_LEVEL: 'warn',
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  const child = spawn(process.execPath, ['src/server.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    await smtp.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const setupLink = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => done(new Error(`server did not start within 60 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 60_000);
    const check = () => {
      const link = /(https?:\/\/\S+\/einrichtung\/\S+)/.exec(stdout);
      if (stdout.includes('läuft') && link) done(null, link[1]!);
    };
    const onExit = () => done(new Error(`server exited with ${child.exitCode}\nstdout: ${stdout}\nstderr: ${stderr}`));
    function done(error: Error | null, link?: string) {
      clearTimeout(deadline);
      child.stdout.off('data', check);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(link!);
    }
    child.stdout.on('data', check);
    child.once('exit', onExit);
    check();
  });
  return { base, smtp, setupLink, stdout: () => stdout };
}

export async function launchBrowser(t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
  t.teardown(() => browser.close());
  return browser;
}

/** A person at their own browser: a fresh context (own cookies) with JavaScript off. */
export async function newVisitor(browser: Browser, base: string, audit?: AxeAudit): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL: base, locale: 'de-DE', viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  audit?.watch(context);
  return context.newPage();
}

export interface World {
  portal: Portal;
  browser: Browser;
  audit: AxeAudit;
  /** A new person at a new browser window (own cookies), watched by the audit. */
  visitor(): Promise<Page>;
}

/**
 * One portal and one browser for a whole test file, started by the first test that asks (so a
 * file whose tests all skip starts nothing) and closed when the file ends.
 */
export function sharedWorld(t: Teardown, env: Record<string, string> = {}): () => Promise<World> {
  let world: Promise<World> | null = null;
  return () =>
    (world ??= (async () => {
      const portal = await startPortal(t, env);
      const browser = await launchBrowser(t);
      const audit = new AxeAudit(browser);
      return { portal, browser, audit, visitor: () => newVisitor(browser, portal.base, audit) };
    })());
}

/** Runs an action that makes the page navigate (a click on a submit button, a link) and waits for the new page. */
export async function navigating(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

/** Clicks a button or link and waits until the answer is loaded. */
export function clickThrough(page: Page, target: Locator): Promise<void> {
  return navigating(page, () => target.click());
}

/**
 * The input a label names, as a person reads it: the label text, with or without the "*" that
 * marks a required field (Playwright matches label text including the aria-hidden star).
 */
export function field(scope: Page | Locator, label: string): Locator {
  return scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: \\*)?$`));
}

/** Logs in through the form as a person does: Login, Passwort, "Anmelden". */
export async function logIn(page: Page, login: string, password: string): Promise<void> {
  await page.goto('/anmelden');
  await field(page, 'Login').fill(login);
  await field(page, 'Passwort').fill(password);
  await clickThrough(page, page.getByRole('button', { name: 'Anmelden' }));
}

export async function logOut(page: Page): Promise<void> {
  await clickThrough(page, page.getByRole('button', { name: 'Abmelden' }));
}

/** Opens a set-password link and sets the password with the page's two fields. */
export async function setPasswordThroughLink(page: Page, url: string, password: string): Promise<void> {
  await page.goto(url);
  await field(page, 'Neues Passwort').fill(password);
  await field(page, 'Neues Passwort wiederholen').fill(password);
  await clickThrough(page, page.getByRole('button', { name: 'Passwort speichern' }));
}

/** The newest mail to `address` once at least `count` have arrived. */
export async function nthMailTo(smtp: SmtpPeer, address: string, count: number): Promise<ReceivedMail> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mails = smtp.received.filter((m) => m.to.includes(address));
    if (mails.length >= count) return mails[count - 1]!;
    if (Date.now() > deadline) throw new Error(`expected ${count} mails to ${address}, got ${mails.length} (all: ${smtp.received.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ') || 'none'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The link in a mail as an absolute URL (it points at BASE_URL, i.e. this portal). */
export function linkIn(mail: ReceivedMail): string {
  return linkFromMail(mail).url;
}

/** Presses Tab until `target` has the focus (autofocus counts): keyboard only, no mouse. */
export async function tabTo(page: Page, target: Locator, maxPresses = 60): Promise<void> {
  for (let i = 0; i <= maxPresses; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`focus never reached ${target} within ${maxPresses} Tab presses`);
}

/** A custom property of the style sheet, as the browser resolved it on the root element. */
export function cssVariable(page: Page, name: string): Promise<string> {
  return page.locator('html').evaluate((root, property) => getComputedStyle(root).getPropertyValue(property).trim(), name);
}

/** The computed background colour of an element, as the browser paints it. */
export function backgroundOf(target: Locator): Promise<string> {
  return target.evaluate((element) => getComputedStyle(element).backgroundColor);
}

// ---------------------------------------------------------------------------------------------
// Accessibility with axe-core.
//
// The pages run with JavaScript off and CSP "script-src 'none'", so axe cannot run in the
// contexts the flows use. Re-requesting a URL in a second, JS-enabled context would miss every
// page that answers a POST (validation errors, the import preview) and could change state
// (flash messages, one-time pages). So the audit records the exact HTML of every page the
// browser loaded (each main-frame document response that is not a redirect) and replays it in
// a second context with JavaScript on and CSP bypassed: the same URL is served the recorded
// HTML through page.route, the style sheet comes from the real server, and axe runs there.
// A meta refresh is removed from the replay so the page holds still while axe looks at it.

interface Snapshot {
  method: string;
  url: string;
  status: number;
  html: string | null;
  error?: string;
}

/** A phone (390 px, the issue's narrowest screen) and a desktop window. */
const layoutWidths = [390, 1280];

interface Layout {
  width: number;
  scrollWidth: number;
  clientWidth: number;
  /** Elements reaching past the right edge of the page, when it scrolls sideways. */
  overflowing: string[];
  /** Controls and navigation links smaller than 44 × 44 px (WCAG 2.5.5), with their size. */
  smallTargets: string[];
}

interface Checked {
  violations: Violation[];
  layouts: Layout[];
}

/**
 * Runs in the page: does the page scroll sideways (scrollWidth beyond the viewport), and which
 * touch targets are below 44 px. Links inside running text are exempt, as in WCAG; a checkbox or
 * radio counts with its label, which toggles it too.
 */
function measureLayout(): Omit<Layout, 'width'> {
  const root = document.documentElement;
  const name = (element: Element) => {
    const label = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30) || element.getAttribute('name') || element.getAttribute('type') || '';
    return `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? '.' + element.className.trim().split(/\s+/).join('.') : ''}${label ? ` „${label}“` : ''}`;
  };
  const visible = (element: Element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
  };
  const overflowing: string[] = [];
  if (root.scrollWidth > root.clientWidth) {
    for (const element of document.body.querySelectorAll('*')) {
      if (!visible(element) || element.closest('.table-scroll')) continue;
      const box = element.getBoundingClientRect();
      if (box.right > root.clientWidth + 0.5 && !(element.parentElement && element.parentElement.getBoundingClientRect().right > root.clientWidth + 0.5)) overflowing.push(`${name(element)} (${Math.round(box.right)} px)`);
    }
  }
  const targets = 'button, .button, input:not([type="hidden"]), select, textarea, nav a, footer a, .actions a, .pagination a, .search a, th a, .page-head a';
  const smallTargets: string[] = [];
  for (const element of document.querySelectorAll(targets)) {
    if (!visible(element)) continue;
    const box = element.getBoundingClientRect();
    const input = element as HTMLInputElement;
    const areas = [box, ...((input.type === 'checkbox' || input.type === 'radio') && input.labels ? [...input.labels].map((label) => label.getBoundingClientRect()) : [])];
    if (!areas.some((area) => area.height >= 43.5 && area.width >= 43.5)) smallTargets.push(`${name(element)} (${Math.round(box.width)}×${Math.round(box.height)})`);
  }
  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, overflowing: overflowing.slice(0, 8), smallTargets };
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string; summary: string }[];
}

function pageKey(snapshot: Snapshot): string {
  const path = new URL(snapshot.url).pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id')
    .replace(/\/[A-Za-z0-9_-]{40,}/g, '/:token');
  const html = snapshot.html ?? '';
  // The same page in a visibly different state (a message, a selected row, the context bar) counts on its own.
  const state = ['class="flash"', 'role="alert"', 'class="selected"', 'context-bar'].map((marker) => (html.includes(marker) ? '1' : '0')).join('');
  return `${snapshot.method} ${path} ${snapshot.status} ${state}`;
}

function describe(snapshot: Snapshot): string {
  const url = new URL(snapshot.url);
  const path = url.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id').replace(/\/[A-Za-z0-9_-]{40,}/g, '/…');
  return `${snapshot.method} ${path}${url.search ? '?…' : ''} (${snapshot.status})`;
}

export function formatViolations(violations: Violation[]): string {
  return violations
    .map((v) => [`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`, ...v.nodes.map((n) => `      ${n.target}\n        ${n.summary.replace(/\n/g, '\n        ')}`)].join('\n'))
    .join('\n');
}

export class AxeAudit {
  readonly #browser: Browser;
  #context: Promise<BrowserContext> | null = null;
  readonly #pending: Promise<Snapshot>[] = [];
  readonly #checked = new Set<string>();

  constructor(browser: Browser) {
    this.#browser = browser;
  }

  /** Records every page this context loads. */
  watch(context: BrowserContext): void {
    context.on('response', (response) => {
      const request = response.request();
      if (request.resourceType() !== 'document' || !request.isNavigationRequest()) return;
      const status = response.status();
      if (status >= 300 && status < 400) return;
      if (!(response.headers()['content-type'] ?? '').includes('text/html')) return;
      const base = { method: request.method(), url: response.url(), status };
      this.#pending.push(response.text().then((html) => ({ ...base, html }), (error: unknown) => ({ ...base, html: null, error: String(error) })));
    });
  }

  /** One assertion per page (and state) visited since the last check: no serious or critical violation. */
  async check(t: { pass(message: string): void; fail(message: string): void; comment(message: string): void }): Promise<void> {
    const snapshots = (await Promise.all(this.#pending.splice(0))).filter((snapshot) => {
      const key = pageKey(snapshot);
      if (this.#checked.has(key)) return false;
      this.#checked.add(key);
      return true;
    });
    // Three pages at a time; the assertions follow in the order the pages were visited.
    const results: Promise<Checked | Error>[] = [];
    for (const [i, snapshot] of snapshots.entries()) {
      const turn = results[i - 3] ?? Promise.resolve([]);
      results.push(turn.then(() => (snapshot.html === null ? { violations: [], layouts: [] } : this.#run(snapshot))).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
    }
    for (const [i, snapshot] of snapshots.entries()) {
      const name = `axe: ${describe(snapshot)} has no serious or critical violation`;
      const checked = await results[i]!;
      if (snapshot.html === null || checked instanceof Error) {
        t.fail(`${name} – the page could not be checked: ${snapshot.error ?? (checked as Error).message}`);
        continue;
      }
      for (const layout of checked.layouts) {
        const fits = `${layout.width} px: ${describe(snapshot)} does not scroll sideways`;
        if (layout.scrollWidth <= layout.clientWidth) t.pass(fits);
        else t.fail(`${fits} – the page is ${layout.scrollWidth} px wide; too wide: ${layout.overflowing.join(', ')}`);
        const touch = `${layout.width} px: every control and navigation link on ${describe(snapshot)} is a touch target of at least 44 × 44 px`;
        if (layout.smallTargets.length === 0) t.pass(touch);
        else t.fail(`${touch} – smaller: ${layout.smallTargets.join(', ')}`);
      }
      const all = checked.violations;
      const violations = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      // AXE_ALL=1 also lists the moderate and minor findings (for a look, not for failing).
      const lesser = all.filter((v) => !violations.includes(v));
      if (process.env.AXE_ALL && lesser.length) t.comment(`axe (moderate/minor) on ${describe(snapshot)}:\n${formatViolations(lesser)}`);
      if (violations.length) t.fail(`${name}\n${formatViolations(violations)}`);
      else t.pass(name);
    }
  }

  async #run(snapshot: Snapshot): Promise<Checked> {
    this.#context ??= this.#browser.newContext({ javaScriptEnabled: true, bypassCSP: true, locale: 'de-DE', viewport: { width: 1200, height: 900 } }).then(async (context) => {
      await context.addInitScript({ path: axePath });
      return context;
    });
    const page = await (await this.#context).newPage();
    try {
      const html = snapshot.html!.replace(/<meta http-equiv="refresh"[^>]*>/gi, '');
      await page.route((url) => url.href === snapshot.url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
      await page.goto(snapshot.url, { waitUntil: 'load' });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; helpUrl: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe;
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: n.failureSummary ?? '' })),
        }));
      });
      const layouts: Layout[] = [];
      for (const width of layoutWidths) {
        await page.setViewportSize({ width, height: 844 });
        layouts.push({ width, ...(await page.evaluate(measureLayout)) });
      }
      return { violations, layouts };
    } finally {
      await page.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Print: emulate print media and look at what would be on paper.

export interface Asserts {
  ok(value: unknown, message: string): void;
  notOk(value: unknown, message: string): void;
  equal(found: unknown, wanted: unknown, message: string): void;
  same(found: unknown, wanted: unknown, message: string): void;
  match(found: unknown, pattern: string | RegExp, message: string): void;
}

/**
 * The page printed: no header, navigation, footer or buttons; the main table with all its
 * `rows` rows, each visible and inside the page width.
 */
export async function assertPrintsCleanly(t: Asserts, page: Page, rows: number): Promise<void> {
  await page.emulateMedia({ media: 'print' });
  try {
    t.notOk(await page.locator('header').first().isVisible(), 'the header is not printed');
    t.notOk(await page.locator('nav').first().isVisible(), 'the navigation is not printed');
    t.notOk(await page.locator('footer').isVisible(), 'the footer is not printed');
    const controls = page.locator('main button, main .button, main input[type="radio"], main input[type="search"]');
    const shown: string[] = [];
    for (const control of await controls.all()) if (await control.isVisible()) shown.push((await control.textContent())?.trim() || (await control.getAttribute('type')) || '?');
    t.equal(shown.join(', '), '', `no button or form control is printed (${await controls.count()} on the page)`);
    const table = page.locator('main table').last();
    const body = table.locator('tbody tr');
    t.equal(await body.count(), rows, `the table has all ${rows} rows`);
    let visible = 0;
    for (const row of await body.all()) if (await row.isVisible()) visible += 1;
    t.equal(visible, rows, 'every row is printed');
    const box = await table.boundingBox();
    const width = page.viewportSize()?.width ?? 0;
    t.ok(box && box.x >= 0 && box.x + box.width <= width + 1, `the table fits the page width (${box ? Math.round(box.x + box.width) : '?'} ≤ ${width})`);
    const clipped = await table.evaluate((element) => element.scrollWidth > element.clientWidth + 1 || element.scrollHeight > element.clientHeight + 1);
    t.notOk(clipped, 'nothing of the table is cut off');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
}
