import type { Logger } from "@aws-lambda-powertools/logger";
import { buildAllowlists, type GroupAllowlist } from "#shared/allowlists/build";
import { groupsOnUnreadableFeeds, holdAllowlists } from "#shared/allowlists/held";
import { type AllowlistWriterDeps, writeAllowlists } from "#shared/allowlists/write-allowlists";
import { readWrittenAllowlists, type WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type { ChangeSet } from "#shared/notify/change-set";
import type { EventStore, Notifier } from "#shared/notify/ports";
import { type PublishFailure, publishPendingEvents } from "#shared/notify/publish-pending";
import { commitDriftEvents } from "#shared/record/commit-events";
import type { DriftEvent } from "../compare/drift-event";
import { type DriftInput, type DriftOptions, evaluateDrift } from "../compare/evaluate-drift";
import { feedWithdrawalsOf } from "../allowlists/stranded";

export interface RecordDriftDeps {
  events: EventStore;
  notifier: Notifier;
  allowlists: AllowlistWriterDeps;
  logger?: Pick<Logger, "info" | "warn" | "error">;
}

export interface RecordDriftOptions extends DriftOptions {
  /** SNS message size limit (default 256 KiB). */
  maxMessageBytes?: number;
  /** Publishing lease per change set (default 60 s). */
  publishLeaseMs?: number;
  /**
   * Whether this cycle publishes (step 4). Default true. False leaves publishing to the
   * `publish-events` function (DynamoDB Streams trigger and sweep), e.g. in a Lambda whose role
   * may not publish to SNS.
   */
  publish?: boolean;
}

export interface RecordDriftInput extends Omit<DriftInput, "options"> {
  options: RecordDriftOptions;
}

export interface RecordDriftResult {
  /** Every verdict of this run, including conditions already notified by earlier runs. */
  events: DriftEvent[];
  /** Change sets committed (or completed) by this run: what is new since the last run. */
  changeSets: ChangeSet[];
  /** Change-event records committed by this run. */
  committed: number;
  /** SNS messages sent by this run (its own change sets and any left pending before). */
  published: number;
  /** Change sets that could not be published now; they stay pending and are retried. */
  publishFailures: PublishFailure[];
  /** Allowlist object keys written (empty when no list changed). */
  allowlistsWritten: string[];
}

/**
 * One detection cycle after observation:
 *
 * 1. Evaluate the verdicts (pure).
 * 2. Commit them: new change sets and change-event records in DynamoDB, before any publishing.
 * 3. Rewrite the allowlists whose content changed, so that a subscriber reacting to the
 *    notification fetches lists that already have the change.
 * 4. Publish every pending change set (this run's and any an earlier run left) and mark them.
 *
 * An SNS error does not fail the cycle: the change set stays pending for the next run, the
 * DynamoDB Streams trigger or the sweep (`functions/publish-events.ts`), and is reported in
 * `publishFailures`. A store error (DynamoDB, S3) is thrown: a retry of the same run is safe.
 */
export async function recordDrift(
  deps: RecordDriftDeps,
  input: RecordDriftInput,
): Promise<RecordDriftResult> {
  const written = await lastWrittenAllowlists(deps, input);
  const events = evaluateDrift({ ...input, writtenAllowlists: written });
  const commit = await commitDriftEvents(deps, {
    events,
    runId: input.runId,
    catalogueId: input.catalogue.id,
    now: input.now,
  });
  const allowlists = await writeAllowlists(deps.allowlists, {
    allowlists: heldForUnreadableFeeds({ ...input, writtenAllowlists: written }, deps.logger),
    now: input.now,
  });
  const publish =
    input.options.publish === false
      ? { published: 0, failed: [] }
      : await publishPendingEvents(deps, {
          now: input.now,
          ...(input.options.maxMessageBytes === undefined
            ? {}
            : { maxBytes: input.options.maxMessageBytes }),
          ...(input.options.publishLeaseMs === undefined
            ? {}
            : { leaseMs: input.options.publishLeaseMs }),
        });
  deps.logger?.info("drift recorded", {
    runId: input.runId,
    events: events.length,
    changeSets: commit.changeSets.length,
    committed: commit.committed,
    published: publish.published,
    publishFailures: publish.failed.length,
    allowlistsWritten: allowlists.written,
  });
  return {
    events,
    changeSets: commit.changeSets,
    committed: commit.committed,
    published: publish.published,
    publishFailures: publish.failed,
    allowlistsWritten: allowlists.written,
  };
}

/**
 * The last written documents this cycle needs: those of groups relying on an unreadable feed
 * (held, see `holdAllowlists`; an unusable one is logged) and those of the other groups with
 * `cloudfront` / `aws-ip-ranges` endpoints, whose stranded IPs stay listed while observed (a
 * missing one is normal: nothing was written yet). Bounded to those groups.
 */
async function lastWrittenAllowlists(
  deps: RecordDriftDeps,
  input: Pick<DriftInput, "catalogue" | "feeds">,
): Promise<Map<string, WrittenAllowlist>> {
  const held = groupsOnUnreadableFeeds(input.catalogue, input.feeds.unreadable);
  const feedGroups = new Set(
    input.catalogue.endpoints
      .filter(
        (e) => e.feed !== undefined && (e.policy === "cloudfront" || e.policy === "aws-ip-ranges"),
      )
      .map((e) => e.group)
      .filter((group) => !held.has(group)),
  );
  const written = await readWrittenAllowlists(deps.allowlists.objects, held.keys(), deps.logger);
  const carried = await readWrittenAllowlists(deps.allowlists.objects, [...feedGroups].sort());
  return new Map([...written, ...carried]);
}

/**
 * The allowlists to write. A group relying on a feed whose stored snapshot cannot be read this
 * run is held (`holdAllowlists`): rebuilt with that feed's last written prefixes, or, without a
 * usable last written document, not rewritten. Built without the feed's ranges it would drop
 * every published prefix.
 */
function heldForUnreadableFeeds(
  input: Pick<DriftInput, "catalogue" | "observations" | "feeds" | "writtenAllowlists">,
  logger: RecordDriftDeps["logger"],
): GroupAllowlist[] {
  const { allowlists, held } = holdAllowlists(
    buildAllowlists({
      catalogue: input.catalogue,
      observations: input.observations,
      matchers: input.feeds.matchers,
      withdrawals: feedWithdrawalsOf(input.feeds),
      written: input.writtenAllowlists ?? new Map(),
    }),
    {
      catalogue: input.catalogue,
      unreadable: input.feeds.unreadable,
      written: input.writtenAllowlists ?? new Map(),
    },
  );
  for (const [group, { feeds, keptAsWritten }] of held) {
    logger?.warn(
      keptAsWritten
        ? "allowlist kept as last written: a feed snapshot it lists is unreadable"
        : "allowlist keeps the last known ranges of a feed whose snapshot is unreadable",
      { group, feeds },
    );
  }
  return allowlists;
}
