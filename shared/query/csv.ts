/**
 * CSV as RFC 4180 writes it, for the auditor's `--csv` outputs: a header row, then one record per
 * row, CRLF line ends; a field holding a comma, a double quote, a CR or an LF is quoted, its
 * quotes doubled. Rows are formatted one at a time, so a command streams them page by page.
 */

/** What a cell may hold: absent values are empty, lists are joined with a space. */
export type CsvValue = string | number | boolean | null | undefined | readonly (string | number)[];

const NEEDS_QUOTES = /[",\r\n]/;

/** One field, quoted when it must be. */
export function csvField(value: CsvValue): string {
  const text =
    value === null || value === undefined
      ? ""
      : Array.isArray(value)
        ? value.join(" ")
        : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, with its CRLF. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** A table's columns: each a header and how to read the cell from a row. */
export type CsvColumns<Row> = readonly (readonly [header: string, cell: (row: Row) => CsvValue])[];

/** The header record of `columns`. */
export function csvHeader<Row>(columns: CsvColumns<Row>): string {
  return csvRow(columns.map(([header]) => header));
}

/** The records of `rows` (no header), in order. */
export function csvRecords<Row>(columns: CsvColumns<Row>, rows: readonly Row[]): string {
  return rows.map((row) => csvRow(columns.map(([, cell]) => cell(row)))).join("");
}

/** A whole document: the header and every row. */
export function toCsv<Row>(columns: CsvColumns<Row>, rows: readonly Row[]): string {
  return csvHeader(columns) + csvRecords(columns, rows);
}
