import type { AuditApiClient } from "#cli/api/audit-api-client";
import type { Runtime } from "#cli/runtime";
import { QueryInputError, withQueryStore } from "./query-command";

/**
 * Where an auditor's query is answered: the store `driftwatch detect` wrote (the embedded one or
 * the AWS table), or the audit HTTP API (`--api URL`, SigV4-signed; docs/api.md). Both answer
 * with the use cases' types, so a command prints the same whichever it asked.
 */
export type QuerySource =
  | { kind: "table"; runtime: Runtime; where: string }
  | { kind: "api"; client: AuditApiClient; where: string };

export interface QuerySourceOptions {
  stateDir: string;
  /** The audit API's base URL; the table when omitted. */
  api?: string;
}

/** Runs `use` with the source the options name; a store opened for it is closed after. */
export async function withQuerySource(
  options: QuerySourceOptions,
  env: NodeJS.ProcessEnv,
  use: (source: QuerySource) => Promise<number>,
): Promise<number> {
  if (options.api === undefined) {
    return withQueryStore(options.stateDir, env, (runtime) =>
      use({ kind: "table", runtime, where: runtime.where }),
    );
  }
  const { AuditApiConfigurationError, createAuditApiClient } = await import(
    "#cli/api/audit-api-client"
  );
  let client: AuditApiClient;
  try {
    client = createAuditApiClient({ url: options.api, env });
  } catch (error) {
    if (error instanceof AuditApiConfigurationError) {
      throw new QueryInputError(error.message, { cause: error });
    }
    throw error;
  }
  return use({ kind: "api", client, where: `the audit API at ${options.api}` });
}
