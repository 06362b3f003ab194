import t, { type Test } from 'tap';
import { findColumn } from '../../src/imports/columns.ts';
import { MAX_ROWS, readSpreadsheet, SpreadsheetError, toCsv, type SheetRows } from '../../src/imports/spreadsheet.ts';

// CSV files as spreadsheet programs save them: the bytes are written here in each encoding and
// with each delimiter, then read through readSpreadsheet exactly as an upload would be.

const header = ['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte'];
const joerg = ['K-1001', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', 'DE123456789', 'buchhaltung', 'Jörg', 'Müller', 'joerg.mueller@example.de', 'buchhaltung:nutzer'];

function lines(rows: string[][], delimiter = ';', eol = '\r\n'): string {
  return rows.map((row) => row.join(delimiter)).join(eol) + eol;
}

async function refusal(t: Test, file: Buffer): Promise<SpreadsheetError> {
  const error = await readSpreadsheet(file, 'kunden.csv').then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, SpreadsheetError, 'refused with a SpreadsheetError');
  return error as SpreadsheetError;
}

function assertJoerg(t: Test, sheet: SheetRows, line = 2) {
  t.equal(sheet.format, 'csv');
  t.same(sheet.rows, [
    {
      line,
      values: {
        customerNumber: 'K-1001', name: 'Müller Bau GmbH', street: 'Lindenweg 5', postalCode: '24103', city: 'Kiel', country: 'DE',
        vatId: 'DE123456789', applications: 'buchhaltung', firstName: 'Jörg', lastName: 'Müller', email: 'joerg.mueller@example.de', rights: 'buchhaltung:nutzer',
      },
    },
  ]);
}

t.test('UTF-8 without BOM, semicolons and CRLF', async (t) => {
  const sheet = await readSpreadsheet(Buffer.from(lines([header, joerg]), 'utf8'), 'kunden.csv');
  assertJoerg(t, sheet);
  t.equal(sheet.encoding, 'utf-8');
  t.equal(sheet.delimiter, ';');
  t.same(sheet.ignoredColumns, []);
});

t.test('UTF-8 with BOM and commas (LibreOffice, "CSV UTF-8"): the BOM does not stick to the first header', async (t) => {
  const sheet = await readSpreadsheet(Buffer.from('\uFEFF' + lines([header, joerg], ','), 'utf8'), 'kunden.csv');
  assertJoerg(t, sheet);
  t.equal(sheet.encoding, 'utf-8');
  t.equal(sheet.delimiter, ',');
  t.equal(sheet.columns[0], 'customerNumber', 'Kundennummer recognised despite the BOM before it');
});

t.test('Windows-1252 (Excel "CSV (Trennzeichen-getrennt)"): ä ö ü ß é and the euro sign at 0x80', async (t) => {
  const row = ['', 'Bäckerei Öztürk & Söhne', 'Große Straße 1', '80331', 'München', '', '', '', 'René', 'Weiß', 'rene@example.de', ''];
  const bytes = Buffer.from(lines([header, row]), 'latin1');
  t.ok(bytes.includes(0xe4) && bytes.includes(0xdf), 'the file holds single-byte ä and ß, so it is not valid UTF-8');
  const sheet = await readSpreadsheet(bytes, 'kunden.csv');
  t.equal(sheet.encoding, 'windows-1252');
  t.equal(sheet.rows[0]!.values.name, 'Bäckerei Öztürk & Söhne');
  t.equal(sheet.rows[0]!.values.street, 'Große Straße 1');
  t.equal(sheet.rows[0]!.values.city, 'München');
  t.equal(sheet.rows[0]!.values.firstName, 'René');
  t.equal(sheet.rows[0]!.values.lastName, 'Weiß');

  const euro = Buffer.concat([Buffer.from(lines([header]), 'latin1'), Buffer.from(';Preis 5 ', 'latin1'), Buffer.from([0x80]), Buffer.from(' GmbH;Weg 1;24103;Kiel;;;;;;;\r\n', 'latin1')]);
  t.equal((await readSpreadsheet(euro, 'kunden.csv')).rows[0]!.values.name, 'Preis 5 € GmbH', '0x80 is € as in Windows-1252, not a control character as in Latin-1');
});

