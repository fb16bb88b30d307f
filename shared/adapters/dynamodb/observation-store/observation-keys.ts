import type { RunPosition } from "#shared/observe/dns/observation-store";

/** Keys of the DNS observation items (TABLE.md, "DNS observations"). */

/** The sort key of a run record (`RUN#<runId>` / `RUN`). */
export const RUN_SK = "RUN";
/** Sorts after every run id character. */
export const HIGH = "\uffff";
/** `gsi1pk` of the run records whose drift has not been judged yet. */
export const UNJUDGED_RUN = "UNJUDGED_RUN";

export const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: RUN_SK });
export const hostPk = (hostname: string) => `HOST#${hostname}`;
/** The sort key of a run's observation of a hostname: `RUN#<observedAt>#<runId>`. */
export const runSk = (position: RunPosition) => `RUN#${position.observedAt}#${position.runId}`;
export const ipPk = (ip: string) => `IP#${ip}`;
