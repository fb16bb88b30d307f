import { fileURLToPath } from "node:url";

/**
 * The shipped Clearswift SEG 5.3 (Issue 3.6) catalogue, resolved from this module's location. Its
 * own module (no schema, no zod): the CLI's option defaults show it in `driftwatch --help`.
 */
export const DEFAULT_CATALOGUE_PATH = fileURLToPath(
  new URL("../../fixtures/catalogue/clearswift-seg-5.3.json", import.meta.url),
);
