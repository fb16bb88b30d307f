import type { RunPosition } from "#shared/observe/dns/observation-store";

/** Keys of the DNS observation items (TABLE.md, "DNS observations"). */

/** The sort key of a run record (`RUN#<runId>` / `RUN`). */
export const RUN_SK = "RUN";
/** Sorts after every run id character. */
export const HIGH = "\uffff";
/** `gsi1pk` of the run records whose drift has not been judged yet. */
export const UNJUDGED_RUN = "UNJUDGED_RUN";

export const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: RUN_SK });
/** The sort keys of a run's write leases (`RUN#<runId>` / `LEASE#<scope>`) begin with this. */
export const leaseSkPrefix = "LEASE#";
export const leaseKey = (runId: string, scope: string) => ({
  pk: `RUN#${runId}`,
  sk: `${leaseSkPrefix}${scope}`,
});
/**
 * The newest judged run (`DNS_RUNS` / `LAST_JUDGED`): `previousObservations` reads the state
 * before a run as that run's history items, in batches, instead of one query per hostname.
 */
export const LAST_JUDGED_KEY = { pk: "DNS_RUNS", sk: "LAST_JUDGED" } as const;
/** A run's place in the history order: its history items' sort key without `RUN#`. */
export const runPosition = (position: RunPosition) => `${position.observedAt}#${position.runId}`;
export const hostPk = (hostname: string) => `HOST#${hostname}`;
/** The sort key of a run's observation of a hostname: `RUN#<observedAt>#<runId>`. */
export const runSk = (position: RunPosition) => `RUN#${position.observedAt}#${position.runId}`;
export const ipPk = (ip: string) => `IP#${ip}`;
