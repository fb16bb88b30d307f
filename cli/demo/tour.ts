import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { renderReport } from "#cli/render-report";
import { prepareWritableDirectory } from "#cli/runtime";
import { createDetectionStores, createJudgeDrift } from "#shared/adapters/compose";
import { type EmbeddedStack, startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import {
  DRIFT_EVENT_TYPES,
  type DriftEvent,
  type DriftEventType,
} from "#shared/compare/drift-event";
import { type DetectionCycleResult, runDetectionCycle } from "#shared/detect/detection-cycle";
import {
  buildDetectionReport,
  type DetectionReport,
  type ReportLocations,
} from "#shared/detect/report";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_FEED_MAX_BYTES } from "#shared/observe/feeds/config";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { AwsIpRangesDocument } from "#shared/observe/feeds/schema";
import {
  abridgeNotification,
  clip,
  compactJson,
  indentLines,
  renderAllowlistExcerpt,
  renderEmail,
  renderVerdictTable,
  type VerdictSighting,
} from "./render";
import {
  type AwsIpRangesVersion,
  type CloudFrontVersion,
  DEMO_DRIFT_OPTIONS,
  DEMO_FIXTURES,
  DEMO_GRACE,
  DEMO_STEPS,
  DEMO_T0,
  DERIVED_PREFIX,
  type DemoStep,
  demoGraceTable,
  FIREWALL_AUTOMATION_FILTER,
  type ZoneVersion,
} from "./scenario";
import {
  type Delivery,
  type DemoSubscriber,
  drainDeliveries,
  subscribeDemoQueues,
} from "./subscribers";

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

export interface DemoRun {
  number: number;
  step: DemoStep;
  now: Date;
  report: DetectionReport;
  /** Messages the filtered "firewall automation" queue received in this run. */
  automation: Delivery[];
  /** Messages the unfiltered "security team inbox" queue received in this run. */
  inbox: Delivery[];
  /** Allowlist EDL files rewritten by this run, with their new text. */
  allowlists: { key: string; text: string }[];
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
const RULE = "─".repeat(100);

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
  const feedsDir = join(directory, "feeds");
  await mkdir(feedsDir, { recursive: true });
  const derivedFeed = join(feedsDir, "ip-ranges-derived.json");
  await writeFile(derivedFeed, await deriveIpRanges(DEMO_FIXTURES.awsIpRanges.last));
  const errorPage = join(feedsDir, "list-cloudfront-ips.html");
  await writeFile(errorPage, ERROR_PAGE);
  const awsUrl: Record<AwsIpRangesVersion, string> = {
    first: pathToFileURL(DEMO_FIXTURES.awsIpRanges.first).href,
    last: pathToFileURL(DEMO_FIXTURES.awsIpRanges.last).href,
    derived: pathToFileURL(derivedFeed).href,
  };
  const cloudfrontUrl: Record<CloudFrontVersion, string> = {
    good: pathToFileURL(DEMO_FIXTURES.cloudfront).href,
    "error-page": pathToFileURL(errorPage).href,
  };

  // 2.
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
  const locations: ReportLocations = {
    mode: "embedded",
    allowlists: `${allowlistsDir} (written when the tour ends)`,
    history: `${join(stateDir, "dynamodb")} (embedded DynamoDB)`,
    notifications: `${stack.topicArn} (embedded SNS)`,
  };

  out(intro(catalogue.endpoints.length, zone.address, directory, subscribers));

