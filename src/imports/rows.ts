import { text } from '../i18n/de.ts';
import { type CompanyValues, normaliseVatId, validateCompany } from '../tenants/company.ts';
import { validatePerson } from '../users/person.ts';
import { tidy } from '../web/forms.ts';

// One spreadsheet row → a Mandant part and, unless the Anwender columns are empty, an Anwender
// part; each with the German messages for what is wrong, tied to line and column.

export type ColumnKey = 'customerNumber' | 'name' | 'street' | 'postalCode' | 'city' | 'country' | 'vatId' | 'applications' | 'firstName' | 'lastName' | 'email' | 'rights';

export interface SheetRow {
  line: number;
  values: Record<ColumnKey, string>;
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
  applications: string[];
  user: { firstName: string; lastName: string; email: string; rights: Map<string, string> } | null;
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

export function parseRow(row: SheetRow, catalogue: Catalogue, issues: Issue[]): ParsedRow {
  const v = row.values;
  const error = (column: ColumnKey, message: string) => issues.push({ line: row.line, column: columnLabels[column], message, severity: 'error' });

  const tenant: CompanyValues = {
    name: tidy(v.name),
    customerNumber: tidy(v.customerNumber),
    street: tidy(v.street),
    postalCode: tidy(v.postalCode),
    city: tidy(v.city),
    country: tidy(v.country).toUpperCase() || 'DE',
    vatId: v.vatId ? normaliseVatId(v.vatId) : '',
    phone: '',
    email: '',
  };
  for (const [field, message] of Object.entries(validateCompany(tenant))) error(field as ColumnKey, message);

  const applications = splitList(v.applications);
  for (const code of applications) if (!catalogue.byCode.has(code)) error('applications', text.imports.unknownApplication(code));

  let user: ParsedRow['user'] = null;
  if (v.firstName || v.lastName || v.email || v.rights) {
    const person = { firstName: tidy(v.firstName), lastName: tidy(v.lastName), email: v.email.trim() };
    for (const [field, message] of Object.entries(validatePerson(person, 'other'))) error(field as ColumnKey, message);
    const rights = new Map<string, string>();
    for (const entry of splitList(v.rights)) {
      const [code = '', role = ''] = entry.split(':').map((s) => s.trim());
      const application = catalogue.byCode.get(code);
      if (!application) error('rights', text.imports.unknownApplication(code));
      else if (!role || !application.roles.includes(role)) error('rights', text.imports.unknownRole(code, role, application.roles));
      else if (rights.has(code)) error('rights', text.imports.rightTwice(code));
      else rights.set(code, role);
    }
    user = { ...person, email: person.email.toLowerCase(), rights };
  }
  return { line: row.line, tenantKey: tenantKeyOf(tenant), tenant, applications, user };
}

const comparedColumns: ColumnKey[] = ['name', 'street', 'postalCode', 'city', 'country', 'vatId'];

/** Rows of one Mandant must agree on its columns; the first row of the Mandant is the reference. */
export function checkTenantRowsAgree(first: ParsedRow, other: ParsedRow, issues: Issue[]): void {
  for (const column of comparedColumns) {
    const a = first.tenant[column as keyof CompanyValues];
    const b = other.tenant[column as keyof CompanyValues];
    if (a !== b) {
      issues.push({ line: other.line, column: columnLabels[column], message: text.imports.tenantRowsDisagree(first.line, a, b), severity: 'error' });
    }
  }
  const appsA = [...first.applications].sort().join(',');
  const appsB = [...other.applications].sort().join(',');
  if (other.applications.length > 0 && appsA !== appsB) {
    issues.push({ line: other.line, column: columnLabels.applications, message: text.imports.tenantRowsDisagree(first.line, appsA, appsB), severity: 'error' });
  }
}
