import type { Logger } from "@aws-lambda-powertools/logger";
import type { GroupAllowlist } from "#shared/allowlists/build";
import { groupsOnUnreadableFeeds } from "#shared/allowlists/held";
import { groupsListingBeyondRanges } from "#shared/allowlists/listing-policies";
import type { AllowlistPlan } from "#shared/allowlists/plan-allowlists";
import { readWrittenAllowlists } from "#shared/allowlists/read-written-allowlists";
import { type AllowlistWriterDeps, writeAllowlists } from "#shared/allowlists/write-allowlists";
import type { WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type { DriftInput, DriftOptions } from "#shared/compare/drift-input";
import { evaluateDriftAndPlan } from "#shared/compare/evaluate-drift";
import type { DriftEvent } from "../compare/drift-event";
import { emptiedGroupAllowlists } from "./allowlist-versions/emptied-groups";
import type { AllowlistVersionStore } from "./allowlist-versions/ports";
import {
  stageAllowlistChanges,
  versionAllowlistChanges,
} from "./allowlist-versions/version-allowlists";
import type { ChangeSet } from "./change-set";
import { commitDriftEvents } from "./commit-drift-events";
import type { EventCommitStore } from "./ports";

export interface RecordDriftDeps {
  events: EventCommitStore;
  allowlists: AllowlistWriterDeps;
  /**
   * The catalogue's allowlist version (`allowlist-versions/`): moved once per allowlist content
   * change. Without it no version is kept.
   */
  allowlistVersions?: AllowlistVersionStore;
  logger?: Pick<Logger, "info" | "warn" | "error">;
}

export interface RecordDriftInput extends Omit<DriftInput, "options"> {
  options: DriftOptions;
}

export interface RecordDriftResult {
  /** Every verdict of this run, including conditions already notified by earlier runs. */
  events: DriftEvent[];
  /** Change sets committed (or completed) by this run: what is new since the last run. */
  changeSets: ChangeSet[];
  /** Change-event records committed by this run. */
  committed: number;
  /** Allowlist object keys written (empty when no list changed). */
  allowlistsWritten: string[];
}

/**
 * The record step of a detection cycle, after observation and before publishing:
 *
 * 1. Evaluate the verdicts (pure), which plans this cycle's allowlists.
 * 2. Commit them: new change sets and change-event records in DynamoDB, before any publishing.
 * 3. Rewrite the allowlists whose content changed, so that a subscriber reacting to the
 *    notification fetches lists that already have the change; with `allowlistVersions`, the
 *    changes are staged before and versioned after (`version-allowlists.ts`).
 *
 * Publishing the committed change sets is the caller's next step (`judgeDrift` in
 * shared/detect, or the `publish-events` function). A store error (DynamoDB, S3) is thrown: a
 * retry of the same run is safe.
 */
export async function recordDrift(
  deps: RecordDriftDeps,
  input: RecordDriftInput,
): Promise<RecordDriftResult> {
  const written = await lastWrittenAllowlists(deps, input);
  const { events, allowlists: plan } = evaluateDriftAndPlan({
    ...input,
    writtenAllowlists: written,
  });
  const commit = await commitDriftEvents(deps, {
    events,
    runId: input.runId,
    catalogueId: input.catalogue.id,
    now: input.now,
  });
  const versioning =
    deps.allowlistVersions === undefined
      ? null
      : { versions: deps.allowlistVersions, objects: deps.allowlists.objects, logger: deps.logger };
  const planned = await withEmptiedGroups(
    deps,
    input.catalogue,
    heldForUnreadableFeeds(plan, deps.logger),
  );
  const versionRead =
    versioning === null
      ? null
      : await stageAllowlistChanges(versioning, {
          catalogueId: input.catalogue.id,
          allowlists: planned,
          runId: input.runId,
          eventIdsByGroup: eventIdsByGroup(commit.changeSets),
          now: input.now,
        });
  const allowlists = await writeAllowlists(deps.allowlists, {
    allowlists: planned,
    now: input.now,
  });
  if (versioning !== null) {
    await versionAllowlistChanges(versioning, {
      catalogueId: input.catalogue.id,
      allowlists: planned,
      read: versionRead,
      now: input.now,
    });
  }
  return {
    events,
    changeSets: commit.changeSets,
    committed: commit.committed,
    allowlistsWritten: allowlists.written,
  };
}

/** The plan, plus an empty allowlist for each group the version lists and the plan lost. */
async function withEmptiedGroups(
  deps: RecordDriftDeps,
  catalogue: RecordDriftInput["catalogue"],
  planned: GroupAllowlist[],
): Promise<GroupAllowlist[]> {
  if (deps.allowlistVersions === undefined) return planned;
  const version = await deps.allowlistVersions.getVersion(catalogue.id);
  const emptied = emptiedGroupAllowlists(catalogue, planned, version);
  for (const allowlist of emptied) {
    if (version?.groups[allowlist.group]?.contentSha256 === allowlist.contentSha256) continue;
    deps.logger?.info("group has no endpoint left: its allowlist is emptied", {
      catalogueId: catalogue.id,
      group: allowlist.group,
    });
  }
  return emptied.length === 0 ? planned : [...planned, ...emptied];
}

/** The events each group's new change sets committed. */
function eventIdsByGroup(changeSets: readonly ChangeSet[]): Map<string, string[]> {
  const byGroup = new Map<string, string[]>();
  for (const changeSet of changeSets) {
    if (changeSet.group === null) continue;
    const ids = byGroup.get(changeSet.group) ?? [];
    ids.push(...changeSet.events.map((e) => e.eventId));
    byGroup.set(changeSet.group, ids);
  }
  return byGroup;
}

/**
 * The last written documents this cycle needs: those of groups relying on an unreadable feed
 * (held, see `holdAllowlists`; an unusable one is logged) and those of the other groups with
 * endpoints judged against published ranges that observe an IP outside every range, whose
 * stranded IPs stay listed while observed (`groupsListingBeyondRanges`; a missing one is normal:
 * nothing was written yet). Bounded to those groups.
 */
async function lastWrittenAllowlists(
  deps: RecordDriftDeps,
  input: Pick<DriftInput, "catalogue" | "feeds" | "observations">,
): Promise<Map<string, WrittenAllowlist>> {
  const held = groupsOnUnreadableFeeds(input.catalogue, input.feeds.unreadable);
  const beyond = groupsListingBeyondRanges(
    input.catalogue,
    new Map(input.observations.map((o) => [o.hostname, o])),
    input.feeds.matchers,
  );
  const feedGroups = new Set([...beyond].filter((group) => !held.has(group)));
  const written = await readWrittenAllowlists(deps.allowlists.objects, held.keys(), deps.logger);
  const carried = await readWrittenAllowlists(deps.allowlists.objects, [...feedGroups].sort());
  return new Map([...written, ...carried]);
}

/**
 * The allowlists to write: the plan's (`planAllowlists`). A group relying on a feed whose stored
 * snapshot cannot be read this run is held (`holdAllowlists`): rebuilt with that feed's last
 * written prefixes, or, without a usable last written document, not rewritten. Built without
 * the feed's ranges it would drop every published prefix.
 */
function heldForUnreadableFeeds(
  plan: AllowlistPlan,
  logger: RecordDriftDeps["logger"],
): GroupAllowlist[] {
  for (const [group, { feeds, keptAsWritten }] of plan.held) {
    logger?.warn(
      keptAsWritten
        ? "allowlist kept as last written: a feed snapshot it lists is unreadable"
        : "allowlist keeps the last known ranges of a feed whose snapshot is unreadable",
      { group, feeds },
    );
  }
  return plan.allowlists;
}
