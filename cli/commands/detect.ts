import { join } from "node:path";
import { detectReportText, loadDetectCatalogues } from "#cli/commands/detect-catalogues";
import { type DetectProfile, detectProfile } from "#cli/detect-profile";
import { EXIT_ERROR } from "#cli/exit-codes";
import {
  completedAfterSignalLine,
  heldFetcher,
  heldResolver,
  InterruptedError,
  type Interruption,
  interruptedLine,
  NEVER_INTERRUPTED,
} from "#cli/interrupt";
import { type CommandOutput, describeError } from "#cli/options";
import { createProgress, type Progress } from "#cli/progress";
import { type DeliveredReport, openRuntime, type Runtime } from "#cli/runtime";
import {
  createDetectionStores,
  createJudgeDrift,
  DEFAULT_DRIFT_OPTIONS,
  type DetectionStores,
} from "#shared/adapters/compose";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import type { Catalogue } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import { buildCataloguesReport, type CataloguesReport } from "#shared/detect/catalogue-reports";
import {
  type CycleStage,
  type DetectionCycleResult,
  runDetectionCycle,
} from "#shared/detect/detection-cycle";
import {
  buildDetectionReport,
  type DetectionReport,
  type ReportLocations,
} from "#shared/detect/report";
import type { EventQueries, EventStore } from "#shared/notify/ports";
import { createCaresResolver, systemDnsServers } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_DNS_TRIES } from "#shared/observe/dns/config";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT_MS } from "#shared/observe/feeds/config";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import {
  createHttpDocumentFetcher,
  DEFAULT_DOCUMENT_FETCH,
} from "#shared/observe/vendor-document/http-document-fetcher";

export interface DetectCommandOptions {
  /** Resolvers as given (`host[:port]`); the OS-configured ones when empty. */
  dnsServer: string[];
  stateDir: string;
  awsIpRangesUrl: string;
  cloudfrontUrl: string;
  /**
   * The catalogue file, or several (`--catalogue` repeated): their hostnames are resolved once and
   * each catalogue is judged and reported on its own.
   */
  catalogue: string | readonly string[];
  samples: number;
  timeoutMs: number;
  /** Seconds after which no more DNS queries are asked. */
  deadline: number;
  failureThreshold: number;
  /** Serve this zone file on loopback for the run and ask it (trying things out, the demo). */
  zone?: string;
  /** Resolve in this many shards (the sharded run's use cases, in this process). */
  shards?: number;
  json?: boolean;
  quiet?: boolean;
}

/**
 * Runs one cycle and prints the report; returns the exit code. On a signal `interruption` reports,
 * the cycle is abandoned, the store closed, and 130 (SIGINT) or 143 (SIGTERM) returned.
 */
export async function runDetectCommand(
  options: DetectCommandOptions,
  output: CommandOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
  interruption: Interruption = NEVER_INTERRUPTED,
): Promise<number> {
  const progress = createProgress(
    output.progressStream ?? (process.stderr as NodeJS.WriteStream),
    output.progressStream !== undefined && !options.json && !options.quiet,
  );
  const profile = detectProfile(env);
  let runtime: Runtime | null = null;
  let zone: ZoneDnsServer | null = null;
  try {
    const catalogues = await loadDetectCatalogues(options.catalogue);
    profile.mark("catalogue loaded");
    zone = options.zone !== undefined ? await startZone(options.zone) : null;
    const given = [...options.dnsServer, ...(zone ? [zone.address] : [])];
    const servers = given.length > 0 ? given : systemDnsServers();
    runtime = await openRuntime({ stateDir: options.stateDir, env, needs: ["bucket", "topic"] });
    profile.mark("store opened");
    profile.countAwsCalls(runtime.clients);
    interruption.throwIfInterrupted();
    return await detectAndReport(runtime, {
      catalogues,
      servers,
      options,
      output,
      now,
      interruption,
      progress,
      profile,
    });
  } catch (error) {
    progress.done();
    if (error instanceof InterruptedError) {
      output.stderr(interruptedLine("detect"));
      return error.exitCode;
    }
    output.stderr(`driftwatch detect: ${describeError(error)}\n`);
    return EXIT_ERROR;
  } finally {
    await runtime?.close();
    await zone?.stop();
    profile.mark("store closed");
    const profileLine = profile.report();
    if (profileLine !== "") output.stderr(profileLine);
  }
}

/** What one `driftwatch detect` run works with, once the catalogue and the store are open. */
interface DetectRun {
  /** One, or several (`--catalogue` repeated), in the order given. */
  catalogues: readonly Catalogue[];
  /** The resolvers to ask (`host[:port]`). */
  servers: string[];
  options: DetectCommandOptions;
  output: CommandOutput;
  now: () => Date;
  interruption: Interruption;
  progress: Progress;
  /** `DRIFTWATCH_PROFILE=1`: the run's phase times and AWS calls (detect-profile.ts). */
  profile: DetectProfile;
}

