import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import { coloursFor, createDevelopmentLogStream, formatLogLine, frame } from '../../src/web/dev-console.ts';
import { loggerOptions } from '../../src/web/logger.ts';

// `npm start` in development: what a person reads on the console. Real pino lines from the
// portal's own logger settings go through the development stream.

function collect(): { out: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { out, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** A Fastify instance with the portal's logger settings, writing into the development stream. */
async function developmentServer(t: { teardown(fn: () => unknown): void }, showRequests: boolean) {
  const { out, lines } = collect();
  const app = Fastify({ logger: loggerOptions('info', createDevelopmentLogStream(out, showRequests)) });
  app.get('/passwort-link/:token', async (request) => {
    request.log.info({ deliveryId: 'd-1', kind: 'invitation' }, 'Mail versendet');
    return 'ok';
  });
  t.teardown(() => app.close());
  return { app, lines };
}

t.test('request lines: none by default, one compact line each at LOG_LEVEL=debug, secrets cut out', async (t) => {
  const quiet = await developmentServer(t, false);
  t.equal((await quiet.app.inject({ url: '/passwort-link/geheim123?x=1' })).statusCode, 200);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(quiet.lines().length, 1, 'only the app’s own line: the two request lines are left out');
  t.match(quiet.lines()[0], /^\d\d:\d\d:\d\d INFO Mail versendet deliveryId=d-1 kind=invitation$/, 'a short readable line instead of JSON');

  const chatty = await developmentServer(t, true);
  await chatty.app.inject({ url: '/passwort-link/geheim123?x=1' });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(chatty.lines().length, 2, 'the app’s line and one line for the request, not two');
  t.match(chatty.lines()[1], /^\d\d:\d\d:\d\d GET \/passwort-link\/\[verborgen\]\?\[verborgen\] → 200 \d+ ms$/, 'method, redacted path, status and time');
  t.notMatch(chatty.lines().join('\n'), 'geheim123', 'the token never reaches the console');
});

t.test('warnings and errors keep their details; lines that are not JSON pass through', async (t) => {
  t.match(formatLogLine(JSON.stringify({ level: 40, time: Date.now(), msg: 'Mailversand fehlgeschlagen', deliveryId: 'd-2', error: '451 busy' }), false), /WARN Mailversand fehlgeschlagen deliveryId=d-2 error=451 busy$/);
  t.match(formatLogLine(JSON.stringify({ level: 50, time: Date.now(), msg: 'kaputt', err: { message: 'boom' } }), false), /FEHLER kaputt err=\{"message":"boom"\}$/);
  t.equal(formatLogLine('plain text', false), 'plain text');
});

t.test('a link stands out: framed, on a line of its own, copyable whole; colour only on a terminal', async (t) => {
  const url = 'http://localhost:3000/einrichtung/TOKEN_abc-123';
  const plain = frame(['Noch kein Betriebs-Zugang vorhanden. Einmaliger Einrichtungslink (60 Minuten gültig):', `  ${url}`]);
  const lines = plain.split('\n');
  t.equal(lines[0], '', 'an empty line before');
  t.match(lines[1], /^─{72}$/, 'a rule above');
  t.equal(lines[3], `  ${url}`, 'the link alone on its line, nothing after it');
  t.match(lines[4], /^─{72}$/, 'a rule below');
  t.notMatch(plain, '\u001b', 'no escape codes when the output is not a terminal (tests, log files)');

  const coloured = frame(['Mail an jana@example.de („Betreff“) gespeichert: /tmp/x.eml', `  Link: ${url}`], coloursFor(true));
  t.match(coloured, `\u001b[1m  Link: ${url}\u001b[22m`, 'on a terminal the link line is bold');
  t.match(coloured, /Link: \S+\u001b\[22m\n/, 'the escape code follows the URL directly, so a terminal still detects it');
});
