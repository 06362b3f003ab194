// Every refusal of an uploaded spreadsheet carries a German message for the page and a code
// for the route and the tests; nothing has been written when one is thrown.

export type SpreadsheetErrorCode =
  | 'empty'
  | 'too-large'
  | 'not-spreadsheet'
  | 'xls'
  | 'ods'
  | 'zip-unsafe'
  | 'xlsx-unreadable'
  | 'encoding'
  | 'csv-invalid'
  | 'too-many-rows'
  | 'missing-columns'
  | 'duplicate-column'
  | 'no-rows';

export class SpreadsheetError extends Error {
  readonly code: SpreadsheetErrorCode;

  /** cause: what a library threw, for the log; the page shows only the German message. */
  constructor(code: SpreadsheetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpreadsheetError';
    this.code = code;
  }
}
