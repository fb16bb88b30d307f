import {
  type GroupSyncReport,
  type SyncPrefixListsDeps,
  type SyncPrefixListsOptions,
  syncGroupPrefixLists,
} from "./sync-prefix-lists";

/** A group the reconcile could not sync (throttled or contended past the retries, unreadable). */
export interface GroupSyncFailure {
  group: string;
  error: unknown;
}

/**
 * Brings every group's tagged prefix lists of this stage to the group's allowlist, whatever
 * notification was or was not sent: a catalogue revision that moved or removed a group's last
 * endpoint rewrites its allowlist (emptied, versioned) without an IP event, a notification that
 * reached the dead-letter queue, a list someone edited by hand. One group failing does not stop
 * the others; the failures are returned beside the reports.
 */
export async function reconcilePrefixLists(
  deps: SyncPrefixListsDeps,
  options: SyncPrefixListsOptions,
): Promise<{ reports: GroupSyncReport[]; failures: GroupSyncFailure[] }> {
  const groups = await deps.prefixLists.taggedGroups();
  const reports: GroupSyncReport[] = [];
  const failures: GroupSyncFailure[] = [];
  for (const group of groups) {
    try {
      reports.push(await syncGroupPrefixLists(deps, group, options));
    } catch (error) {
      failures.push({ group, error });
    }
  }
  return { reports, failures };
}
