import { text } from '../i18n/de.ts';
import { type CompanyValues, normalisePostalCode, normaliseVatId, validateCompany } from '../tenants/company.ts';
import { countryName, describePostalCode, describeVatId, isCountryCode, isPostalCodeValid, isVatIdValid, lookUpCountry, restoreLeadingZero } from '../tenants/countries.ts';
import { validatePerson } from '../users/person.ts';
import { checkText, tidy } from '../web/forms.ts';

// One spreadsheet row → a Mandant part and, unless the Anwender columns are empty, an Anwender
// part; each with the German messages for what is wrong, tied to line and column.

export type ColumnKey = 'customerNumber' | 'name' | 'street' | 'postalCode' | 'city' | 'country' | 'vatId' | 'applications' | 'firstName' | 'lastName' | 'email' | 'rights';

export interface SheetRow {
  line: number;
  values: Record<ColumnKey, string>;
  /** Columns whose XLSX cell held a number, not text (a PLZ typed as 01067 arrives as 1067). */
  numbers?: ColumnKey[];
}

export interface Issue {
  line: number | null;
  column: string | null;
  message: string;
  severity: 'error' | 'warning';
}

export interface Catalogue {
  byCode: Map<string, { id: string; code: string; name: string; roles: string[] }>;
}

export interface ParsedRow {
  line: number;
  tenantKey: string;
  tenant: CompanyValues;
  /** Optional Mandant cells this row fills; an empty one says nothing about the Mandant. */
  stated: { country: boolean; vatId: boolean; applications: boolean };
  applications: string[];
  /** email as written; emailKey lower-cased, for comparing. */
  user: { firstName: string; lastName: string; email: string; emailKey: string; rights: Map<string, string> } | null;
  /** The PLZ cell of an XLSX held a number (Excel drops its leading zeros). */
  postalCodeWasNumber: boolean;
}

/** Column headers as the template names them, for messages. */
export const columnLabels: Record<ColumnKey, string> = {
  customerNumber: 'Kundennummer',
  name: 'Firma',
  street: 'Straße',
  postalCode: 'PLZ',
  city: 'Ort',
  country: 'Land',
  vatId: 'USt-IdNr',
  applications: 'Anwendungen',
  firstName: 'Vorname',
  lastName: 'Nachname',
  email: 'E-Mail',
  rights: 'Zugriffsrechte',
};

/** Kundennummer if given, else Firma + PLZ: the same Mandant in every upload. */
export function tenantKeyOf(tenant: Pick<CompanyValues, 'customerNumber' | 'name' | 'postalCode'>): string {
  return tenant.customerNumber ? `nr:${tenant.customerNumber.toLowerCase()}` : `fp:${tenant.name.toLowerCase()}|${tenant.postalCode}`;
}

function splitList(value: string): string[] {
  return value
    .split(/[,;]/)
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
}

/** The Land cell as an ISO code, or the message saying what was found and what would be accepted. */
function readCountry(cell: string): { code: string } | { message: string } {
  if (!cell) return { code: 'DE' };
  const found = lookUpCountry(cell);
  if ('code' in found) return { code: found.code };
  if ('part' in found) return { message: text.imports.countryPart(found.part, countryName(found.of), found.of) };
  return { message: text.imports.countryUnknown(cell) };
}

/**
 * The checks that depend on the Mandant's country: the PLZ and the USt-IdNr must fit it. A number
 * cell of an XLSX lost its leading zero in the spreadsheet program: it is restored with a
 * warning. The same digits from a CSV (or a text cell) cannot be told apart from a typo, so they
 * are an error that says what probably happened.
 */
function checkForCountry(row: ParsedRow, country: string, issues: Issue[]): void {
  const push = (column: ColumnKey, severity: Issue['severity'], message: string) => issues.push({ line: row.line, column: columnLabels[column], message, severity });
  const { tenant } = row;
  const value = tenant.postalCode;
  if (value && !checkText(value, { label: '', max: 12, required: true })) {
    const restored = restoreLeadingZero(country, value);
    if (restored && row.postalCodeWasNumber) {
      push('postalCode', 'warning', text.imports.postalCodeRestored(value, restored));
      tenant.postalCode = restored;
    } else if (restored) push('postalCode', 'error', text.imports.postalCodeLostZero(value, restored, countryName(country), country));
    else if (!isPostalCodeValid(country, value)) push('postalCode', 'error', text.company.postalCodeFormat(value, countryName(country), country, describePostalCode(country)));
  }
  if (tenant.vatId && !isVatIdValid(country, tenant.vatId)) push('vatId', 'error', text.company.vatIdFormat(tenant.vatId, countryName(country), country, describeVatId(country)));
}