  // 3.
  const runs: DemoRun[] = [];
  const previousAllowlists = new Map<string, string>();
  for (const [index, step] of DEMO_STEPS.entries()) {
    const number = index + 1;
    const now = new Date(DEMO_T0.getTime() + step.minutes * MINUTE_MS);
    if (step.zone !== servedZone) {
      zone.reload(zones.get(step.zone) ?? "");
      servedZone = step.zone;
    }
    out(RULE);
    out(
      `Run ${number} of ${DEMO_STEPS.length} · T0+${step.minutes} min (${now.toISOString()}) · ${step.title}`,
    );
    out(RULE);
    if (!quiet) out(`${step.story.join("\n")}\n`);

    const result: DetectionCycleResult = await runDetectionCycle(
      {
        resolver,
        observations: stores.observations,
        fetcher,
        archive: stores.archive,
        feedPointers: stores.feedPointers,
        judgeDrift,
      },
      {
        catalogue,
        runId: `demo-${now.toISOString().slice(0, 16)}Z`,
        now,
        deadline: Date.now() + RUN_DEADLINE_MS,
        feeds: [
          { id: "aws-ip-ranges", url: awsUrl[step.awsIpRanges] },
          { id: "cloudfront", url: cloudfrontUrl[step.cloudfront] },
        ],
        resolveOptions: { grace: demoGraceTable() },
        feedOptions: { grace: DEFAULT_FEED_GRACE },
      },
    );
    const report = buildDetectionReport(result, locations);
    const automation = await drainDeliveries(stack.clients.sqs, subscribers.automation.queueUrl);
    const inbox = await drainDeliveries(stack.clients.sqs, subscribers.inbox.queueUrl);
    const allowlists: { key: string; text: string }[] = [];
    for (const key of result.drift.allowlistsWritten.filter((k) => k.endsWith(".txt")).sort()) {
      const object = await stores.archive.get(key);
      if (object !== null) allowlists.push({ key, text: new TextDecoder().decode(object.bytes) });
    }
    const run: DemoRun = { number, step, now, report, automation, inbox, allowlists };
    runs.push(run);

    if (quiet) out(quietRun(run));
    else {
      out(compactReport(report));
      out(notificationsText(run, subscribers));
      out(allowlistText(run, previousAllowlists));
    }
    for (const { key, text } of allowlists) previousAllowlists.set(key, text);
  }

