import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { Catalogue } from "#shared/catalogue/schema";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import {
  type ResolveHostnamesResult,
  resolveHostnames,
} from "#shared/observe/dns/resolve-hostnames";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import type { ResolveTarget } from "#shared/observe/dns/resolve-targets";

/** Short c-ares timeouts for loopback servers that answer at once (or never). */
export const FAST_DNS = { timeoutMs: 300, tries: 1 };

/**
 * One DNS run of `targets` against `servers` (real c-ares, loopback), recorded in the test
 * stack's table at the simulated time `now`: the same use case the Lambda and the CLI run.
 */
export async function resolveRun(
  stack: EmbeddedStack,
  input: {
    servers: string[];
    targets: Catalogue | readonly ResolveTarget[];
    runId: string;
    now: Date;
    options?: Partial<ResolveOptions>;
  },
): Promise<ResolveHostnamesResult> {
  const resolver = createCaresResolver({ servers: input.servers, ...FAST_DNS });
  const store = createDynamoObservationStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  });
  try {
    const result = await resolveHostnames(
      { resolver, store },
      {
        targets: input.targets,
        runId: input.runId,
        now: input.now,
        deadline: Date.now() + 20_000,
        ...(input.options ? { options: input.options } : {}),
      },
    );
    // As the callers do once the run is judged: a later run of the same id may take it.
    await store.releaseRunLease(result.lease);
    return result;
  } finally {
    resolver.close();
  }
}