export function parseRow(row: SheetRow, catalogue: Catalogue, issues: Issue[]): ParsedRow {
  const v = row.values;
  const error = (column: ColumnKey, message: string) => issues.push({ line: row.line, column: columnLabels[column], message, severity: 'error' });

  const countryCell = tidy(v.country);
  const country = countryCell ? readCountry(countryCell) : null;
  const tenant: CompanyValues = {
    name: tidy(v.name),
    customerNumber: tidy(v.customerNumber),
    street: tidy(v.street),
    postalCode: normalisePostalCode(v.postalCode),
    city: tidy(v.city),
    // An empty Land cell is decided with the Mandant's other rows (reconcileTenantRows).
    country: !country ? 'DE' : 'code' in country ? country.code : countryCell,
    vatId: v.vatId ? normaliseVatId(v.vatId) : '',
    phone: '',
    email: '',
  };
  const companyErrors = validateCompany(tenant);
  // What fits the country is checked by checkForCountry, once the country is known.
  if (tenant.postalCode && companyErrors.postalCode && !checkText(tenant.postalCode, { label: '', max: 12, required: true })) delete companyErrors.postalCode;
  delete companyErrors.vatId;
  if (country && 'message' in country) companyErrors.country = country.message;
  for (const [field, message] of Object.entries(companyErrors)) error(field as ColumnKey, message);

  const applications = splitList(v.applications);
  const knownCodes = () => [...catalogue.byCode.keys()].sort();
  for (const code of applications) if (!catalogue.byCode.has(code)) error('applications', text.imports.unknownApplication(code, knownCodes()));

  let user: ParsedRow['user'] = null;
  if (v.firstName || v.lastName || v.email || v.rights) {
    const person = { firstName: tidy(v.firstName), lastName: tidy(v.lastName), email: v.email.trim() };
    for (const [field, message] of Object.entries(validatePerson(person, 'other'))) error(field as ColumnKey, message);
    const rights = new Map<string, string>();
    for (const entry of splitList(v.rights)) {
      const [code = '', role = ''] = entry.split(':').map((s) => s.trim());
      const application = catalogue.byCode.get(code);
      if (!application) error('rights', text.imports.unknownApplication(code, knownCodes()));
      else if (!role || !application.roles.includes(role)) error('rights', text.imports.unknownRole(code, role, application.roles));
      else if (rights.has(code)) error('rights', text.imports.rightTwice(code));
      else rights.set(code, role);
    }
    // The address is kept as written ("Max.Mustermann@…"); only comparisons ignore the case.
    user = { ...person, emailKey: person.email.toLowerCase(), rights };
  }
  const stated = { country: countryCell !== '', vatId: tenant.vatId !== '', applications: applications.length > 0 };
  const parsed: ParsedRow = { line: row.line, tenantKey: '', tenant, stated, applications, user, postalCodeWasNumber: row.numbers?.includes('postalCode') ?? false };
  if (country && 'code' in country) checkForCountry(parsed, country.code, issues);
  // After the check: a restored PLZ (01067) is the one that finds the Mandant again.
  parsed.tenantKey = tenantKeyOf(tenant);
  return parsed;
}

type ComparedColumn = 'name' | 'street' | 'postalCode' | 'city' | 'country' | 'vatId' | 'applications';
const comparedColumns: ComparedColumn[] = ['name', 'street', 'postalCode', 'city', 'country', 'vatId', 'applications'];
// Optional Mandant columns: an empty cell says nothing, so it agrees with any value.
const optionalColumns = new Set<ComparedColumn>(['country', 'vatId', 'applications']);

function cellOf(row: ParsedRow, column: ComparedColumn): string | null {
  if (optionalColumns.has(column) && !row.stated[column as keyof ParsedRow['stated']]) return null;
  if (column === 'applications') return [...new Set(row.applications)].sort().join(', ');
  return row.tenant[column];
}

function shown(column: ComparedColumn, value: string): string {
  return column === 'country' ? `${countryName(value)} (${value})` : value;
}

/**
 * The Mandant that the rows of one group describe, and an error in every one of its rows for
 * each column they disagree on. One rule, whatever the row order: the required columns must be
 * the same in every row; an optional one (Land, USt-IdNr, Anwendungen) may be left empty in
 * any row, and every row that fills it must say the same. The message names each value and the
 * rows that hold it, the rarer value first (it is most likely the typo).
 */
export function reconcileTenantRows(group: ParsedRow[], issues: Issue[]): { tenant: CompanyValues; applications: string[] } {
  // The country first: the rows that leave Land empty are checked against the one the others state.
  const statedCountries = new Set(group.filter((row) => row.stated.country).map((row) => row.tenant.country));
  const country = statedCountries.size === 1 ? [...statedCountries][0]! : statedCountries.size === 0 ? 'DE' : null;
  if (country && isCountryCode(country)) {
    for (const row of group) {
      if (row.stated.country) continue;
      row.tenant.country = country;
      checkForCountry(row, country, issues);
    }
  }
  const first = group[0]!;
  const tenant = { ...first.tenant };
  let applications = first.applications;
  for (const column of comparedColumns) {
    const linesByValue = new Map<string, number[]>();
    for (const row of group) {
      const value = cellOf(row, column);
      if (value === null) continue;
      if (!linesByValue.has(value)) linesByValue.set(value, []);
      linesByValue.get(value)!.push(row.line);
    }
    const [agreed] = linesByValue.keys();
    if (linesByValue.size === 1 && agreed !== undefined) {
      // The one value every filling row states, even when the first row left the cell empty.
      if (column === 'applications') applications = group.find((row) => row.stated.applications)!.applications;
      else tenant[column] = agreed;
      continue;
    }
    if (linesByValue.size < 2) continue;
    const parts = [...linesByValue]
      .sort(([, a], [, b]) => a.length - b.length || a[0]! - b[0]!)
      .map(([value, lines]) => ({ value: shown(column, value), lines }));
    const message = text.imports.tenantRowsDisagree(columnLabels[column], parts);
    for (const row of group) issues.push({ line: row.line, column: columnLabels[column], message, severity: 'error' });
  }
  return { tenant, applications };
}
