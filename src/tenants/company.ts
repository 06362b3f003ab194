import { text } from '../i18n/de.ts';
import { checkEmail, checkText, type FormErrors, readForm, tidy } from '../web/forms.ts';
import { countryName, describePostalCode, describeVatId, isCountryCode, isPostalCodeValid, isVatIdValid } from './countries.ts';

// Company data as resellers and Mandanten both have it. "Die Plattform sagt dir, welche
// weiteren Daten benötigt werden": every field gets its own German message.

export const companyFields = ['name', 'customerNumber', 'street', 'postalCode', 'city', 'country', 'vatId', 'phone', 'email'] as const;
export type CompanyValues = Record<(typeof companyFields)[number], string>;

export { countries } from './countries.ts';

const customerNumberPattern = /^[A-Za-z0-9ÄÖÜäöüß][A-Za-z0-9ÄÖÜäöüß._\/-]*$/;
const phonePattern = /^\+?[0-9][0-9 ()\/-]{3,28}[0-9]$/;
// A cell starting like a formula is executed by spreadsheet programs when the data is exported.
const formulaStart = /^[=+\-@\t\r]/;
// No company or address needs markup; it is refused at the field (and escaped everywhere anyway).
const markup = /[<>]/;

/** Postal codes with letters (GB, NL, CA) are written in capitals; "sw1a 1aa" is "SW1A 1AA". */
export function normalisePostalCode(value: string): string {
  return tidy(value).toUpperCase();
}

export function normaliseVatId(value: string): string {
  return value.replace(/[\s.]/g, '').toUpperCase();
}

export function readCompanyForm(body: unknown): CompanyValues {
  const form = readForm(body, companyFields);
  const values = {} as CompanyValues;
  for (const field of companyFields) values[field] = field === 'email' ? form[field].trim() : tidy(form[field]);
  values.country = values.country.toUpperCase() || 'DE';
  values.postalCode = normalisePostalCode(values.postalCode);
  values.vatId = values.vatId ? normaliseVatId(values.vatId) : '';
  return values;
}

function checkCompanyText(value: string, label: string, max: number, required: boolean): string | null {
  const basic = checkText(value, { label, max, required });
  if (basic || !value) return basic;
  if (formulaStart.test(value)) return text.company.formulaStart;
  return markup.test(value) ? text.company.markup : null;
}

/** German messages for every field that is missing or wrong; empty when the data is complete. */
export function validateCompany(values: CompanyValues): FormErrors {
  const t = text.company;
  const errors: FormErrors = {};
  const set = (field: keyof CompanyValues, message: string | null) => {
    if (message) errors[field] = message;
  };
  set('name', checkCompanyText(values.name, t.missing.name, 200, true));
  set('street', checkCompanyText(values.street, t.missing.street, 200, true));
  set('city', checkCompanyText(values.city, t.missing.city, 100, true));
  const country = isCountryCode(values.country) ? values.country : null;
  if (!country) set('country', t.countryUnknown(values.country));
  const postal = checkText(values.postalCode, { label: t.missing.postalCode, max: 12, required: true });
  if (postal) set('postalCode', postal);
  else if (country && !isPostalCodeValid(country, values.postalCode)) set('postalCode', t.postalCodeFormat(values.postalCode, countryName(country), country, describePostalCode(country)));
  if (values.customerNumber) {
    set('customerNumber', checkText(values.customerNumber, { label: '', max: 50 }) ?? (customerNumberPattern.test(values.customerNumber) ? null : t.customerNumberFormat));
  }
  if (values.vatId && country && !isVatIdValid(country, values.vatId)) set('vatId', t.vatIdFormat(values.vatId, countryName(country), country, describeVatId(country)));
  if (values.phone) set('phone', checkText(values.phone, { label: '', max: 30 }) ?? (phonePattern.test(values.phone) ? null : t.phoneFormat));
  if (values.email) set('email', checkEmail(values.email, ''));
  return errors;
}

/** The row values for insert or update; optional fields empty → null. */
export function companyRow(values: CompanyValues) {
  return {
    name: values.name,
    customer_number: values.customerNumber || null,
    street: values.street,
    postal_code: values.postalCode,
    city: values.city,
    country: values.country,
    vat_id: values.vatId || null,
    phone: values.phone || null,
    email: values.email || null,
  };
}

export function companyValuesFromRow(row: {
  name: string;
  customer_number: string | null;
  street: string | null;
  postal_code: string | null;
  city: string | null;
  country: string;
  vat_id: string | null;
  phone: string | null;
  email: string | null;
}): CompanyValues {
  return {
    name: row.name,
    customerNumber: row.customer_number ?? '',
    street: row.street ?? '',
    postalCode: row.postal_code ?? '',
    city: row.city ?? '',
    country: row.country,
    vatId: row.vat_id ?? '',
    phone: row.phone ?? '',
    email: row.email ?? '',
  };
}
