import {
  familyCidrs,
  type PrefixListFamily,
  type PrefixListLimits,
  planPrefixList,
  prefixListCidr,
} from "./plan";
import {
  type AllowlistEntries,
  PrefixListConflictError,
  type PrefixLists,
  PrefixListThrottledError,
} from "./ports";

/**
 * Keeps the AWS managed prefix lists tagged for a group in step with the group's allowlist, one
 * list per address family. Called for each group a notification names; a redelivered or
 * repeated notification finds nothing left to do.
 *
 * 1. Read the group's allowlist entries (no file: nothing is touched) and its tagged lists.
 * 2. Per family with one list: read its version, size and entries, plan (plan.ts).
 * 3. Dry run or refused (over MaxEntries): report the plan, apply nothing.
 * 4. Else apply one step with the version read (grow MaxEntries, or one batch), then read again
 *    and plan again, until nothing is left: each call names the version it was planned on.
 * 5. The list moved under us (another writer, a modification still running) or AWS throttled:
 *    wait, read again and plan again, at most `maxRetries` times, then `PrefixListSyncError`.
 */

export type PrefixListSyncStatus =
  | "unchanged"
  | "applied"
  | "dry-run"
  | "refused"
  | "no-prefix-list"
  | "ambiguous";

export interface PrefixListReport {
  group: string;
  family: PrefixListFamily;
  prefixListId?: string;
  status: PrefixListSyncStatus;
  /** The allowlist's entries of this family. */
  targetEntries: number;
  fromVersion?: number;
  toVersion?: number;
  /** Applied, or (dry run, refused) what would be. */
  added: string[];
  removed: string[];
  resizedTo?: number;
  maxEntries?: number;
  retries: number;
  reason?: string;
}

export interface GroupSyncReport {
  group: string;
  allowlist: "found" | "missing";
  dryRun: boolean;
  lists: PrefixListReport[];
}

export interface SyncPrefixListsDeps {
  prefixLists: PrefixLists;
  allowlists: AllowlistEntries;
  /** Waits between retries (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
}

export interface SyncPrefixListsOptions {
  dryRun: boolean;
  limits: PrefixListLimits;
  /** Re-reads after a conflict or throttling before giving up (default 6). */
  maxRetries?: number;
  /** First wait; doubles on each retry, at most 8 s (default 500 ms). */
  backoffMs?: number;
}

export class PrefixListSyncError extends Error {
  override readonly name = "PrefixListSyncError";
  constructor(
    readonly group: string,
    readonly prefixListId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`group ${group}, prefix list ${prefixListId}: ${reason}`, options);
  }
}

const FAMILIES: PrefixListFamily[] = ["IPv4", "IPv6"];
/** More steps than the largest list (1,000 entries, 100 a call, both ways) can need. */
const MAX_STEPS = 30;
const MAX_BACKOFF_MS = 8000;

export async function syncGroupPrefixLists(
  deps: SyncPrefixListsDeps,
  group: string,
  options: SyncPrefixListsOptions,
): Promise<GroupSyncReport> {
  const entries = await deps.allowlists.entriesOf(group);
  if (entries === null) return { group, allowlist: "missing", dryRun: options.dryRun, lists: [] };
  const lists = await withRetries(deps, options, group, "(discovery)", () =>
    deps.prefixLists.listsOf(group),
  );
  const reports: PrefixListReport[] = [];
  for (const family of FAMILIES) {
    const target = familyCidrs(entries, family);
    const candidates = lists.value.filter((list) => list.family === family);
    const base = { group, family, targetEntries: target.length, added: [], removed: [] };
    if (candidates.length > 1) {
      reports.push({
        ...base,
        status: "ambiguous",
        retries: 0,
        reason: `${candidates.length} prefix lists are tagged for ${group} (${family}): ${candidates.map((c) => c.id).join(", ")}; tag one`,
      });
    } else if (candidates[0] === undefined) {
      if (target.length > 0) {
        reports.push({
          ...base,
          status: "no-prefix-list",
          retries: 0,
          reason: `no ${family} prefix list is tagged for ${group}`,
        });
      }
    } else {
      reports.push(await syncList(deps, options, group, family, candidates[0].id, target));
    }
  }
  return { group, allowlist: "found", dryRun: options.dryRun, lists: reports };
}

async function syncList(
  deps: SyncPrefixListsDeps,
  options: SyncPrefixListsOptions,
  group: string,
  family: PrefixListFamily,
  id: string,
  target: string[],
): Promise<PrefixListReport> {
  const report: PrefixListReport = {
    group,
    family,
    prefixListId: id,
    status: "unchanged",
    targetEntries: target.length,
    added: [],
    removed: [],
    retries: 0,
  };
  for (let step = 0; step < MAX_STEPS; step++) {
    const outcome = await withRetries(deps, options, group, id, async () => {
      const list = await deps.prefixLists.describe(id);
      if (list.state === "in-progress") throw new PrefixListConflictError(id, "IncorrectState");
      report.fromVersion ??= list.version;
      report.toVersion = list.version;
      report.maxEntries = list.maxEntries;
      const stored = new Map<string, string>();
      for (const raw of await deps.prefixLists.entries(id)) {
        stored.set(prefixListCidr(raw, family) ?? raw, raw);
      }
      const plan = planPrefixList([...stored.keys()], target, list.maxEntries, options.limits);
      if (plan.kind === "unchanged") return "done";
      if (plan.kind === "refused" || options.dryRun) {
        Object.assign(report, {
          status: plan.kind === "refused" ? "refused" : "dry-run",
          added: plan.add,
          removed: plan.remove,
          ...(plan.kind === "apply" && plan.resizeTo !== undefined
            ? { resizedTo: plan.resizeTo }
            : {}),
          ...(plan.kind === "refused" ? { reason: plan.reason } : {}),
        });
        return "done";
      }
      if (plan.resizeTo !== undefined) {
        report.toVersion = await deps.prefixLists.modify(id, list.version, {
          maxEntries: plan.resizeTo,
        });
        report.resizedTo = plan.resizeTo;
      } else {
        const [batch = { add: [], remove: [] }] = plan.batches;
        report.toVersion = await deps.prefixLists.modify(id, list.version, {
          add: batch.add,
          remove: batch.remove.map((cidr) => stored.get(cidr) ?? cidr),
          description: `driftwatch ${group}`.slice(0, 255),
        });
        report.added.push(...batch.add);
        report.removed.push(...batch.remove);
      }
      report.status = "applied";
      return "again";
    });
    report.retries += outcome.retries;
    if (outcome.value === "done") return report;
  }
  throw new PrefixListSyncError(group, id, `not converged after ${MAX_STEPS} modifications`);
}

async function withRetries<T>(
  deps: SyncPrefixListsDeps,
  options: SyncPrefixListsOptions,
  group: string,
  id: string,
  attempt: () => Promise<T>,
): Promise<{ value: T; retries: number }> {
  const maxRetries = options.maxRetries ?? 6;
  const sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (let retries = 0; ; retries++) {
    try {
      return { value: await attempt(), retries };
    } catch (error) {
      const retryable =
        error instanceof PrefixListConflictError || error instanceof PrefixListThrottledError;
      if (!retryable) throw error;
      if (retries >= maxRetries) {
        throw new PrefixListSyncError(
          group,
          id,
          `gave up after ${retries} retries: ${error.message}`,
          { cause: error },
        );
      }
      await sleep(Math.min((options.backoffMs ?? 500) * 2 ** retries, MAX_BACKOFF_MS));
    }
  }
}