/**
 * 1. Carry the last report's watermark: what was committed after it is new in this report too (a
 *    run killed or interrupted before its report delivered none).
 * 2. Run the cycle; after a signal, finish it only if it was judging or committing.
 * 3. Print the report, then record it as delivered.
 */
async function detectAndReport(runtime: Runtime, run: DetectRun): Promise<number> {
  const { options, interruption } = run;
  const detectionStores = createDetectionStores(runtime.clients, runtime);
  const stores = {
    ...detectionStores,
    notifier:
      detectionStores.notifier === null ? null : runtime.localNotifier(detectionStores.notifier),
  };
  const lastReport = await runtime.lastReport();
  if (lastReport !== null && !lastReport.detectRunSince) {
    await runtime.recordReport({ ...lastReport, detectRunSince: true });
  }
  const resolver = run.profile.resolver(
    createCaresResolver({
      servers: run.servers,
      timeoutMs: options.timeoutMs,
      tries: DEFAULT_DNS_TRIES,
    }),
  );
  const started = run.now();
  const watch = watchCycle(run.progress, interruption);
  try {
    const onProgress = (stage: CycleStage) => {
      run.profile.stage(stage);
      watch.onProgress(stage);
    };
    const cycle = startCycle(run, {
      resolver,
      stores,
      started,
      onProgress,
      exclusiveStore: runtime.mode === "embedded",
    });
    const result = await interruption.race(cycle).catch(async (error: unknown) => {
      // Observing: abandoned at once (the cycle stops before it commits anything). Judging
      // or committing: the cycle goes on to its end, or to the start of observation.
      if (!(error instanceof InterruptedError) || watch.phase() === "observe") throw error;
      const completed = await cycle;
      run.output.stderr(completedAfterSignalLine("detect", error.signal));
      return completed;
    });
    run.progress.done();
    run.profile.mark("cycle done");
    const report = await reportOf(result, runtime, detectionStores.events, lastReport);
    run.output.stdout(detectReportText(report, options));
    run.profile.mark("report printed");
    // Every change this run reported was committed at or before its start (its own, and those
    // of earlier runs, judged under their own time); no other process commits meanwhile.
    await runtime.recordReport({
      runId: result.runId,
      committedThrough: started.toISOString(),
      detectRunSince: false,
    });
    interruption.complete(report.exit.code);
    return report.exit.code;
  } finally {
    resolver.close();
  }
}

/** The cycle of this run, started at `started` with the command's options. */
function startCycle(
  run: DetectRun,
  cycle: {
    resolver: DnsResolver;
    stores: DetectionStores;
    started: Date;
    onProgress: (stage: CycleStage) => void;
    exclusiveStore: boolean;
  },
): Promise<DetectionCycleResult> {
  const { options, interruption } = run;
  const { stores, started } = cycle;
  return runDetectionCycle(
    {
      resolver: heldResolver(cycle.resolver, interruption),
      observations: stores.observations,
      fetcher: heldFetcher(
        createHttpFeedFetcher({
          timeoutMs: DEFAULT_FEED_TIMEOUT_MS,
          maxBytes: DEFAULT_FEED_MAX_BYTES,
        }),
        interruption,
      ),
      archive: stores.archive,
      feedPointers: stores.feedPointers,
      documentFetcher: createHttpDocumentFetcher(DEFAULT_DOCUMENT_FETCH),
      judgeDrift: createJudgeDrift(stores, {
        ...DEFAULT_DRIFT_OPTIONS,
        failureThreshold: options.failureThreshold,
      }),
    },
    {
      catalogue: run.catalogues.length === 1 ? (run.catalogues[0] as Catalogue) : run.catalogues,
      // The embedded store is this process's alone (the state directory's lock).
      exclusiveStore: cycle.exclusiveStore,
      runId: `cli-${started.toISOString()}`,
      now: started,
      deadline: started.getTime() + options.deadline * 1000,
      feeds: [
        { id: "aws-ip-ranges", url: options.awsIpRangesUrl },
        { id: "cloudfront", url: options.cloudfrontUrl },
      ],
      resolveOptions: { samples: options.samples },
      feedOptions: { grace: DEFAULT_FEED_GRACE },
      ...(options.shards === undefined ? {} : { shards: { count: options.shards } }),
      onProgress: cycle.onProgress,
    },
  );
}

/**
 * Follows the cycle's stages: shows the progress, and stops the cycle at a stage boundary after
 * a signal while it judges what an earlier run left or before it commits this run.
 */
