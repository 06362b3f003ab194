import isoCountries from 'i18n-iso-countries';
import de from 'i18n-iso-countries/langs/de.json' with { type: 'json' };
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import * as jsvat from 'jsvat';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';

// Every country of ISO 3166-1 from a maintained dataset (i18n-iso-countries), with the postal
// code rules of postcode-validator and the VAT-ID rules of jsvat where they exist. A country
// without a known rule gets a plausibility check only, never a refusal for being unusual.

isoCountries.registerLocale(de);
isoCountries.registerLocale(en);

const germanNames = isoCountries.getNames('de', { select: 'official' });

/** Code → German name: Deutschland first, then the others in German alphabetical order. */
export const countries: Record<string, string> = Object.fromEntries([
  ['DE', germanNames.DE!],
  ...Object.entries(germanNames)
    .filter(([code]) => code !== 'DE')
    .sort(([, a], [, b]) => a.localeCompare(b, 'de')),
]);

export function isCountryCode(code: string): boolean {
  return Object.hasOwn(countries, code);
}

export function countryName(code: string): string {
  return countries[code] ?? code;
}

/** "Großbritannien", " united  kingdom " and "GROSSBRITANNIEN" all become "grossbritannien" / "united kingdom". */
function normaliseName(value: string): string {
  return value.normalize('NFKC').toLocaleLowerCase('de-DE').replace(/ß/g, 'ss').replace(/[\s.]+/g, ' ').trim();
}

// Names people write that the dataset does not hold (it has "UK", "Großbritannien", "USA" …).
const aliases: Record<string, string> = {
  'great britain': 'GB', grossbritannien: 'GB', 'vereinigtes konigreich': 'GB', 'u k': 'GB', 'united kingdom of great britain': 'GB',
  holland: 'NL', 'tschechische republik': 'CZ', 'czech republic': 'CZ', 'u s a': 'US', amerika: 'US', 'vereinigte staaten von amerika': 'US',
  fl: 'LI', 'slowakische republik': 'SK', 'republik korea': 'KR', 'sudkorea': 'KR', 'weissrussland': 'BY', 'turkei': 'TR',
};

// Parts of a country that people write in the country column; the message names the country.
const notCountries: Record<string, string> = {
  england: 'GB', schottland: 'GB', scotland: 'GB', wales: 'GB', nordirland: 'GB', 'northern ireland': 'GB',
  'grossbritannien und nordirland': 'GB', bayern: 'DE', tirol: 'AT', sudtirol: 'IT', 'south tyrol': 'IT', kanaren: 'ES', mallorca: 'ES', korsika: 'FR',
};

const byName = new Map<string, string>();
for (const code of Object.keys(countries)) {
  byName.set(code.toLowerCase(), code);
  const alpha3 = isoCountries.alpha2ToAlpha3(code);
  if (alpha3) byName.set(alpha3.toLowerCase(), code);
}
for (const locale of ['de', 'en']) {
  for (const [code, names] of Object.entries(isoCountries.getNames(locale, { select: 'all' }))) {
    for (const name of names) byName.set(normaliseName(name), code);
  }
}
for (const [alias, code] of Object.entries(aliases)) if (!byName.has(alias)) byName.set(alias, code);

export type CountryLookup = { code: string } | { part: string; of: string } | { unknown: true };

/** "Österreich", "Oesterreich" and "Osterreich" all become "osterreich". */
function fold(name: string): string {
  return name.replace(/ae/g, 'a').replace(/oe/g, 'o').replace(/ue/g, 'u').normalize('NFD').replace(/\p{M}/gu, '');
}

const byFoldedName = new Map<string, string>();
for (const [name, code] of byName) if (!byFoldedName.has(fold(name))) byFoldedName.set(fold(name), code);

/**
 * The ISO code a spreadsheet cell means: the code itself (GB, GBR), the German or English name
 * ("Vereinigtes Königreich", "United Kingdom") or a common alias ("UK", "Großbritannien"),
 * whatever the case; umlauts may be written out ("Oesterreich"). A part of a country
 * ("England") is not one: the answer names the country it belongs to.
 */
export function lookUpCountry(value: string): CountryLookup {
  const name = normaliseName(value);
  const part = notCountries[name] ?? notCountries[fold(name)];
  if (part) return { part: value.trim(), of: part };
  const code = byName.get(name) ?? byFoldedName.get(fold(name));
  return code ? { code } : { unknown: true };
}