t.test('UTF-16 with BOM and tabs (Excel "Unicode-Text"), little and big endian', async (t) => {
  const body = '\uFEFF' + lines([header, joerg], '\t');
  const le = await readSpreadsheet(Buffer.from(body, 'utf16le'), 'kunden.txt');
  assertJoerg(t, le);
  t.equal(le.encoding, 'utf-16le');
  t.equal(le.delimiter, '\t');
  const beBytes = Buffer.from(body, 'utf16le').swap16();
  t.equal(beBytes[0], 0xfe, 'big endian BOM first');
  const be = await readSpreadsheet(beBytes, 'kunden.txt');
  assertJoerg(t, be);
  t.equal(be.encoding, 'utf-16be');
});

t.test('LF-only line endings read like CRLF', async (t) => {
  assertJoerg(t, await readSpreadsheet(Buffer.from(lines([header, joerg], ';', '\n')), 'kunden.csv'));
});

t.test('quoted fields: delimiter, doubled quotes and line breaks inside one cell; row numbers count rows, not text lines', async (t) => {
  const csv =
    header.join(';') + '\r\n' +
    'K-1;"Meier; Söhne ""Bau"" GmbH";"Hof 2\r\nHinterhaus";24103;Kiel;;;;Anna;Meier;anna@example.de;\r\n' +
    'K-2;"Nord, Süd GmbH";Weg 1;24103;Kiel;;;"buchhaltung, lohn";;;;\r\n';
  const sheet = await readSpreadsheet(Buffer.from(csv), 'kunden.csv');
  t.equal(sheet.delimiter, ';', 'commas in data do not make "," the delimiter');
  t.equal(sheet.rows.length, 2);
  t.equal(sheet.rows[0]!.values.name, 'Meier; Söhne "Bau" GmbH');
  t.equal(sheet.rows[0]!.values.street, 'Hof 2\r\nHinterhaus', 'the line break inside the cell is kept');
  t.equal(sheet.rows[1]!.values.name, 'Nord, Süd GmbH');
  t.equal(sheet.rows[1]!.values.applications, 'buchhaltung, lohn');
  t.same(sheet.rows.map((row) => row.line), [2, 3], 'the two-line cell is still row 2 as a spreadsheet shows it');
});

t.test('a comma-separated file with semicolons inside quoted cells is still read with ","', async (t) => {
  const csv = lines([header, ['K-1', '"A; B GmbH"', 'Weg 1', '24103', 'Kiel', '', '', '', '', '', '', '']], ',');
  const sheet = await readSpreadsheet(Buffer.from(csv), 'kunden.csv');
  t.equal(sheet.delimiter, ',');
  t.equal(sheet.rows[0]!.values.name, 'A; B GmbH');
});

t.test('fully empty rows and trailing empty rows are skipped, the other rows keep their numbers', async (t) => {
  const empty = ';;;;;;;;;;;';
  const csv = ['', header.join(';'), joerg.join(';'), '', empty, '  ;  ;', joerg.join(';').replace('K-1001', 'K-1002'), '', empty, empty, ''].join('\r\n');
  const sheet = await readSpreadsheet(Buffer.from(csv), 'kunden.csv');
  t.same(sheet.rows.map((row) => [row.line, row.values.customerNumber]), [[3, 'K-1001'], [7, 'K-1002']], 'header in row 2 after an empty row 1; rows 4-6 and the tail are empty');
});

