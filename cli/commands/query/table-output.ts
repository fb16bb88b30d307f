import { type CsvColumns, csvHeader, csvRecords } from "#shared/query/csv";
import { QueryInputError, type QueryOutput } from "./query-command";

/**
 * How the auditor's list commands write (`history`, `ip`, `events`, `state`, `changes`,
 * `notifications`): for people, as one JSON document (`--json`), or as CSV (`--csv`: a header row,
 * RFC 4180). Rows are written as each page is read, so no command holds a whole table.
 */
export type OutputFormat = "text" | "json" | "csv";

export interface FormatOptions {
  json?: boolean;
  csv?: boolean;
}

/** The format asked for; `--json` and `--csv` together are refused. */
export function outputFormat(options: FormatOptions): OutputFormat {
  if (options.json && options.csv) {
    throw new QueryInputError("--json and --csv cannot be combined (choose one output format)");
  }
  return options.json ? "json" : options.csv ? "csv" : "text";
}

export interface TableWriter<Row> {
  /** Writes one page of rows. */
  rows(rows: readonly Row[]): void;
  /** Ends the document (`extra`: top-level fields of the JSON document, after the rows). */
  end(extra?: Record<string, unknown>): void;
}

export interface TableSpec<Row> {
  /** The JSON document's list, e.g. `notifications`. */
  name: string;
  /** Top-level fields of the JSON document before the list (the query asked). */
  head?: Record<string, unknown>;
  columns: CsvColumns<Row>;
  /** A page of rows for people (lines, each with its newline). */
  text: (rows: readonly Row[]) => string;
  /** What people see before the first row, and when there are none. */
  textHeading?: string;
  textEmpty: string;
  /** The JSON form of a row (the row itself when omitted). */
  json?: (row: Row) => unknown;
}

/** A writer that streams `spec`'s rows in `format` to `output.stdout`. */
export function tableWriter<Row>(
  format: OutputFormat,
  spec: TableSpec<Row>,
  output: QueryOutput,
): TableWriter<Row> {
  let count = 0;
  const write = output.stdout;
  if (format === "csv") write(csvHeader(spec.columns));
  if (format === "json") {
    const head = Object.entries(spec.head ?? {}).map(
      ([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},\n`,
    );
    write(`{\n${head.join("")}  ${JSON.stringify(spec.name)}: [`);
  }
  return {
    rows(rows) {
      if (rows.length === 0) return;
      if (format === "csv") write(csvRecords(spec.columns, rows));
      else if (format === "json") {
        const items = rows.map((row) => JSON.stringify(spec.json?.(row) ?? row));
        write(`${count === 0 ? "\n    " : ",\n    "}${items.join(",\n    ")}`);
      } else {
        if (count === 0 && spec.textHeading !== undefined) write(spec.textHeading);
        write(spec.text(rows));
      }
      count += rows.length;
    },
    end(extra = {}) {
      if (format === "json") {
        const tail = Object.entries(extra).map(
          ([key, value]) => `,\n  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
        );
        write(`${count === 0 ? "]" : "\n  ]"}${tail.join("")}\n}\n`);
      } else if (format === "text" && count === 0) write(spec.textEmpty);
    },
  };
}

/**
 * Reads pages until the last (`next` answers the rows and the cursor of the following page) and
 * hands each to `writer` as it comes: memory holds one page.
 */
export async function streamPages<Row>(
  writer: TableWriter<Row>,
  next: (cursor: string | undefined) => Promise<{ rows: readonly Row[]; cursor: string | null }>,
): Promise<number> {
  let cursor: string | undefined;
  let total = 0;
  do {
    const page = await next(cursor);
    writer.rows(page.rows);
    total += page.rows.length;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return total;
}
