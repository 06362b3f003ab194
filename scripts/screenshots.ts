// npm run screenshots: starts the portal on a throwaway embedded database with demo data,
// drives Debian's Chromium (JavaScript off, as our users may have it) and writes the main
// pages as PNGs into docs/screenshots/, which the README shows.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { seedDemoData } from './demo-data.ts';

const outDir = new URL('../docs/screenshots/', import.meta.url).pathname;
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const dataDir = mkdtempSync(join(tmpdir(), 'agileas-shots-'));
const database = await openDatabase({ databaseUrl: null, pgliteDir: null });
await migrateToLatest(database.db);
const demo = await seedDemoData(database.db);

const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', BASE_URL: 'http://127.0.0.1:3999', SESSION_SECRET: 'screenshots-screenshots-screenshots-0123', LOG_LEVEL: 'warn' });
const links: string[] = [];
const app = await buildApp({ config, database, printLine: (line) => links.push(line) });
await app.listen({ port: 3999, host: '127.0.0.1' });
const base = 'http://127.0.0.1:3999';

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
mkdirSync(outDir, { recursive: true });
try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 800 }, locale: 'de-DE' });
  const page = await context.newPage();
  const shot = (name: string) => page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

  await page.goto(`${base}/anmelden`);
  await shot('01-anmelden');

  await page.fill('#f-login', demo.reseller.login);
  await page.fill('#f-password', demo.reseller.password);
  await page.click('button:has-text("Anmelden")');
  process.stdout.write(`${page.url()}\n${(await page.textContent("main"))?.slice(0, 300)}\n`);
  await page.check(`input[value="${demo.tenantId}"]`);
  await shot('02-mandanten-auswahl');

  await page.click('button:has-text("Als ausgewählter Mandant arbeiten")');
  await page.click('nav.tabs >> text=Anwender');
  await shot('03-anwender');

  await page.click('a:has-text("Neu")');
  await page.fill('#f-firstName', 'Jörg2');
  await page.click('button:has-text("Speichern")');
  await shot('04-anwender-neu-fehler');

  const linkPage = await context.newPage();
  await linkPage.goto(`${base}/passwort-link/${demo.linkToken}`);
  await linkPage.screenshot({ path: join(outDir, '05-passwort-festlegen.png'), fullPage: true });

  await page.goto(`${base}/mandanten/neu`);
  await page.fill('#f-name', 'Beispiel GmbH');
  await page.fill('#f-postalCode', '123');
  await page.click('button:has-text("Speichern")');
  await shot('06-mandant-neu-fehler');
  process.stdout.write(`Screenshots geschrieben nach ${outDir}\n`);
} finally {
  await browser.close();
  await app.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
