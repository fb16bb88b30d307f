import { servedCataloguesVariable } from "#shared/config/catalogue-ids";
import { type Env, requiredVariable } from "#shared/config/env";

/** What the audit API function reads at cold start (`loadAuditApiConfig`). */
export interface AuditApiConfig {
  tableName: string;
  /** The catalogues `?catalogue=` may name (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: string[];
  /** The one answered without `?catalogue=` (DRIFTWATCH_CATALOGUE_ID, else the first). */
  defaultCatalogueId: string;
  region: string;
}

export class AuditApiConfigError extends Error {
  override readonly name = "AuditApiConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

/**
 * Reads the audit API's configuration once; `AuditApiConfigError` names the missing variable.
 * DRIFTWATCH_TABLE_NAME and AWS_REGION (set by Lambda) are required, and DRIFTWATCH_CATALOGUE_IDS
 * or DRIFTWATCH_CATALOGUE_ID (`servedCataloguesVariable`): no default, each decides which data is
 * answered.
 */
export function loadAuditApiConfig(env: Env): AuditApiConfig {
  return {
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", AuditApiConfigError),
    ...servedCataloguesVariable(env, AuditApiConfigError),
    region: requiredVariable(env, "AWS_REGION", AuditApiConfigError),
  };
}