  // 4.
  const sightings = verdictSightings(runs);
  const missing = sightings.filter((s) => s.reportedIn.length === 0).map((s) => s.type);
  out(RULE);
  out("Summary: every verdict type, the run that notified it first, the runs that reported it");
  out(RULE);
  out(renderVerdictTable(sightings));
  out();
  const failing = [...new Set(runs.flatMap((r) => r.report.failures.map((f) => f.hostname)))];
  const failureEvents = runs.flatMap((r) =>
    r.report.events.filter((e) => failing.includes(e.endpoint?.hostname ?? "")),
  );
  const removedFromFailing = failureEvents.filter((e) => e.type === "ip-removed");
  const failureNotices = failureEvents.filter((e) => e.type === "resolution-failed" && e.new);
  out(
    wrap(
      `${failing.join(", ")} failed in ${runs.filter((r) => r.report.failures.length > 0).length} runs: ` +
        `resolution-failed once the streak reached ${DEMO_DRIFT_OPTIONS.failureThreshold}, ` +
        `notified ${failureNotices.length === 1 ? "once" : `${failureNotices.length} times`}, ` +
        `${removedFromFailing.length === 0 ? "and never an ip-removed" : "AND AN ip-removed: a failure must never remove an IP"}.`,
      "",
    ),
  );
  out(
    wrap(
      `Notifications: ${sum(runs.map((r) => r.inbox.length))} to the security team inbox, ` +
        `${sum(runs.map((r) => r.automation.length))} of them also to firewall automation: its filter let ` +
        "through only the high-severity messages of its groups.",
      "",
    ),
  );
  out();
  out("Where things are");
  out(
    `  directory:  ${directory} ${options.keep === undefined ? "(removed now; keep it with --keep DIR)" : "(kept)"}`,
  );
  const files: [string, string][] = [
    [
      `${relative(directory, join(stateDir, "dynamodb"))}/`,
      "embedded DynamoDB: observations, events, feed pointers",
    ],
    [`${relative(directory, allowlistsDir)}/`, "<group>.txt (EDL) and <group>.json"],
    [relative(directory, derivedFeed), "the derived ip-ranges.json (runs 3 to 5)"],
    [relative(directory, errorPage), "the corrupt CloudFront download (run 4)"],
  ];
  const width = Math.max(...files.map(([path]) => path.length));
  for (const [path, what] of files) out(`    ${path.padEnd(width)}  ${what}`);
  out("  zones:      fixtures/dns/clearswift.zone, clearswift-v2.zone, clearswift-v3.zone");
  out("  real feeds: fixtures/feeds/aws-ip-ranges/, fixtures/feeds/cloudfront/");
  out("  read next:  docs/demo.md, docs/notifications.md; `npm start` runs one cycle for real");
  out();
  const asScripted = missing.length === 0 && removedFromFailing.length === 0;
  if (missing.length > 0) out(`The tour did not go as scripted: not seen: ${missing.join(", ")}.`);
  else if (!asScripted) out("The tour did not go as scripted: a failing host lost an IP.");
  else out(`All ${DRIFT_EVENT_TYPES.length} verdict types shown in ${runs.length} runs.`);
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

function intro(
  endpoints: number,
  dnsAddress: string,
  directory: string,
  subscribers: { automation: DemoSubscriber; inbox: DemoSubscriber },
): string {
  return [
    "driftwatch demo: five detection cycles over one simulated hour, entirely on this machine.",
    "",
    "driftwatch resolves every hostname of a vendor's firewall catalogue (here: Clearswift SECURE",
    `Email Gateway 5.3, ${endpoints} endpoints), reads the AWS and CloudFront IP-range feeds, judges`,
    "what it sees by each endpoint's policy, notifies subscribers through SNS and rewrites the",
    "allowlist files a firewall can poll. Each run below is one cycle at a simulated time.",
    "",
    `  DNS:           a loopback server on ${dnsAddress} serving fixtures/dns/*.zone`,
    "  feeds:         the shipped ip-ranges.json and CloudFront files (file:// URLs)",
    "  stores:        embedded DynamoDB (dynalite) and SNS/SQS/S3 (fauxqs), in",
    `                 ${directory}`,
    "  subscribers:   two SQS queues on the SNS topic:",
    `    ${subscribers.automation.name}: ${subscribers.automation.description}`,
    wrap(compactJson(subscribers.automation.filterPolicy, "", 1000), "      "),
    `    ${subscribers.inbox.name}: ${subscribers.inbox.description}`,
    "",
    "Shortened for the demo (production defaults in brackets):",
    `  failureThreshold: ${DEMO_DRIFT_OPTIONS.failureThreshold} failed runs before resolution-failed [3]`,
    `  unusedGrace: ${DEMO_DRIFT_OPTIONS.unusedGrace.hours} h before documented-ip-unused [168 h]`,
    `  observation grace: an IP leaves after ${DEMO_GRACE.runs} runs and ${DEMO_GRACE.hours * 60} min absent [3 runs and 1 h]`,
    "    (rotating names keep theirs: 8 runs and 24 h)",
    "",
  ].join("\n");
}

/** The report of `driftwatch detect`, without the locations (shown once at the end). */
function compactReport(report: DetectionReport): string {
  const text = renderReport(report).trimEnd();
  const lines = text.split("\n");
  const where = lines.indexOf("Where things are");
  const exit = lines.at(-1) ?? "";
  const body = where === -1 ? lines.slice(0, -1) : lines.slice(0, where);
  return [...trimBlankEnd(body), "", exit, ""].join("\n");
}

function trimBlankEnd(lines: string[]): string[] {
  const copy = [...lines];
  while (copy.length > 0 && copy.at(-1)?.trim() === "") copy.pop();
  return copy;
}

function notificationsText(
  run: DemoRun,
  subscribers: { automation: DemoSubscriber; inbox: DemoSubscriber },
): string {
  if (run.inbox.length === 0 && run.automation.length === 0) {
    return "Notifications: none (nothing new since the last run)\n";
  }
  const out: string[] = [];
  out.push(
    `Notifications → ${subscribers.automation.name}: ${run.automation.length} of the ${run.inbox.length} published, as the JSON an SQS subscriber receives`,
  );
  if (run.automation.length > 0) {
    out.push("  (abridged: ids shortened; each event's endpoint, action and evidence left out)");
  }
  for (const delivery of run.automation) {
    out.push(indentLines(compactJson(abridgeNotification(delivery.json)), "  "));
  }
  const passed = new Set(run.automation.map((d) => d.notification.eventId));
  const held = run.inbox.filter((d) => !passed.has(d.notification.eventId));
  if (held.length > 0) {
    out.push(
      `  held back by the filter: ${held
        .map(
          (d) =>
            `${d.notification.eventTypes.join("+")} [${d.notification.group}, ${d.notification.severity}]`,
        )
        .join("; ")}`,
    );
  }
  out.push("");
  out.push(`Notifications → ${subscribers.inbox.name}: ${run.inbox.length} (as e-mail)`);
  for (const delivery of run.inbox) out.push(renderEmail(delivery), "");
  return out.join("\n");
}

function allowlistText(run: DemoRun, previous: Map<string, string>): string {
  if (run.allowlists.length === 0) return "Allowlist files: unchanged\n";
  const out = ["Allowlist files rewritten (.txt shown; the .json beside each changed too)"];
  if (previous.size === 0) {
    const groups = run.allowlists.map((a) => a.key.replace(/^allowlists\/|\.txt$/g, ""));
    out.push(wrap(`${groups.length} groups, first version: ${groups.join(", ")}`, "  "));
    const example =
      run.allowlists.find((a) => a.key === "allowlists/license-validation.txt") ??
      run.allowlists[0];
    if (example !== undefined) {
      out.push("  for example:");
      out.push(renderAllowlistExcerpt(example.key, example.text, undefined));
    }
  } else {
    for (const allowlist of run.allowlists) {
      out.push(renderAllowlistExcerpt(allowlist.key, allowlist.text, previous.get(allowlist.key)));
    }
  }
  return `${out.join("\n")}\n`;
}

function quietRun(run: DemoRun): string {
  const summary = renderReport(run.report).split("\n")[2] ?? "";
  const fresh = run.report.events.filter((e) => e.new);
  return [
    summary,
    wrap(
      `new: ${fresh.length === 0 ? "nothing" : fresh.map((e) => `${e.type} (${subjectName(e)})`).join(", ")}`,
      "  ",
    ),
    `  notifications: ${run.inbox.length} to the inbox, ${run.automation.length} through the filter; ` +
      `allowlist files rewritten: ${run.allowlists.length}`,
    "",
  ].join("\n");
}

function verdictSightings(runs: readonly DemoRun[]): VerdictSighting[] {
  return DRIFT_EVENT_TYPES.map((type) => {
    const reportedIn = runs
      .filter((r) => r.report.events.some((e) => e.type === type))
      .map((r) => r.number);
    const notifiedIn = runs
      .filter((r) => r.report.events.some((e) => e.type === type && e.new))
      .map((r) => r.number);
    const first = runs.flatMap((r) => r.report.events).find((e) => e.type === type);
    return { type, reportedIn, notifiedIn, example: first === undefined ? "" : example(first) };
  });
}

function subjectName(event: DriftEvent): string {
  if (event.endpoint?.hostname) return event.endpoint.hostname;
  const subject = event.subject;
  if (subject.kind === "pool") return `pool ${subject.poolId}`;
  if (subject.kind === "feed") return `${subject.feed} → ${subject.group ?? "no group"}`;
  return subject.key;
}

function example(event: DriftEvent): string {
  const name = subjectName(event);
  const changes = [...event.added.map((a) => `+${a}`), ...event.removed.map((r) => `-${r}`)];
  let detail = changes.slice(0, 2).join(" ");
  if (detail === "") {
    const evidence = event.evidence;
    if (evidence.suspicious !== undefined) {
      detail = `answered ${evidence.suspicious.map((s) => `${s.ip} (${s.range})`).join(", ")}`;
    } else if (event.type === "resolution-failed") {
      detail = `${evidence.outcome?.toUpperCase()} ${evidence.consecutiveFailures} runs in a row`;
    } else if (event.type === "documented-ip-unused") {
      detail = `${evidence.ips?.map((ip) => ip.ip).join(", ")} unused`;
    } else if (event.type === "feed-rejected") {
      detail = "an HTML page, not JSON; last good snapshot kept";
    }
  }
  return clip(`${name}: ${detail}`, 80);
}

function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(" ")) {
    if (line.trim() !== "" && line.length + word.length + 1 > width) {
      lines.push(line);
      line = `${indent}  ${word}`;
    } else line = line.trim() === "" ? `${indent}${word}` : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n");
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The last real ip-ranges.json with one new prefix the catalogue relies on, as AWS would add it. */
async function deriveIpRanges(gzipped: string): Promise<string> {
  const document = AwsIpRangesDocument.parse(
    JSON.parse(gunzipSync(await readFile(gzipped)).toString("utf8")),
  );
  const added = DERIVED_PREFIX.services.map((service) => ({
    ip_prefix: DERIVED_PREFIX.prefix,
    region: DERIVED_PREFIX.region,
    service,
    network_border_group: DERIVED_PREFIX.region,
  }));
  return JSON.stringify({
    ...document,
    syncToken: DERIVED_PREFIX.syncToken,
    createDate: DERIVED_PREFIX.createDate,
    prefixes: [...document.prefixes, ...added],
  });
}

/** What a captive portal or a CDN error returns instead of the feed. */
const ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><h1>503 Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>
`;