function watchCycle(progress: Progress, interruption: Interruption) {
  let resolving = "";
  let feeds = "";
  // Where the cycle is: judging what an earlier run left, observing, or committing this run.
  let phase: CyclePhase = "backlog";
  const onProgress = (stage: CycleStage) => {
    // A stage boundary is reported before the stage starts: after a signal, the cycle stops
    // there (the exception rejects it) rather than observe anew or commit half a run.
    if (phase === "backlog" || (phase === "observe" && stage.stage === "compare")) {
      interruption.throwIfInterrupted();
    }
    phase = stage.stage === "compare" ? "commit" : "observe";
    if (stage.stage === "resolve") resolving = `hosts resolved ${stage.done}/${stage.total}`;
    else if (stage.stage === "feeds") feeds = `feeds fetched ${stage.done}/${stage.total}`;
    else {
      progress.update("comparing, committing, notifying…");
      return;
    }
    progress.update([resolving, feeds].filter(Boolean).join(" · "));
  };
  return { onProgress, phase: (): CyclePhase => phase };
}

/**
 * The cycle's report (one per catalogue when there are several), with the changes committed
 * since the last delivered report and every change set still unpublished.
 */
async function reportOf(
  result: DetectionCycleResult,
  runtime: Runtime,
  events: EventStore & EventQueries,
  lastReport: DeliveredReport | null,
): Promise<DetectionReport | CataloguesReport> {
  const unreported =
    lastReport === null || !lastReport.detectRunSince
      ? new Map<string, DriftEvent[]>()
      : await committedAfter(events, lastReport.committedThrough);
  // Pending: what is still unpublished, including change sets an earlier run (killed while
  // publishing) holds under its lease, which this run leaves to it until the lease expires.
  const pending = await unpublishedChangeSets(events);
  const withPending = (built: DetectionReport): DetectionReport => ({
    ...built,
    summary: { ...built.summary, pending: Math.max(built.summary.pending, pending) },
  });
  if (result.catalogues.length > 1) {
    const built = buildCataloguesReport(result, locationsOf(runtime), unreported);
    return { ...built, catalogues: built.catalogues.map(withPending) };
  }
  const all = [...unreported.values()].flat();
  return withPending(buildDetectionReport(result, locationsOf(runtime), all));
}

/** `backlog`: judging what an earlier run left (step 0); `commit`: compare, commit, publish. */
type CyclePhase = "backlog" | "observe" | "commit";

export class ZoneOptionError extends Error {
  override name = "ZoneOptionError";
}

/** The `--zone` server; a missing or malformed file is reported with the flag and the file. */
async function startZone(zoneFile: string): Promise<ZoneDnsServer> {
  try {
    return await startZoneDnsServer({ zoneFile });
  } catch (error) {
    throw new ZoneOptionError(`--zone ${zoneFile}: ${(error as Error).message}`, { cause: error });
  }
}

/** How many committed change sets are not published yet (failed, waiting, or under a lease). */
export async function unpublishedChangeSets(events: Pick<EventStore, "listUnpublished">) {
  const records = await events.listUnpublished();
  return new Set(records.map((record) => record.changeSetId)).size;
}

/**
 * The events of the change sets committed after `committedThrough` (by any run), each once, by
 * the catalogue of their change set. A change set's `createdAt` is the time of the run that
 * committed it.
 */
async function committedAfter(
  events: EventQueries,
  committedThrough: string,
): Promise<Map<string, DriftEvent[]>> {
  const changeSets = await events.listChangeSets({ since: committedThrough });
  const byCatalogue = new Map<string, Map<string, DriftEvent>>();
  for (const changeSet of changeSets) {
    if (Date.parse(changeSet.createdAt) <= Date.parse(committedThrough)) continue;
    const byId = byCatalogue.get(changeSet.catalogueId) ?? new Map<string, DriftEvent>();
    byCatalogue.set(changeSet.catalogueId, byId);
    for (const event of changeSet.events)
      if (!byId.has(event.eventId)) byId.set(event.eventId, event);
  }
  return new Map([...byCatalogue].map(([id, byId]) => [id, [...byId.values()]]));
}

function locationsOf(runtime: Runtime): ReportLocations {
  if (runtime.mode === "aws") {
    return {
      mode: "aws",
      allowlists: `s3://${runtime.bucketName}/allowlists/`,
      history: `${runtime.where}; query with \`driftwatch history\``,
      notifications: runtime.topicArn,
    };
  }
  const stateDir = runtime.stateDir ?? ".";
  return {
    mode: "embedded",
    allowlists: join(stateDir, "s3", runtime.bucketName, "allowlists"),
    history: `${join(stateDir, "dynamodb")} (embedded DynamoDB); query with \`driftwatch history\``,
    notifications: `${join(stateDir, "notifications")} (as the embedded SNS topic delivered them)`,
  };
}
