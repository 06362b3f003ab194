import type { Eta } from 'eta';
import type { MailKind } from '../db/types.ts';
import { formatDateTime, formatHours, text } from '../i18n/de.ts';
import type { OutgoingMail } from './transport.ts';

export interface MailContent {
  kind: MailKind;
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
  const closing = [t.neverAsk, t.support(supportEmail)];
  if (content.kind === 'password-changed') {
    return {
      subject: t.changedSubject,
      paragraphs: [t.greeting(content.firstName, content.lastName), t.changedIntro(formatDateTime(content.changedAt)), t.loginLine(content.login), t.changedNotYou],
      after: closing,
    };
  }
  if (!content.linkUrl || !content.expiresAt || !content.linkHours) throw new Error('A link mail needs its link and lifetime.');
  return {
    subject: content.kind === 'invitation' ? t.invitationSubject : t.resetSubject,
    paragraphs: [t.greeting(content.firstName, content.lastName), content.kind === 'invitation' ? t.invitationIntro : t.resetIntro],
    linkUrl: content.linkUrl,
    after: [t.loginLine(content.login), t.validUntil(formatHours(content.linkHours), formatDateTime(content.expiresAt)), ...closing],
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
