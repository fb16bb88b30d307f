import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";
import { Catalogue } from "#shared/catalogue/schema";

export { DEFAULT_CATALOGUE_PATH };

/** One thing wrong with a catalogue, at a path such as `endpoints[12].ips[0]`. */
export interface CatalogueProblem {
  path: string;
  message: string;
}

/** The catalogue does not conform to the schema; `problems` lists every violation. */
export class CatalogueValidationError extends Error {
  override readonly name = "CatalogueValidationError";
  readonly problems: CatalogueProblem[];
  /** The file (or other source) the catalogue came from, when known. */
  readonly source: string | undefined;

  constructor(problems: CatalogueProblem[], source?: string, options?: ErrorOptions) {
    const where = source === undefined ? "catalogue" : source;
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${where} is not a valid catalogue (${count}):\n${formatProblems(problems)}`, options);
    this.problems = problems;
    this.source = source;
  }
}

/** The catalogue file is not JSON. */
export class CatalogueSyntaxError extends Error {
  override readonly name = "CatalogueSyntaxError";
  constructor(
    readonly source: string,
    options: ErrorOptions & { cause: SyntaxError },
  ) {
    super(`${source} is not valid JSON: ${printable(options.cause.message)}`, options);
  }
}

/** Control and non-ASCII bytes of a binary file quoted in a message, as `\xNN` escapes. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : "?";
  });
}

/** The catalogue file cannot be read. */
export class CatalogueReadError extends Error {
  override readonly name = "CatalogueReadError";
  constructor(
    readonly source: string,
    options: ErrorOptions,
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot read catalogue ${source}: ${reason}`, options);
  }
}

/** `endpoints[12].ips[0]: "185.155.104.256" is not an IPv4 address`, one problem per line. */
export function formatProblems(problems: readonly CatalogueProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("\n");
}

/** `["endpoints", 12, "ips", 0]` → `endpoints[12].ips[0]`; the root is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(root)" : out;
}

function problemsFrom(issues: readonly z.core.$ZodIssue[]): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: "is not a known field" });
      }
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: describe(issue) });
  }
  return problems;
}

function describe(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === "invalid_type" && input === undefined) {
    return `is required (expected ${issue.expected})`;
  }
  if (typeof input === "string" || typeof input === "number") {
    const shown = JSON.stringify(input);
    if (!issue.message.includes(shown)) return `${shown}: ${issue.message}`;
  }
  return issue.message;
}

export type CatalogueValidation =
  | { ok: true; catalogue: Catalogue }
  | { ok: false; problems: CatalogueProblem[] };

/** Checks a parsed JSON value against the schema, collecting every problem. */
export function validateCatalogue(input: unknown): CatalogueValidation {
  const result = Catalogue.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, catalogue: result.data };
  return { ok: false, problems: problemsFrom(result.error.issues) };
}

/** Returns the catalogue, or throws `CatalogueValidationError` listing every problem. */
export function parseCatalogue(input: unknown, source?: string): Catalogue {
  const validation = validateCatalogue(input);
  if (!validation.ok) throw new CatalogueValidationError(validation.problems, source);
  return validation.catalogue;
}

/** Parses catalogue JSON text; `source` names the file in errors. */
export function parseCatalogueJson(text: string, source: string): Catalogue {
  let input: unknown;
  if (text.startsWith("\u001f\ufffd") || text.startsWith("\u001f\u008b")) {
    throw new CatalogueSyntaxError(source, {
      cause: new SyntaxError("the file is gzip-compressed; decompress it first (gunzip)"),
    });
  }
  try {
    input = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw new CatalogueSyntaxError(source, { cause: error });
    throw error;
  }
  return parseCatalogue(input, source);
}

/**
 * Reads and validates a catalogue file. Throws `CatalogueReadError`, `CatalogueSyntaxError` or
 * `CatalogueValidationError`.
 */
export async function loadCatalogueFile(path: string = DEFAULT_CATALOGUE_PATH): Promise<Catalogue> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CatalogueReadError(path, { cause: error });
  }
  return parseCatalogueJson(text, path);
}
