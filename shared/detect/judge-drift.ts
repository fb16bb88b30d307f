import type { Catalogue } from "#shared/catalogue/schema";
import type { DriftFeeds, DriftOptions } from "#shared/compare/drift-input";
import type { HostObservation } from "#shared/domain/observation";
import type { VendorDocumentCheck } from "#shared/domain/vendor-document";
import type { EventStore, Notifier } from "#shared/notify/ports";
import {
  type PublishFailure,
  type PublishResult,
  publishPendingEvents,
} from "#shared/notify/publish-pending";
import {
  type RecordDriftDeps,
  type RecordDriftInput,
  type RecordDriftResult,
  recordDrift,
} from "#shared/record/record-drift";

export interface JudgeDriftDeps extends RecordDriftDeps {
  events: EventStore;
  notifier: Notifier;
}

export interface JudgeDriftOptions extends DriftOptions {
  /** SNS message size limit (default 256 KiB). */
  maxMessageBytes?: number;
  /** Publishing lease per change set (default 60 s). */
  publishLeaseMs?: number;
  /**
   * Whether this cycle publishes (step 2). Default true. False leaves publishing to the
   * `publish-events` function (DynamoDB Streams trigger and sweep), e.g. in a Lambda whose role
   * may not publish to SNS.
   */
  publish?: boolean;
}

export interface JudgeDriftInput extends Omit<RecordDriftInput, "options"> {
  options: JudgeDriftOptions;
}

export interface JudgeDriftResult extends RecordDriftResult {
  /** SNS messages sent by this run (its own change sets and any left pending before). */
  published: number;
  /** Change sets that could not be published now; they stay pending and are retried. */
  publishFailures: PublishFailure[];
}

/**
 * `judgeDrift` over a cycle's stores and options (adapters/compose.ts binds them), so the use
 * cases of this folder stay free of adapters.
 */
export type JudgeDrift = (input: {
  catalogue: Catalogue;
  observations: HostObservation[];
  feeds: DriftFeeds;
  now: Date;
  runId: string;
  /** Checks of the vendor's document (a changed one raises `vendor-document-changed`). */
  documents?: readonly VendorDocumentCheck[];
}) => Promise<JudgeDriftResult>;

/**
 * Judges one run's observations, after observation:
 *
 * 1. Record them (`recordDrift`): evaluate the verdicts, commit the new change sets and
 *    change-event records, rewrite the allowlists whose content changed.
 * 2. Then publish every pending change set (this run's and any an earlier run left) and mark
 *    them, unless `publish: false` leaves that to `publish-events`.
 *
 * An SNS error does not fail the run: the change set stays pending for the next run, the
 * DynamoDB Streams trigger or the sweep (`functions/publish-events.ts`), and is reported in
 * `publishFailures`. A store error (DynamoDB, S3) is thrown: a retry of the same run is safe.
 */
export async function judgeDrift(
  deps: JudgeDriftDeps,
  input: JudgeDriftInput,
): Promise<JudgeDriftResult> {
  // 1.
  const recorded = await recordDrift(deps, input);
  // 2.
  const { options } = input;
  const publish: Pick<PublishResult, "published" | "failed"> =
    options.publish === false
      ? { published: 0, failed: [] }
      : await publishPendingEvents(deps, {
          now: input.now,
          ...(options.maxMessageBytes === undefined ? {} : { maxBytes: options.maxMessageBytes }),
          ...(options.publishLeaseMs === undefined ? {} : { leaseMs: options.publishLeaseMs }),
        });
  deps.logger?.info("drift recorded", {
    runId: input.runId,
    events: recorded.events.length,
    changeSets: recorded.changeSets.length,
    committed: recorded.committed,
    published: publish.published,
    publishFailures: publish.failed.length,
    allowlistsWritten: recorded.allowlistsWritten,
  });
  return {
    events: recorded.events,
    changeSets: recorded.changeSets,
    committed: recorded.committed,
    published: publish.published,
    publishFailures: publish.failed,
    allowlistsWritten: recorded.allowlistsWritten,
  };
}
