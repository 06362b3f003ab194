import t from 'tap';
import { createViews } from '../../src/app.ts';
import type { MailKind, Role } from '../../src/db/types.ts';
import { createMailRenderer, type MailContent } from '../../src/mail/templates.ts';
import { visibleText } from '../helpers/browser.ts';

// Every mail read as its recipient reads it: an Anwender of a Mandant, a reseller's staff
// member, the platform's operator; for the invitation, the replacement link, the first password
// and a real password change. Rendered by the real renderer with the real Eta views.

const support = 'agilas-support@okit.de';
const renderer = createMailRenderer(createViews(false), support);
const linkUrl = 'http://portal.test/passwort-link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function render(kind: MailKind, role: Role) {
  const content: MailContent = {
    kind,
    role,
    to: 'jana@example.de',
    login: 'jana.jansen',
    firstName: 'Jana',
    lastName: 'Jansen',
    changedAt: new Date('2026-12-03T09:15:00Z'),
    ...(kind === 'invitation' || kind === 'reset' ? { linkUrl, linkHours: kind === 'invitation' ? 72 : 24, expiresAt: new Date('2026-12-06T09:15:00Z') } : {}),
  };
  const mail = renderer.render(content);
  return { ...mail, html: visibleText(mail.html) };
}

const roles: Role[] = ['user', 'reseller', 'operator'];
const kinds: MailKind[] = ['invitation', 'reset', 'password-set', 'password-changed'];

t.test('every mail: greeting by first name, "Dein Login:" capitalised, signed by the team, in text and HTML alike', async (t) => {
  for (const role of roles) {
    for (const kind of kinds) {
      const mail = render(kind, role);
      for (const [part, body] of [['text', mail.text], ['HTML', mail.html]] as const) {
        const what = `${kind} to ${role}, ${part}`;
        t.match(body, part === 'text' ? /^Hallo Jana,\n/ : /(^|\s)Hallo Jana, /, `${what}: "Hallo Jana," – du, first name`);
        t.match(body, 'Dein Login: jana.jansen', `${what}: "Dein Login:" with a capital D`);
        t.notMatch(body, 'dein Login', `${what}: never lower-case at the start of a line`);
        t.match(body, /Viele Grüße\s+Dein AgileAS-Team\s*$/, `${what}: signed "Viele Grüße / Dein AgileAS-Team"`);
        t.match(body, support, `${what}: names the support address`);
        t.notMatch(body, 'Jansen', `${what}: no surname in the greeting of a du-mail`);
      }
    }
  }
});

t.test('reseller staff and operators are pointed to the platform, never to "deinem Reseller"', async (t) => {
  for (const role of ['reseller', 'operator'] as const) {
    for (const kind of kinds) {
      const mail = render(kind, role);
      t.notMatch(mail.text, 'deinem Reseller', `${kind} to ${role}: no "deinem Reseller" – they are the reseller or run the platform`);
      t.match(mail.text, 'wird dich jemals nach deinem Passwort fragen', `${kind} to ${role}: still the never-ask sentence`);
    }
  }
  t.match(render('invitation', 'user').text, 'Niemand von AgileAS, OKIT oder deinem Reseller', 'an Anwender is warned that not even the reseller asks');
  t.match(render('invitation', 'reseller').text, 'frag auch deine Kunden nie nach ihrem', 'staff are reminded not to ask their customers');
});

t.test('the invitation says what the access is for, per recipient', async (t) => {
  t.equal(render('invitation', 'user').subject, 'Dein Zugang zu AgileAS: bitte Passwort festlegen');
  t.equal(render('invitation', 'reseller').subject, 'Dein Zugang zum AgileAS Reseller-Portal: bitte Passwort festlegen');
  t.equal(render('invitation', 'operator').subject, 'Dein Betriebs-Zugang zum AgileAS Reseller-Portal: bitte Passwort festlegen');
  t.match(render('invitation', 'reseller').text, 'Dort legst du die Mandanten deiner Kunden und ihre Anwender an.');
  t.match(render('invitation', 'operator').text, 'Damit verwaltest du die Reseller der Plattform.');
  const invitation = render('invitation', 'user');
  t.match(invitation.text, linkUrl, 'the link');
  t.match(invitation.text, 'Der Link ist 3 Tage gültig (bis 06.12.2026 10:15 Uhr) und funktioniert nur einmal.');
  t.notMatch(invitation.text, 'bisherige', 'no word of a password the person does not have yet');
});

t.test('the replacement link: the old password keeps working, and an unexpected link can be ignored', async (t) => {
  const reset = render('reset', 'user');
  t.equal(reset.subject, 'AgileAS: Link für ein neues Passwort');
  t.match(reset.text, 'Dein bisheriges Passwort gilt weiter, bis du den Link benutzt.');
  t.match(reset.text, 'Hast du keinen neuen Link erwartet? Dann kannst du diese E-Mail einfach ignorieren');
  t.notMatch(reset.text, 'angefordert', 'not "requested": the reseller may have sent it unasked');
});

t.test('the first password gets a calm welcome; a real change gets the alarm', async (t) => {
  for (const role of roles) {
    const first = render('password-set', role);
    t.equal(first.subject, 'Willkommen bei AgileAS: dein Passwort ist gespeichert', `${role}: a welcome subject`);
    t.match(first.text, 'Du hast am 03.12.2026 10:15 Uhr dein Passwort festgelegt.', `${role}: says what happened, with Berlin time`);
    t.notMatch(first.text, /Warst du das nicht|sofort|geändert/, `${role}: no alarm, no "changed"`);
    t.match(first.text, `Du hast gar kein Passwort festgelegt? Dann gib uns bitte kurz Bescheid: ${support}`, `${role}: a calm way to report a surprise`);

    const changed = render('password-changed', role);
    t.equal(changed.subject, 'Dein Passwort wurde geändert', `${role}: the change subject`);
    t.match(changed.text, 'das Passwort für deinen Zugang zu AgileAS wurde am 03.12.2026 10:15 Uhr geändert.');
    t.match(changed.text, `Warst du das nicht? Dann wende dich bitte sofort an den Support: ${support}`, `${role}: the alarm stays for a real change`);
  }
});
