// The spreadsheets of the import benchmark, written as a reseller's export would be: n Anwender
// in `tenants` Mandanten across six countries, as XLSX (exceljs' streaming writer, shared
// strings like Excel) and as CSV (Windows-1252, ";", as German Excel saves it).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const header = ['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte'];
const places = [
  { land: 'DE', plz: (n: number) => String(10000 + (n % 89999)).padStart(5, '0'), ort: 'Hamburg', ust: 'DE123456789' },
  { land: 'Österreich', plz: (n: number) => String(1000 + (n % 8999)), ort: 'Wien', ust: 'ATU12345678' },
  { land: 'CH', plz: (n: number) => String(1000 + (n % 8999)), ort: 'Zürich', ust: '' },
  { land: 'United Kingdom', plz: () => 'SW1A 1AA', ort: 'London', ust: 'GB123456789' },
  { land: 'Polen', plz: (n: number) => `${String(n % 100).padStart(2, '0')}-950`, ort: 'Warszawa', ust: 'PL1234567890' },
  { land: 'DK', plz: (n: number) => String(1000 + (n % 8999)), ort: 'København', ust: 'DK12345678' },
];
const firstNames = ['Jörg', 'Anna', 'Mehmet', 'Sophie', 'Lukas', 'Zoë', 'Piotr', 'Freja', 'Oliver', 'Lea'];

/** The rows of the file: n Anwender spread evenly over `tenants` Mandanten. */
export function* benchRows(n: number, tenants: number, padding = 0): Generator<string[]> {
  const perTenant = Math.ceil(n / tenants);
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i / perTenant);
    const place = places[t % places.length]!;
    const first = firstNames[i % firstNames.length]!;
    const row = [
      `K-${t + 1}`, `Kunde ${t + 1} GmbH`, `Hafenstraße ${(t % 200) + 1}`, place.plz(t), place.ort, place.land, place.ust, 'buchhaltung',
      first, `Nach${letters(i)}`, `${first.toLowerCase().replace(/[^a-z]/g, 'x')}.nachname${i}@kunde${t + 1}.example`, 'buchhaltung:nutzer',
    ];
    if (padding) row.push(noteOf(i, padding));
    yield row;
  }
}

/** 0 → "a", 27 → "bb": a different surname per row, letters only (names take no digits). */
function letters(i: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (i % 26)) + out;
    i = Math.floor(i / 26);
  } while (i > 0);
  return out;
}

// A note column the import does not read: a little random text (so it does not all compress
// away) and much repeated text, about `size` characters — to make a sheet's XML large (100 MB)
// while its ZIP stays a legitimate upload (under 5 MB, packed well below 200:1).
function noteOf(i: number, size: number): string {
  let seed = i * 2654435761;
  let random = '';
  while (random.length < 60) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    random += seed.toString(36);
  }
  return `${random} ${'Notiz zum Kunden, bitte beachten. '.repeat(Math.ceil(size / 34))}`.slice(0, size);
}

export async function writeBenchXlsx(path: string, n: number, tenants: number, padding = 0): Promise<void> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: !padding, useStyles: false });
  const sheet = workbook.addWorksheet('Daten');
  sheet.addRow(padding ? [...header, 'Notiz'] : header).commit();
  for (const row of benchRows(n, tenants, padding)) sheet.addRow(row).commit();
  sheet.commit();
  await workbook.commit();
}

export async function writeBenchCsv(path: string, n: number, tenants: number): Promise<void> {
  const out = createWriteStream(path);
  const line = (cells: string[]) => Buffer.from(`${cells.join(';')}\r\n`, 'latin1');
  out.write(line(header));
  for (const row of benchRows(n, tenants)) if (!out.write(line(row))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
