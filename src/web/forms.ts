import { text } from '../i18n/de.ts';

export type FormValues = Record<string, string>;
export type FormErrors = Record<string, string>;

/** A form post arrives as strings; anything else (arrays from repeated fields, objects) counts as empty. */
export function readForm<K extends string>(body: unknown, fields: readonly K[]): Record<K, string> {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const values = {} as Record<K, string>;
  for (const field of fields) {
    const value = source[field];
    values[field] = typeof value === 'string' ? value : '';
  }
  return values;
}

// C0 and C1 control characters, plus the Unicode line and paragraph separators.
const controlChars = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const namePattern = /^\p{L}[\p{L}\p{M} .'’-]*$/u;
const emailPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export interface TextRule {
  label: string;
  max: number;
  required?: boolean;
}

/** Trims, then checks presence, length and control characters. Returns the message or null. */
export function checkText(value: string, rule: TextRule): string | null {
  if (!value) return rule.required ? text.field.missing(rule.label) : null;
  if ([...value].length > rule.max) return text.field.tooLong(rule.max);
  if (controlChars.test(value)) return text.field.controlChars;
  return null;
}

export function checkPersonName(value: string, label: string): string | null {
  return checkText(value, { label, max: 100, required: true }) ?? (namePattern.test(value) ? null : text.field.nameChars);
}

export function checkEmail(value: string, label: string, required = true): string | null {
  const basic = checkText(value, { label, max: 254, required });
  if (basic || !value) return basic;
  return emailPattern.test(value) && !value.includes('..') ? null : text.field.email;
}

/** Collapses inner runs of spaces; the trimmed value is what gets stored and shown again. */
export function tidy(value: string): string {
  return value.trim().replace(/ {2,}/g, ' ');
}

export function hasErrors(errors: FormErrors): boolean {
  return Object.keys(errors).length > 0;
}

/**
 * The form's fields with a message, in the order of the form: the values object lists the
 * fields as the form does (its reader fills it in that order); fields without a value there
 * (passwords are never shown again) follow in the order they were checked.
 */
export function invalidFieldsInFormOrder(values: Record<string, unknown> | undefined, errors: FormErrors | undefined): string[] {
  if (!errors) return [];
  const order = [...Object.keys(values ?? {}), ...Object.keys(errors)];
  return [...new Set(order)].filter((name) => errors[name]);
}
