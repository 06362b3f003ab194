import { text } from '../i18n/de.ts';
import { checkEmail, checkPersonName, type FormErrors, readForm, tidy } from '../web/forms.ts';

export interface PersonForm {
  firstName: string;
  lastName: string;
  email: string;
}

export function readPersonForm(body: unknown): PersonForm {
  const form = readForm(body, ['firstName', 'lastName', 'email']);
  return { firstName: tidy(form.firstName), lastName: tidy(form.lastName), email: form.email.trim() };
}

/**
 * Vorname, Nachname and E-Mail: each missing or malformed one gets its German message, worded
 * for one's own data ("deinen Vornamen") or for someone else's ("den Vornamen").
 */
export function validatePerson(values: PersonForm, whose: 'own' | 'other'): FormErrors {
  const labels = whose === 'own' ? text.labelsAccusative : text.labelsAccusativeOther;
  const errors: FormErrors = {};
  const firstName = checkPersonName(values.firstName, labels.firstName);
  if (firstName) errors.firstName = firstName;
  const lastName = checkPersonName(values.lastName, labels.lastName);
  if (lastName) errors.lastName = lastName;
  const email = checkEmail(values.email, labels.email);
  if (email) errors.email = email;
  return errors;
}