t.test('a row with text only in an ignored column is still a row (so its missing data can be reported)', async (t) => {
  const sheet = await readSpreadsheet(Buffer.from(lines([[...header, 'Notiz'], joerg.concat('x'), ['', '', '', '', '', '', '', '', '', '', '', '', 'nur eine Notiz']])), 'kunden.csv');
  t.equal(sheet.rows.length, 2);
  t.equal(sheet.rows[1]!.line, 3);
  t.equal(sheet.rows[1]!.values.name, '');
});

t.test('header names in odd case, spacing and punctuation are recognised', async (t) => {
  const variants: [string, string][] = [
    ['E-Mail', 'email'], ['email', 'email'], [' E-Mail ', 'email'], ['E Mail', 'email'], ['E-MAIL-Adresse', 'email'],
    ['USt-IdNr', 'vatId'], ['USt-IdNr.', 'vatId'], ['Ust IdNr', 'vatId'], ['UST_IDNR', 'vatId'],
    ['Straße', 'street'], ['Strasse', 'street'], ['STRASSE', 'street'], ['PLZ', 'postalCode'], ['plz', 'postalCode'], ['Postleitzahl', 'postalCode'],
    ['Kundennummer', 'customerNumber'], ['Kunden-Nr.', 'customerNumber'], ['Firma *', 'name'], ['zugriffs rechte', 'rights'],
  ];
  for (const [header, key] of variants) t.equal(findColumn(header), key, `"${header}" → ${key}`);
  t.equal(findColumn('Telefon'), undefined, 'an unknown header matches nothing');

  const odd = ['  firma', 'STRASSE', 'plz ', 'ORT', 'vorname', 'NachName', 'e mail', 'ust-idnr.', 'Telefon'];
  const sheet = await readSpreadsheet(Buffer.from(lines([odd, ['Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'Jörg', 'Müller', 'joerg@example.de', 'DE123456789', '0431 123']])), 'kunden.csv');
  t.same(sheet.columns, ['name', 'street', 'postalCode', 'city', 'firstName', 'lastName', 'email', 'vatId'], 'columns in the file order');
  t.same(sheet.ignoredColumns, ['Telefon']);
  t.same(sheet.rows[0]!.values, {
    customerNumber: '', name: 'Müller Bau GmbH', street: 'Lindenweg 5', postalCode: '24103', city: 'Kiel', country: '', vatId: 'DE123456789',
    applications: '', firstName: 'Jörg', lastName: 'Müller', email: 'joerg@example.de', rights: '',
  }, 'columns in any order; missing optional columns are empty strings');
});

t.test('values are trimmed and otherwise left exactly as written', async (t) => {
  const row = ['  k-7 ', ' Müller  Bau gmbh ', 'Lindenweg 5', ' 01067', 'Dresden', 'de', 'de 123 456 789', 'Buchhaltung,lohn', ' JÖRG', 'müller ', ' Joerg@Example.DE ', 'buchhaltung:Admin'];
  const values = (await readSpreadsheet(Buffer.from(lines([header, row])), 'kunden.csv')).rows[0]!.values;
  t.same(values, {
    customerNumber: 'k-7', name: 'Müller  Bau gmbh', street: 'Lindenweg 5', postalCode: '01067', city: 'Dresden', country: 'de', vatId: 'de 123 456 789',
    applications: 'Buchhaltung,lohn', firstName: 'JÖRG', lastName: 'müller', email: 'Joerg@Example.DE', rights: 'buchhaltung:Admin',
  });
});

t.test('Excel\'s "sep=" hint line sets the delimiter and is not counted as a row', async (t) => {
  const sheet = await readSpreadsheet(Buffer.from('sep=,\r\n' + lines([header, joerg], ',')), 'kunden.csv');
  assertJoerg(t, sheet);
  t.equal(sheet.delimiter, ',');
});

t.test('a header row missing required columns is refused, naming them', async (t) => {
  const withoutEmailAndPlz = header.filter((name) => name !== 'E-Mail' && name !== 'PLZ');
  const error = await refusal(t, Buffer.from(lines([withoutEmailAndPlz, joerg.slice(0, 10)])));
  t.equal(error.code, 'missing-columns');
  t.match(error.message, /Pflichtspalten PLZ, E-Mail\./, 'both names, in template order');

  const onlyOne = await refusal(t, Buffer.from(lines([header.filter((name) => name !== 'Ort'), joerg.slice(1)])));
  t.match(onlyOne.message, /fehlt die Pflichtspalte Ort\./);
});

t.test('the header must be the first non-empty row: a title above it is refused as missing columns', async (t) => {
  const error = await refusal(t, Buffer.from(lines([['Kundenliste 2025'], header, joerg])));
  t.equal(error.code, 'missing-columns');
  t.match(error.message, /Firma, Straße, PLZ, Ort, Vorname, Nachname, E-Mail/);
  t.match(error.message, /erste ausgefüllte Zeile/);
});

t.test('the same column twice is refused', async (t) => {
  const error = await refusal(t, Buffer.from(lines([[...header, 'email'], [...joerg, 'x@example.de']])));
  t.equal(error.code, 'duplicate-column');
  t.match(error.message, /„E-Mail“/);
});

t.test('a header without any rows below it is refused', async (t) => {
  const error = await refusal(t, Buffer.from(lines([header, [';;;']])));
  t.equal(error.code, 'no-rows');
});

t.test('an unclosed quote is refused with a German message', async (t) => {
  const error = await refusal(t, Buffer.from(lines([header]) + 'K-1;"Müller Bau GmbH;Weg 1;24103;Kiel\r\n'));
  t.equal(error.code, 'csv-invalid');
  t.match(error.message, /Anführungszeichen/);
});

t.test(`${MAX_ROWS.toLocaleString('de-DE')} data rows are read, one more is refused naming the limit`, async (t) => {
  const row = (i: number) => `K-${Math.floor(i / 10)};Firma ${Math.floor(i / 10)} GmbH;Weg 1;24103;Kiel;DE;;;Anna;Muster;anna${i}@example.de;\r\n`;
  const rows = Array.from({ length: MAX_ROWS + 1 }, (_, i) => row(i));
  const atLimit = await readSpreadsheet(Buffer.from(header.join(';') + '\r\n' + rows.slice(0, MAX_ROWS).join('') + '\r\n\r\n'), 'kunden.csv');
  t.equal(atLimit.rows.length, 20_000);
  t.equal(atLimit.rows.at(-1)!.line, 20_001, 'the last row is row 20,001 below the header');
  t.equal(atLimit.rows.at(-1)!.values.email, 'anna19999@example.de');

  const error = await refusal(t, Buffer.from(header.join(';') + '\r\n' + rows.join('')));
  t.equal(error.code, 'too-many-rows');
  t.match(error.message, /mehr als 20\.000 Zeilen/);
});

t.test('toCsv neutralises cells that a spreadsheet program would run as formulas', async (t) => {
  const cells = ['=1+1', '+4940123456', '-5', '@SUM(A1:A2)', '\tTab', '\rCR', 'harmlos', 'a=b', ''];
  const csv = toCsv([cells]).toString('utf8');
  t.equal(csv, "\uFEFF'=1+1;'+4940123456;'-5;'@SUM(A1:A2);'\tTab;\"'\rCR\";harmlos;a=b;\r\n");
});

t.test('toCsv writes UTF-8 with BOM, ";" and CRLF, quoting ";", quotes and line breaks', async (t) => {
  const bytes = toCsv([['Zeile', 'Spalte', 'Meldung'], ['3', 'Firma', 'Müller; "Bau"\nGmbH'], ['4', 'E-Mail', 'a\r\nb']]);
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
  t.equal(bytes.toString('utf8').slice(1), 'Zeile;Spalte;Meldung\r\n3;Firma;"Müller; ""Bau""\nGmbH"\r\n4;E-Mail;"a\r\nb"\r\n');
  const back = await readSpreadsheet(toCsv([header, joerg]), 'zurueck.csv');
  assertJoerg(t, back);
});
