import { text } from '../i18n/de.ts';
import { type ColumnKey, importColumns } from './columns.ts';
import { toCsv } from './csv.ts';
import { loadExcelJs } from './exceljs.ts';

// The files a reseller downloads to fill in. Reading one back unchanged gives the example row,
// so the template and the reader cannot drift apart unnoticed (the tests check that).

export interface TemplateApplication {
  code: string;
  name: string;
  description: string;
  roles: string[];
}

const widths: Record<ColumnKey, number> = {
  customerNumber: 15, name: 28, street: 26, postalCode: 9, city: 18, country: 7,
  vatId: 16, applications: 26, firstName: 15, lastName: 17, email: 32, rights: 32,
};

// Text format keeps leading zeros (PLZ 01067, Kundennummer 0042) when Excel users type them.
const textColumns: ColumnKey[] = ['customerNumber', 'postalCode'];

/** Müller Bau in Kiel with Jörg as its user, booked into (at most) the first two applications. */
export function buildExampleRow(catalogue: TemplateApplication[]): Record<ColumnKey, string> {
  const booked = catalogue.slice(0, 2);
  return {
    customerNumber: 'K-1001',
    name: 'Müller Bau GmbH',
    street: 'Lindenweg 5',
    postalCode: '24103',
    city: 'Kiel',
    country: 'DE',
    vatId: 'DE123456789',
    applications: booked.map((application) => application.code).join(', '),
    firstName: 'Jörg',
    lastName: 'Müller',
    email: 'joerg.mueller@example.de',
    rights: booked.filter((application) => application.roles.length > 0).map((application) => `${application.code}:${application.roles[0]}`).join(', '),
  };
}

function describeRequired(column: (typeof importColumns)[number]): string {
  const t = text.spreadsheet.template;
  if (!column.required) return t.optional;
  return column.part === 'user' ? t.requiredForUsers : t.required;
}

function describeColumn(key: ColumnKey): string {
  return text.spreadsheet.template.columns[key]!;
}

/** XLSX with the sheet "Daten" (header and example row) and the sheet "Erläuterung". */
export async function buildTemplateXlsx(catalogue: TemplateApplication[]): Promise<Buffer> {
  const ExcelJS = await loadExcelJs();
  const t = text.spreadsheet.template;
  const workbook = new ExcelJS.Workbook();

  const data = workbook.addWorksheet(t.dataSheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  data.columns = importColumns.map((column) => ({ header: column.header, key: column.key, width: widths[column.key] }));
  data.addRow(buildExampleRow(catalogue));
  for (const key of textColumns) data.getColumn(key).numFmt = '@';
  data.getRow(1).eachCell((cell) => {
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
  });
  data.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: importColumns.length } };

  const help = workbook.addWorksheet(t.helpSheet);
  help.columns = [{ width: 18 }, { width: 30 }, { width: 80 }, { width: 30 }];
  help.addRow([t.title]).font = { bold: true, size: 14 };
  help.addRow([]);
  for (const note of t.notes) help.addRow([note]);
  help.addRow([]);
  help.addRow(t.columnsHeading).font = { bold: true };
  for (const column of importColumns) help.addRow([column.header, describeRequired(column), describeColumn(column.key)]);
  help.addRow([]);
  help.addRow([t.catalogueHeading]).font = { bold: true, size: 12 };
  if (catalogue.length === 0) help.addRow([t.catalogueEmpty]);
  else {
    help.addRow(t.catalogueColumns).font = { bold: true };
    for (const application of catalogue) help.addRow([application.code, application.name, application.description, application.roles.join(', ')]);
  }
  help.getColumn(3).alignment = { wrapText: true, vertical: 'top' };

  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/**
 * The same as CSV (UTF-8 with BOM, ";", CRLF). Without a catalogue the example books no
 * application, so the file still imports without errors.
 */
export function buildTemplateCsv(catalogue: TemplateApplication[] = []): Buffer {
  const example = buildExampleRow(catalogue);
  return toCsv([importColumns.map((column) => column.header), importColumns.map((column) => example[column.key])]);
}
