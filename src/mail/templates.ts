import type { Eta } from 'eta';
import type { MailKind, Role } from '../db/types.ts';
import { formatDateTime, formatHours, text } from '../i18n/de.ts';
import type { OutgoingMail } from './transport.ts';

export interface MailContent {
  kind: MailKind;
  /** The recipient's role: an Anwender, a reseller's staff or the platform's operator read different words. */
  role: Role;
  to: string;
  login: string;
  firstName: string;
  lastName: string;
  linkUrl?: string;
  linkHours?: number;
  expiresAt?: Date;
  changedAt: Date;
}

export interface MailRenderer {
  render(content: MailContent): OutgoingMail;
}

interface MailParagraphs {
  subject: string;
  paragraphs: string[];
  linkUrl?: string;
  after: string[];
}

function composeMail(content: MailContent, supportEmail: string): MailParagraphs {
  const t = text.mail;
  const greeting = t.greeting(content.firstName);
  const neverAsk = t.neverAsk[content.role];
  if (content.kind === 'password-set') {
    // The first password, chosen through the invitation: a welcome, not an alarm.
    return {
      subject: t.firstSubject,
      paragraphs: [greeting, t.firstIntro(formatDateTime(content.changedAt)), t.loginLine(content.login)],
      after: [neverAsk, t.firstNotYou(supportEmail)],
    };
  }
  if (content.kind === 'password-changed') {
    return {
      subject: t.changedSubject,
      paragraphs: [greeting, t.changedIntro(formatDateTime(content.changedAt)), t.loginLine(content.login), t.changedNotYou(supportEmail)],
      after: [neverAsk],
    };
  }
  if (!content.linkUrl || !content.expiresAt || !content.linkHours) throw new Error('A link mail needs its link and lifetime.');
  const validity = t.validUntil(formatHours(content.linkHours), formatDateTime(content.expiresAt));
  if (content.kind === 'invitation') {
    return {
      subject: t.invitationSubject[content.role],
      paragraphs: [greeting, t.invitationIntro[content.role]],
      linkUrl: content.linkUrl,
      after: [t.loginLine(content.login), validity, neverAsk, t.support(supportEmail)],
    };
  }
  return {
    subject: t.resetSubject,
    paragraphs: [greeting, t.resetIntro],
    linkUrl: content.linkUrl,
    after: [t.loginLine(content.login), validity, t.resetNotExpected, neverAsk, t.support(supportEmail)],
  };
}

/** Text part from the catalogue as is; HTML part through Eta, which escapes every value. */
export function createMailRenderer(eta: Eta, supportEmail: string): MailRenderer {
  return {
    render(content) {
      const mail = composeMail(content, supportEmail);
      const textBody = [...mail.paragraphs, ...(mail.linkUrl ? [mail.linkUrl] : []), ...mail.after, text.mail.signature].join('\n\n');
      const html = eta.render('mail/message.eta', { ...mail, buttonLabel: text.mail.linkButton, signature: text.mail.signature.split('\n') });
      return { to: content.to, subject: mail.subject, text: `${textBody}\n`, html, devLink: mail.linkUrl };
    },
  };
}
