import { type Env, requiredVariable } from "#shared/config/env";

/** What the audit API function reads at cold start (`loadAuditApiConfig`). */
export interface AuditApiConfig {
  tableName: string;
  /** The catalogue whose documentation `GET /ips/{ip}` reports. */
  catalogueId: string;
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
 * DRIFTWATCH_TABLE_NAME, DRIFTWATCH_CATALOGUE_ID and AWS_REGION (set by Lambda) are required: no
 * default, each decides which data is answered.
 */
export function loadAuditApiConfig(env: Env): AuditApiConfig {
  return {
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", AuditApiConfigError),
    catalogueId: requiredVariable(env, "DRIFTWATCH_CATALOGUE_ID", AuditApiConfigError),
    region: requiredVariable(env, "AWS_REGION", AuditApiConfigError),
  };
}
