// Every text the portal shows or mails, in German with the informal "du". A second language
// would be a second file of the same shape.

const dateTime = new Intl.DateTimeFormat('de-DE', {
  timeZone: 'Europe/Berlin',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "28.11.2026 14:00" in German local time. */
export function formatDateTime(date: Date): string {
  return dateTime.format(date).replace(',', '');
}

export function formatHours(hours: number): string {
  if (hours % 24 === 0) return hours === 24 ? '24 Stunden' : `${hours / 24} Tage`;
  return hours === 1 ? '1 Stunde' : `${hours} Stunden`;
}

export const text = {
  product: 'AgileAS Reseller-Portal',
  productShort: 'AgileAS',
  skipToContent: 'Zum Inhalt springen',
  roles: { operator: 'Betrieb (Support)', reseller: 'Reseller', user: 'Anwender' } as Record<string, string>,
  nav: {
    label: 'Hauptnavigation',
    account: 'Mein Konto',
    myApplications: 'Meine Anwendungen',
    logout: 'Abmelden',
    loggedInAs: (name: string, login: string) => `Angemeldet als ${name} (${login})`,
  },
  footer: { impressum: 'Impressum', help: 'Hilfe', support: 'Support' },
  form: {
    required: 'Pflichtfeld',
    requiredMark: '*',
    errorSummary: 'Bitte prüfe deine Eingaben:',
    save: 'Speichern',
  },
  field: {
    missing: (label: string) => `Bitte gib ${label} an.`,
    tooLong: (max: number) => `Bitte höchstens ${max} Zeichen eingeben.`,
    controlChars: 'Bitte keine Steuerzeichen (z. B. Zeilenumbrüche oder Tabulatoren) verwenden.',
    nameChars: 'Bitte nur Buchstaben, Leerzeichen, Bindestrich, Apostroph und Punkt verwenden; der Name muss mit einem Buchstaben beginnen.',
    email: 'Bitte gib eine gültige E-Mail-Adresse an, z. B. name@firma.de.',
  },
  labels: {
    firstName: 'Vorname',
    lastName: 'Nachname',
    email: 'E-Mail-Adresse',
    login: 'Login',
    password: 'Passwort',
    currentPassword: 'Aktuelles Passwort',
    newPassword: 'Neues Passwort',
    newPasswordRepeat: 'Neues Passwort wiederholen',
    role: 'Rolle',
  },
  labelsAccusative: {
    firstName: 'deinen Vornamen',
    lastName: 'deinen Nachnamen',
    email: 'deine E-Mail-Adresse',
  },
  password: {
    hint: (min: number) => `Mindestens ${min} Zeichen. Ein Satz aus mehreren Wörtern ist gut zu merken und schwer zu erraten. Alle Zeichen sind erlaubt, auch Leerzeichen und Umlaute.`,
    required: 'Bitte gib ein Passwort ein.',
    tooShort: (min: number, length: number) => `Das Passwort ist zu kurz: mindestens ${min} Zeichen, du hast ${length} eingegeben.`,
    tooLong: (max: number) => `Das Passwort ist zu lang: höchstens ${max} Zeichen.`,
    common: 'Dieses Passwort steht auf einer Liste häufig benutzter Passwörter und ist leicht zu erraten. Bitte wähle ein anderes.',
    containsLogin: 'Das Passwort darf deinen Login nicht enthalten.',
    containsName: 'Das Passwort darf deinen Vor- oder Nachnamen nicht enthalten.',
    mismatch: 'Die beiden Passwörter stimmen nicht überein.',
    currentWrong: 'Das aktuelle Passwort stimmt nicht.',
    repeatRequired: 'Bitte wiederhole das neue Passwort.',
  },
  login: {
    title: 'Anmelden',
    intro: 'Melde dich mit deinem Login und deinem Passwort an.',
    submit: 'Anmelden',
    failed: 'Login oder Passwort ist falsch, oder das Konto ist nicht aktiv.',
    throttled: (minutes: number) =>
      `Zu viele fehlgeschlagene Anmeldeversuche. Bitte warte ${minutes === 1 ? 'eine Minute' : `${minutes} Minuten`} und versuche es dann erneut.`,
    forgot: 'Passwort vergessen?',
    missingLogin: 'Bitte gib deinen Login ein.',
    missingPassword: 'Bitte gib dein Passwort ein.',
    neverAsk: 'Niemand von AgileAS oder deinem Reseller wird dich jemals nach deinem Passwort fragen.',
  },
  logout: { done: 'Du bist abgemeldet.', submit: 'Abmelden' },
  session: { expired: 'Deine Sitzung ist abgelaufen. Bitte melde dich erneut an.', required: 'Bitte melde dich an, um diese Seite zu sehen.' },
  link: {
    setTitle: 'Passwort festlegen',
    setIntro: (login: string) => `Hier legst du das Passwort für deinen Login „${login}“ fest.`,
    setSubmit: 'Passwort speichern',
    done: (login: string) => `Dein Passwort ist gespeichert. Melde dich jetzt mit deinem Login „${login}“ an.`,
    invalidTitle: 'Dieser Link funktioniert nicht mehr',
    invalidIntro:
      'Der Link ist nicht (mehr) gültig. Das passiert, wenn er bereits benutzt wurde, wenn inzwischen ein neuerer Link verschickt wurde, wenn du dich mit deinem bisherigen Passwort angemeldet hast oder wenn er abgelaufen ist.',
    requestIntro: 'Du kannst dir einen neuen Link an die hinterlegte E-Mail-Adresse schicken lassen.',
    requestSubmit: 'Neuen Link anfordern',
    requested:
      'Falls dieser Link zu einem aktiven Konto gehört und erneuert werden kann, ist ein neuer Link an die hinterlegte E-Mail-Adresse unterwegs. Bitte schau in dein Postfach.',
    loginInstead: 'Du kennst dein Passwort? Dann melde dich einfach an.',
    supportHint: (email: string) => `Kommst du nicht weiter? Schreib uns an ${email}.`,
  },
  forgot: {
    title: 'Passwort vergessen',
    intro: 'Gib deinen Login oder deine E-Mail-Adresse ein. Wir schicken dir einen Link, mit dem du ein neues Passwort festlegen kannst. Dein bisheriges Passwort gilt weiter, bis du den Link benutzt.',
    field: 'Login oder E-Mail-Adresse',
    submit: 'Link anfordern',
    missing: 'Bitte gib deinen Login oder deine E-Mail-Adresse ein.',
    done: 'Falls wir ein aktives Konto zu deiner Eingabe finden, ist ein Link an die hinterlegte E-Mail-Adresse unterwegs. Bitte schau in dein Postfach.',
  },
  setup: {
    title: 'Ersten Betriebs-Zugang einrichten',
    intro:
      'Das Portal hat noch keinen Zugang für den Betrieb (Support). Lege hier den ersten an. Der Login wird aus deinem Namen gebildet; das Passwort wählst du gleich selbst.',
    submit: 'Zugang anlegen',
    invalidTitle: 'Dieser Einrichtungslink funktioniert nicht mehr',
    invalidIntro:
      'Der Link ist abgelaufen, wurde schon benutzt, oder es gibt bereits einen Betriebs-Zugang. Starte das Portal neu, um einen frischen Link zu erhalten, solange noch kein Betriebs-Zugang existiert.',
    done: (login: string) => `Dein Zugang ist angelegt. Dein Login lautet „${login}“. Melde dich jetzt an.`,
    consoleLine: (url: string, minutes: number) =>
      `Noch kein Betriebs-Zugang vorhanden. Einmaliger Einrichtungslink (${minutes} Minuten gültig):\n  ${url}`,
  },
  account: {
    title: 'Mein Konto',
    dataTitle: 'Deine Daten',
    passwordTitle: 'Passwort ändern',
    passwordIntro: 'Nach der Änderung werden alle deine anderen Sitzungen beendet und du bekommst eine Bestätigung per E-Mail.',
    passwordSubmit: 'Passwort ändern',
    passwordChanged: 'Dein Passwort ist geändert. Alle anderen Sitzungen wurden beendet.',
    noPasswordYet: 'Du hast noch kein Passwort.',
  },
  myApplications: {
    title: 'Meine Anwendungen',
    none: 'Für dich sind noch keine Anwendungen freigeschaltet. Wende dich an deinen Ansprechpartner, wenn du Zugriff brauchst.',
  },
  pages: {
    impressumTitle: 'Impressum',
    impressumProvider: 'Angaben gemäß § 5 DDG',
    representative: 'Vertreten durch',
    contact: 'Kontakt',
    phone: 'Telefon',
    register: 'Registereintrag',
    vatId: 'Umsatzsteuer-ID',
    helpTitle: 'Hilfe für Reseller',
    notFoundTitle: 'Seite nicht gefunden',
    notFoundText: 'Diese Seite gibt es nicht, oder du hast keinen Zugriff darauf.',
    errorTitle: 'Da ist etwas schiefgelaufen',
    errorText: 'Beim Bearbeiten deiner Anfrage ist ein Fehler aufgetreten. Es wurde nichts halb gespeichert. Bitte versuche es noch einmal.',
    errorReference: (id: string) => `Fehlernummer für den Support: ${id}`,
    forbiddenTitle: 'Kein Zugriff',
    forbiddenText: 'Für diese Seite fehlt dir die Berechtigung.',
    csrfTitle: 'Formular abgelaufen',
    csrfText: 'Das Formular war zu alt oder kam nicht von dieser Seite. Bitte lade die Seite neu und sende es noch einmal.',
    tooManyTitle: 'Zu viele Anfragen',
    tooManyText: 'Du hast in kurzer Zeit sehr viele Anfragen gestellt. Bitte warte einen Moment und versuche es dann erneut.',
    tooLargeTitle: 'Zu viele Daten',
    tooLargeText: 'Die gesendeten Daten sind zu groß.',
    badRequestTitle: 'Ungültige Anfrage',
    badRequestText: 'Die Anfrage konnte nicht gelesen werden. Bitte lade die Seite neu und versuche es noch einmal.',
    backHome: 'Zur Startseite',
  },
  help: {
    intro:
      'Diese Seite beschreibt, wie du als Reseller deine Kunden auf AgileAS bringst: von Hand, Mandant für Mandant, oder per Tabelle, wenn du schon eine Kundenliste hast.',
    sections: [
      {
        title: 'Mandanten von Hand anlegen',
        paragraphs: [
          'Im Tab „Mandanten“ legst du neue Mandanten an. Mandanten sind immer Unternehmen, denn AgileAS ist ein reines B2B-Portal; Mandantendaten gelten daher nicht als personenbezogene Daten.',
          'Fehlt etwas oder ist eine Angabe nicht stimmig, sagt dir das Portal direkt am jeweiligen Feld, was noch gebraucht wird.',
        ],
        steps: [] as string[],
      },
      {
        title: 'Anwender von Hand anlegen',
        paragraphs: ['Sobald der Mandant angelegt ist, legst du seine Anwender an:'],
        steps: [
          'Wechsle in den Tab „Mandanten“.',
          'Wähle den Mandanten aus; seine ganze Zeile in der Tabelle ist dann blau markiert.',
          'Klicke auf „Als ausgewählter Mandant arbeiten“. Oben auf jeder Seite siehst du nun, für welchen Mandanten du arbeitest.',
          'Wechsle in den Tab „Anwender“. Dort siehst du alle Anwender dieses Mandanten.',
          'Klicke auf „Neu“. Wichtig sind Name und E-Mail-Adresse: Aus dem Namen wird der Login gebildet, an die E-Mail-Adresse geht der Link, mit dem sich der Anwender sein Passwort selbst wählt. Fehlt noch etwas, sagt dir das Portal, was.',
          'Wähle den neuen Anwender aus; seine ganze Zeile ist dann blau markiert.',
          'Klicke auf „(Ersatz-) Passwort-Link versenden“. Der Anwender bekommt eine E-Mail mit dem Link, mit dem er ein neues Passwort wählt.',
        ],
      },
      {
        title: 'Was ein Passwort-Link bewirkt',
        paragraphs: [
          'Wird ein Zugang angelegt, bekommt der neue Anwender automatisch einen Link, mit dem er sein eigenes Passwort festlegt.',
          'Ein neuer Link ersetzt das bisherige Passwort nicht sofort. Ein Anwender, der schon ein Passwort hat, kann auf zwei Arten reagieren: Er nutzt den Link und wählt ein neues Passwort – dann gilt das alte nicht mehr. Oder er meldet sich mit seinem bisherigen Passwort an – dann verfällt der Link, und das Passwort bleibt, wie es war.',
          'Ein Link funktioniert nur einmal und nur eine Zeit lang; wird ein neuer verschickt, gilt nur noch der neueste.',
        ],
        steps: [] as string[],
      },
      {
        title: 'Umzug auf die Plattform und Datenimport',
        paragraphs: [
          'Du hast schon eine Liste von Mandanten und Anwendern? Prima! Schreib unserem Support, dann stellen wir dir die Unterlagen für den Import zusammen. So läuft es im Wesentlichen ab:',
        ],
        steps: [
          'Wir geben dir die Tabelle, in die du die Daten deiner Mandanten und Anwender einträgst.',
          'Wir stimmen gemeinsam ab, wie du deine Kunden über den Umzug informierst: Was passiert mit den Daten? Geben die Verträge mit deinen Kunden den Umzug her? Welchen Nutzen haben deine Kunden? Was musst du vorbereiten, was müssen deine Kunden und Anwender tun? Welche Anwendungen buchen wir für deine Kunden, und welche Zugriffsrechte bekommen ihre Anwender?',
          'Wir importieren die Daten.',
          'Du informierst deine Kunden.',
          'Wir versenden die Links, mit denen sich die Anwender ihre Passwörter selbst geben.',
          'Wir betreuen die Kunden gemeinsam und klären offene Fragen.',
        ],
      },
      {
        title: 'Passwörter sind geheim',
        paragraphs: [
          'Als Reseller fragst du deine Kunden niemals nach ihrem Passwort. Auch OKIT wird dich oder deine Kunden niemals nach einem Passwort fragen. Passwörter sind vertraulich und geheim – niemand außer dem Anwender selbst kennt sie, auch nicht das Portal: Es speichert nur einen nicht umkehrbaren Fingerabdruck.',
        ],
        steps: [] as string[],
      },
    ],
    contact: (email: string) => `Fragen? Unser Support hilft dir gern: ${email}`,
  },
  mail: {
    greeting: (firstName: string, lastName: string) => `Hallo ${firstName} ${lastName},`,
    loginLine: (login: string) => `dein Login: ${login}`,
    invitationSubject: 'Dein Zugang zu AgileAS: bitte Passwort festlegen',
    invitationIntro: 'für dich wurde ein Zugang zu AgileAS angelegt. Mit dem folgenden Link legst du dein Passwort selbst fest:',
    resetSubject: 'AgileAS: Link für ein neues Passwort',
    resetIntro:
      'für deinen Zugang zu AgileAS wurde ein Link angefordert, mit dem du ein neues Passwort festlegen kannst. Dein bisheriges Passwort gilt weiter, bis du den Link benutzt. Meldest du dich stattdessen mit deinem bisherigen Passwort an, verfällt der Link.',
    validUntil: (hours: string, until: string) => `Der Link ist ${hours} gültig (bis ${until} Uhr) und funktioniert nur einmal.`,
    changedSubject: 'Dein Passwort wurde geändert',
    changedIntro: (when: string) => `das Passwort für deinen Zugang zu AgileAS wurde am ${when} Uhr geändert.`,
    changedNotYou: 'Warst du das nicht? Dann wende dich bitte sofort an den Support.',
    neverAsk: 'Wichtig: Niemand von AgileAS, OKIT oder deinem Reseller wird dich jemals nach deinem Passwort fragen. Gib es nie weiter.',
    support: (email: string) => `Fragen? Schreib an ${email}.`,
    signature: 'Viele Grüße\ndein AgileAS-Team',
    linkButton: 'Passwort festlegen',
  },
  deliveryStates: {
    queued: 'Link wird zugestellt',
    sent: 'Zugestellt',
    retrying: 'Zustellung fehlgeschlagen – wird wiederholt',
    failed: 'Zustellung fehlgeschlagen',
    dropped: 'Nicht versendet (überholt)',
  } as Record<string, string>,
};

export type Text = typeof text;
