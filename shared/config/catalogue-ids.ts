import { z } from "zod";
import { type ConfigErrorClass, type Env, readVariable } from "./env";

/**
 * A catalogue id: a lower-case slug of letters, digits, dots and hyphens. The one pattern of the
 * catalogue schema, the variables, `--catalogue` and `?catalogue=`.
 */
export const CATALOGUE_ID_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;
const CatalogueId = z.string().regex(CATALOGUE_ID_PATTERN, "must be a lower-case slug");

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

/** The catalogues an API serves (the firewall feed, the audit API) and the one it answers by default. */
export interface ServedCatalogues {
  /** DRIFTWATCH_CATALOGUE_IDS in its order (`catalogueIdsVariable`). */
  catalogueIds: string[];
  /** What a request that names no catalogue is answered from. */
  defaultCatalogueId: string;
}

/**
 * `catalogueIdsVariable`, and the default catalogue: DRIFTWATCH_CATALOGUE_ID when set (the one
 * catalogue every poller read before a deployment had several; it must be one of the list), else
 * the first of the list.
 */
export function servedCataloguesVariable(
  env: Env,
  ConfigError: ConfigErrorClass,
): ServedCatalogues {
  const catalogueIds = catalogueIdsVariable(env, ConfigError);
  const primary = readVariable(env, "DRIFTWATCH_CATALOGUE_ID");
  if (primary === undefined) return { catalogueIds, defaultCatalogueId: catalogueIds[0] ?? "" };
  if (!catalogueIds.includes(primary)) {
    throw new ConfigError(
      "DRIFTWATCH_CATALOGUE_ID",
      `${JSON.stringify(primary)} is not one of DRIFTWATCH_CATALOGUE_IDS (${catalogueIds.join(", ")})`,
    );
  }
  return { catalogueIds, defaultCatalogueId: primary };
}
