import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { prepareWritableDirectory } from "#cli/runtime";
import { createDetectionStores, createJudgeDrift } from "#shared/adapters/compose";
import { type EmbeddedStack, startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { DriftEventType } from "#shared/compare/drift-event";
import { type DetectionCycleDeps, runDetectionCycle } from "#shared/detect/detection-cycle";
import { buildDetectionReport, type ReportLocations } from "#shared/detect/report";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_FEED_MAX_BYTES } from "#shared/observe/feeds/config";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { type DemoFeeds, writeDemoFeeds } from "./demo-feeds";
import type { DemoRun, DemoSubscribers } from "./demo-run";
import type { VerdictSighting } from "./render";
import {
  DEMO_DRIFT_OPTIONS,
  DEMO_FIXTURES,
  DEMO_STEPS,
  DEMO_T0,
  type DemoStep,
  demoGraceTable,
  FIREWALL_AUTOMATION_FILTER,
  type ZoneVersion,
} from "./scenario";
import { drainDeliveries, subscribeDemoQueues } from "./subscribers";
import { closingText, intro, runHeading, runText } from "./tour-text";
import { failureStory, verdictSightings } from "./verdict-sightings";

/**
 * `driftwatch demo`: the scripted tour. Everything is local: the embedded stack (dynalite,
 * fauxqs), a loopback DNS server serving the shipped zones, the shipped feed files.
 *
 * 1. Prepare a directory: the derived ip-ranges.json and an HTML error page (the corrupt feed),
 *    and the stack's state.
 * 2. Start the zone server (healthy zone) and the embedded stack; subscribe two queues.
 * 3. Play each step of `DEMO_STEPS`: load its zone and feed versions, run one detection cycle at
 *    its simulated time, print the report, the notifications as each subscriber receives them,
 *    and the allowlist files that changed.
 * 4. Print which run showed each verdict type and where things are; remove the directory unless
 *    it is to be kept.
 */

export interface DemoTourOptions {
  /** Where the tour's text goes (stdout in the CLI, a buffer in tests). */
  write: (text: string) => void;
  /** Keep the state, feeds and allowlists in this directory (new or empty) instead of a temporary one. */
  keep?: string;
  /** Per run: the summary line, new verdicts and notification counts only. */
  quiet?: boolean;
  /** The whole tour is abandoned after this long (default 60 s). */
  timeoutMs?: number;
}

export interface DemoTourResult {
  runs: DemoRun[];
  sightings: VerdictSighting[];
  /** Verdict types no run showed (empty when the tour went as scripted). */
  missing: DriftEventType[];
  filterPolicy: Record<string, string[]>;
  directory: string;
  kept: boolean;
  /** 0 when every verdict type was shown and no failing host lost an IP, 1 otherwise. */
  exitCode: 0 | 1;
}