// ---------------------------------------------------------------------------------------------
// Postal codes

// Examples for formats that are not "n digits"; they only make the message concrete.
const postalExamples: Record<string, string> = {
  GB: 'SW1A 1AA', NL: '1012 AB', PL: '00-950', CZ: '110 00', SK: '811 01', SE: '114 55', PT: '1000-001', IE: 'D02 X285',
  CA: 'K1A 0B1', US: '10001 oder 10001-1234', FR: '75001', ES: '28001', AT: '1010', JP: '100-0001', BR: '01310-100', MT: 'VLT 1117',
  LV: 'LV-1050', LT: 'LT-01100', LU: '1111', GR: '105 57', LI: '9490', MC: '98000', AD: 'AD500', SM: '47890', VA: '00120',
};

const digitsOnly = /^\\d\{(\d+)\}\$$/;
const plausiblePostalCode = /^[A-Z0-9](?:[A-Z0-9 -]{0,10}[A-Z0-9])?$/;

/** What a postal code of this country looks like, for messages; null without a known rule. */
export function describePostalCode(code: string): string | null {
  if (!postcodeValidatorExistsForCountry(code)) return null;
  const example = postalExamples[code];
  if (example) return `z. B. ${example}`;
  // Read off the rule where it is plainly "n digits" (DE, CH, DK, IT …).
  for (let n = 3; n <= 7; n++) if (postcodeValidator('1'.repeat(n), code) && !postcodeValidator('1'.repeat(n + 1), code) && !postcodeValidator('1'.repeat(n - 1), code)) return `${n} Ziffern`;
  return null;
}

/** Whether the postal code fits the country's rule, or looks like a postal code where no rule is known. */
export function isPostalCodeValid(code: string, postalCode: string): boolean {
  if (postcodeValidatorExistsForCountry(code)) return postcodeValidator(postalCode, code);
  return plausiblePostalCode.test(postalCode);
}

/**
 * Excel and LibreOffice store "01067" typed into a number cell as 1067. The zero that went
 * missing comes back when the value is digits only, fails the country's rule and fits it with
 * one leading zero more. null when that does not apply.
 */
export function restoreLeadingZero(code: string, postalCode: string): string | null {
  if (!/^\d+$/.test(postalCode) || !postcodeValidatorExistsForCountry(code)) return null;
  if (postcodeValidator(postalCode, code)) return null;
  const padded = `0${postalCode}`;
  return postcodeValidator(padded, code) ? padded : null;
}

// ---------------------------------------------------------------------------------------------
// VAT IDs

// jsvat's countries are named by their ISO codes [alpha-2, alpha-3, numeric]; "EU" is the
// one-stop-shop number, not a country.
const vatRuleByCountry = new Map<string, jsvat.Country>(jsvat.countries.filter((rule) => rule.codes[0] !== 'EU').map((rule) => [rule.codes[0]!, rule]));

const vatExamples: Record<string, string> = {
  DE: 'DE123456789', AT: 'ATU12345678', CH: 'CHE-123.456.789 MWST', GB: 'GB123456789', PL: 'PL1234567890', DK: 'DK12345678',
  NL: 'NL123456789B01', BE: 'BE0123456789', FR: 'FRXX123456789', IT: 'IT12345678901', ES: 'ESX1234567X', LU: 'LU12345678', CZ: 'CZ12345678',
  SE: 'SE123456789001', FI: 'FI12345678', IE: 'IE1234567X', PT: 'PT123456789', NO: 'NO123456789MVA', GR: 'EL123456789',
};

const plausibleVatId = /^[A-Z]{2}[A-Z0-9+*-]{2,16}$/;

/** Whether the VAT ID has the format of its country (jsvat), or looks like one where no rule is known. */
export function isVatIdValid(code: string, vatId: string): boolean {
  const rule = vatRuleByCountry.get(code);
  if (!rule) return plausibleVatId.test(vatId);
  return jsvat.checkVAT(vatId, [rule]).isValidFormat;
}

/** What a VAT ID of this country looks like, for messages. */
export function describeVatId(code: string): string {
  const example = vatExamples[code];
  if (example) return `z. B. ${example}`;
  return vatRuleByCountry.has(code) ? `${code} und die Nummer nach dem dortigen Format` : 'zwei Buchstaben Ländercode und die Nummer';
}
