import { z } from "zod";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { SCHEMA_VERSION } from "./observation-item";
import { runKey, UNJUDGED_RUN } from "./observation-keys";
import { ObservationStoreError } from "./observation-store-error";

/** The run record (`RUN#<runId>` / `RUN`) and back: pure mapping, no I/O. */

const RunItem = z.object({
  runId: z.string(),
  observedAt: z.string(),
  hostnames: z.array(z.string()),
});

/** The run record of a run just begun, in the unjudged index; `expiresAt` is its TTL. */
export function runItem(run: DnsRun, expiresAt: number): Record<string, unknown> {
  return {
    ...runKey(run.runId),
    kind: "dns-run",
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    observedAt: run.observedAt,
    hostnames: run.hostnames,
    expiresAt,
    // In the unjudged index until markRunJudged: oldest first by observation time.
    gsi1pk: UNJUDGED_RUN,
    gsi1sk: `${run.observedAt}#${run.runId}`,
  };
}

/** The run a stored run record holds; `name` says which record in the error. */
export function parseRun(item: unknown, name: string): DnsRun {
  const parsed = RunItem.safeParse(item);
  if (!parsed.success) {
    throw new ObservationStoreError(`stored run ${name} is malformed`, { cause: parsed.error });
  }
  return parsed.data;
}
