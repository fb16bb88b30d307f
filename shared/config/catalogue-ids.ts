import { z } from "zod";
import { type ConfigErrorClass, type Env, readVariable } from "./env";

/** A catalogue id as the catalogue schema spells it (catalogue/schema.ts). */
const CatalogueId = z.string().regex(/^[a-z0-9][a-z0-9./_-]*$/, "must be a lower-case slug");

/**
 * The catalogues a deployment watches, read once at cold start:
 *
 * - DRIFTWATCH_CATALOGUE_IDS: a comma list of catalogue ids (the `catalogueIds` parameter);
 * - unset or blank: DRIFTWATCH_CATALOGUE_ID, the one catalogue, as before (required then).
 *
 * Each id is trimmed; an empty entry, a malformed id or a repeated one is an error naming the
 * variable and the id. The order is kept: each run judges the catalogues in that order.
 */
export function catalogueIdsVariable(env: Env, ConfigError: ConfigErrorClass): string[] {
  const list = readVariable(env, "DRIFTWATCH_CATALOGUE_IDS");
  if (list === undefined) {
    const single = readVariable(env, "DRIFTWATCH_CATALOGUE_ID");
    if (single === undefined) {
      throw new ConfigError(
        "DRIFTWATCH_CATALOGUE_ID",
        "is required (or DRIFTWATCH_CATALOGUE_IDS, a comma list, for several catalogues)",
      );
    }
    return [parseId("DRIFTWATCH_CATALOGUE_ID", single, ConfigError)];
  }
  const ids = list.split(",").map((id) => id.trim());
  const seen = new Set<string>();
  for (const id of ids) {
    parseId("DRIFTWATCH_CATALOGUE_IDS", id, ConfigError);
    if (seen.has(id)) {
      throw new ConfigError(
        "DRIFTWATCH_CATALOGUE_IDS",
        `lists catalogue ${JSON.stringify(id)} twice`,
      );
    }
    seen.add(id);
  }
  return ids;
}

function parseId(variable: string, id: string, ConfigError: ConfigErrorClass): string {
  if (id === "")
    throw new ConfigError(variable, "has an empty catalogue id (two commas, or a trailing one)");
  const parsed = CatalogueId.safeParse(id);
  if (!parsed.success) {
    throw new ConfigError(
      variable,
      `catalogue id ${JSON.stringify(id)} ${parsed.error.issues[0]?.message ?? "is malformed"}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
