// The import's columns. The headers are part of the file format (the template writes them and
// the reader looks for them), which is why they live here and not in the i18n texts.

export const importColumns = [
  { key: 'customerNumber', header: 'Kundennummer', part: 'tenant', required: false },
  { key: 'name', header: 'Firma', part: 'tenant', required: true },
  { key: 'street', header: 'Straße', part: 'tenant', required: true },
  { key: 'postalCode', header: 'PLZ', part: 'tenant', required: true },
  { key: 'city', header: 'Ort', part: 'tenant', required: true },
  { key: 'country', header: 'Land', part: 'tenant', required: false },
  { key: 'vatId', header: 'USt-IdNr', part: 'tenant', required: false },
  { key: 'applications', header: 'Anwendungen', part: 'tenant', required: false },
  { key: 'firstName', header: 'Vorname', part: 'user', required: true },
  { key: 'lastName', header: 'Nachname', part: 'user', required: true },
  { key: 'email', header: 'E-Mail', part: 'user', required: true },
  { key: 'rights', header: 'Zugriffsrechte', part: 'user', required: false },
] as const satisfies readonly { key: string; header: string; part: 'tenant' | 'user'; required: boolean }[];

export type ImportColumn = (typeof importColumns)[number];
export type ColumnKey = ImportColumn['key'];

// Other names people give these columns in their own lists; compared after normaliseHeader.
const aliases: Partial<Record<ColumnKey, string[]>> = {
  customerNumber: ['kundennr', 'kdnr'],
  name: ['firmenname'],
  street: ['strasseundhausnummer', 'strassehausnummer'],
  postalCode: ['postleitzahl'],
  vatId: ['ustid', 'umsatzsteueridnr'],
  email: ['emailadresse', 'mail'],
};

/** "USt-IdNr.", " ust idnr " and "UST_IDNR" all become "ustidnr"; "Straße" becomes "strasse". */
export function normaliseHeader(header: string): string {
  return header
    .normalize('NFKC')
    .toLocaleLowerCase('de-DE')
    .replace(/ß/g, 'ss')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

const columnsByName = new Map<string, ColumnKey>();
for (const column of importColumns) {
  columnsByName.set(normaliseHeader(column.header), column.key);
  for (const alias of aliases[column.key] ?? []) columnsByName.set(alias, column.key);
}

export function findColumn(header: string): ColumnKey | undefined {
  return columnsByName.get(normaliseHeader(header));
}

export function headerOf(key: ColumnKey): string {
  return importColumns.find((column) => column.key === key)!.header;
}

/** A non-empty row as read from the file, before the header names its cells; cells are trimmed. */
export interface RawRow {
  line: number;
  cells: string[];
  /** XLSX only: indexes of the cells that held a number (not text). */
  numbers?: number[];
}

/**
 * For readers that go row by row: the first non-empty row is the header and is kept whole;
 * of every later row only the cells under a known column are kept ("" elsewhere), so that a
 * long note column nobody reads does not sit in memory for 20,000 rows. Whether a row is empty
 * is still decided on all its cells (a row with text only in an ignored column is a row).
 */
export function createCellKeeper(): (cells: string[]) => string[] {
  let known: boolean[] | null = null;
  return (cells) => {
    if (!known) {
      if (cells.some((cell) => cell !== '')) known = cells.map((cell) => findColumn(cell) !== undefined);
      return cells;
    }
    const kept = known;
    return cells.slice(0, kept.length).map((cell, index) => (kept[index] ? cell : ''));
  };
}