export class DemoTourError extends Error {
  override name = "DemoTourError";
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DNS_TIMEOUT_MS = 500;
const RUN_DEADLINE_MS = 15_000;
const FEED_TIMEOUT_MS = 5_000;
const MINUTE_MS = 60_000;

export async function runDemoTour(options: DemoTourOptions): Promise<DemoTourResult> {
  const directory = await prepareDirectory(options.keep);
  const resources: Resources = { zone: null, stack: null, resolver: null };
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DemoTourError(`the tour did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  // Ctrl-C ends the tour through the same clean-up, so no temporary directory is left behind.
  let onSignal = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = () => reject(new DemoTourError("interrupted"));
  });
  interrupted.catch(() => {});
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await Promise.race([play(options, directory, resources), watchdog, interrupted]);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    clearTimeout(timer);
    resources.resolver?.close();
    await resources.stack?.stop();
    await resources.zone?.stop();
    if (options.keep === undefined) await rm(directory, { recursive: true, force: true });
  }
}

interface Resources {
  zone: ZoneDnsServer | null;
  stack: EmbeddedStack | null;
  resolver: { close(): void } | null;
}

async function prepareDirectory(keep: string | undefined): Promise<string> {
  if (keep === undefined) return mkdtemp(join(tmpdir(), "driftwatch-demo-"));
  const directory = resolve(keep);
  await prepareWritableDirectory(directory, `--keep ${keep}`);
  if ((await readdir(directory)).length > 0) {
    throw new DemoTourError(`--keep ${keep}: the directory must be new or empty`);
  }
  return directory;
}

async function play(
  options: DemoTourOptions,
  directory: string,
  resources: Resources,
): Promise<DemoTourResult> {
  const out = (text = "") => options.write(`${text}\n`);
  const quiet = options.quiet === true;

  // 1.
  const feeds = await writeDemoFeeds(join(directory, "feeds"));

  // 2.
  const stage = await setUpStage(directory, resources);
  out(intro(stage.catalogue.endpoints.length, stage.zone.address, directory, stage.subscribers));

  // 3.
  const runs: DemoRun[] = [];
  const previousAllowlists = new Map<string, string>();
  for (const [index, step] of DEMO_STEPS.entries()) {
    const number = index + 1;
    const now = new Date(DEMO_T0.getTime() + step.minutes * MINUTE_MS);
    stage.serve(step.zone);
    out(runHeading(number, now, step, quiet));
    const run = await playStep(stage, feeds, { number, step, now });
    runs.push(run);
    out(runText(run, stage.subscribers, previousAllowlists, quiet));
    for (const { key, text } of run.allowlists) previousAllowlists.set(key, text);
  }

  // 4.
  const sightings = verdictSightings(runs);
  const missing = sightings.filter((s) => s.reportedIn.length === 0).map((s) => s.type);
  const story = failureStory(runs);
  out(
    closingText(runs, sightings, story, {
      directory,
      kept: options.keep !== undefined,
      dynamodbDir: join(stage.stateDir, "dynamodb"),
      allowlistsDir: stage.allowlistsDir,
      derivedFeed: feeds.derivedFeed,
      errorPage: feeds.errorPage,
    }),
  );
  const asScripted = missing.length === 0 && story.removed.length === 0;
  return {
    runs,
    sightings,
    missing,
    filterPolicy: FIREWALL_AUTOMATION_FILTER,
    directory,
    kept: options.keep !== undefined,
    exitCode: asScripted ? 0 : 1,
  };
}

/** What the tour's runs play on: the catalogue, the zone server, the stack and its queues. */
interface Stage {
  catalogue: Catalogue;
  zone: ZoneDnsServer;
  /** Serves this version of the zone (reloaded only when it changes). */
  serve(version: ZoneVersion): void;
  stack: EmbeddedStack;
  subscribers: DemoSubscribers;
  deps: DetectionCycleDeps;
  locations: ReportLocations;
  stateDir: string;
  allowlistsDir: string;
}

/** Starts the zone server (healthy zone) and the embedded stack, and subscribes two queues. */
async function setUpStage(directory: string, resources: Resources): Promise<Stage> {
  const catalogue = await loadCatalogueFile(DEMO_FIXTURES.catalogue);
  const zones = new Map<ZoneVersion, string>();
  for (const version of Object.keys(DEMO_FIXTURES.zones) as ZoneVersion[]) {
    zones.set(version, await readFile(DEMO_FIXTURES.zones[version], "utf8"));
  }
  let servedZone: ZoneVersion = "healthy";
  const zone = await startZoneDnsServer({ zoneText: zones.get(servedZone) ?? "" });
  resources.zone = zone;
  const stateDir = join(directory, "state");
  const stack = await startEmbeddedStack({ stateDir });
  resources.stack = stack;
  const subscribers = subscribeDemoQueues(stack, FIREWALL_AUTOMATION_FILTER);
  const stores = createDetectionStores(stack.clients, stack);
  const resolver = createCaresResolver({
    servers: [zone.address],
    timeoutMs: DNS_TIMEOUT_MS,
    tries: 2,
  });
  resources.resolver = resolver;
  const fetcher = createHttpFeedFetcher({
    timeoutMs: FEED_TIMEOUT_MS,
    maxBytes: DEFAULT_FEED_MAX_BYTES,
  });
  const judgeDrift = createJudgeDrift(stores, DEMO_DRIFT_OPTIONS);
  const allowlistsDir = join(stateDir, "s3", stack.bucketName, "allowlists");
  const serve = (version: ZoneVersion) => {
    if (version === servedZone) return;
    zone.reload(zones.get(version) ?? "");
    servedZone = version;
  };
  return {
    catalogue,
    zone,
    serve,
    stack,
    subscribers,
    deps: {
      resolver,
      observations: stores.observations,
      fetcher,
      archive: stores.archive,
      feedPointers: stores.feedPointers,
      judgeDrift,
    },
    locations: {
      mode: "embedded",
      allowlists: `${allowlistsDir} (written when the tour ends)`,
      history: `${join(stateDir, "dynamodb")} (embedded DynamoDB)`,
      notifications: `${stack.topicArn} (embedded SNS)`,
    },
    stateDir,
    allowlistsDir,
  };
}

/**
 * One step: a detection cycle at its simulated time over its feed versions, its report, the
 * messages each queue received, and the allowlist files it rewrote.
 */
async function playStep(
  stage: Stage,
  feeds: DemoFeeds,
  at: { number: number; step: DemoStep; now: Date },
): Promise<DemoRun> {
  const { number, step, now } = at;
  const result = await runDetectionCycle(stage.deps, {
    catalogue: stage.catalogue,
    runId: `demo-${now.toISOString().slice(0, 16)}Z`,
    now,
    deadline: Date.now() + RUN_DEADLINE_MS,
    feeds: [
      { id: "aws-ip-ranges", url: feeds.awsUrl[step.awsIpRanges] },
      { id: "cloudfront", url: feeds.cloudfrontUrl[step.cloudfront] },
    ],
    resolveOptions: { grace: demoGraceTable() },
    feedOptions: { grace: DEFAULT_FEED_GRACE },
  });
  const report = buildDetectionReport(result, stage.locations);
  const { sqs } = stage.stack.clients;
  const automation = await drainDeliveries(sqs, stage.subscribers.automation.queueUrl);
  const inbox = await drainDeliveries(sqs, stage.subscribers.inbox.queueUrl);
  const allowlists: { key: string; text: string }[] = [];
  for (const key of result.drift.allowlistsWritten.filter((k) => k.endsWith(".txt")).sort()) {
    const object = await stage.deps.archive.get(key);
    if (object !== null) allowlists.push({ key, text: new TextDecoder().decode(object.bytes) });
  }
  return { number, step, now, report, automation, inbox, allowlists };
}
