import { relative } from "node:path";
import { renderReport } from "#cli/render-report";
import { DRIFT_EVENT_TYPES, type DriftEventType } from "#shared/compare/drift-event";
import type { DetectionReport } from "#shared/detect/report";
import type { DemoRun, DemoSubscribers } from "./demo-run";
import {
  abridgeNotification,
  compactJson,
  indentLines,
  renderAllowlistExcerpt,
  renderEmail,
  renderVerdictTable,
  type VerdictSighting,
  wrap,
} from "./render";
import { DEMO_DRIFT_OPTIONS, DEMO_GRACE, DEMO_STEPS } from "./scenario";
import { type FailureStory, subjectName } from "./verdict-sightings";

/** The text of `driftwatch demo`: its introduction, each run, and the closing summary. */

export const RULE = "─".repeat(100);

export function intro(
  endpoints: number,
  dnsAddress: string,
  directory: string,
  subscribers: DemoSubscribers,
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

/** The heading of a run: its number, simulated time and title, then its story unless quiet. */
export function runHeading(number: number, now: Date, run: DemoRun["step"], quiet: boolean) {
  return [
    RULE,
    `Run ${number} of ${DEMO_STEPS.length} · T0+${run.minutes} min (${now.toISOString()}) · ${run.title}`,
    RULE,
    ...(quiet ? [] : [`${run.story.join("\n")}\n`]),
  ].join("\n");
}

/** A run's report, notifications and allowlist files; quiet: its summary line and counts. */
export function runText(
  run: DemoRun,
  subscribers: DemoSubscribers,
  previousAllowlists: ReadonlyMap<string, string>,
  quiet: boolean,
): string {
  if (quiet) return quietRun(run);
  return [
    compactReport(run.report),
    notificationsText(run, subscribers),
    allowlistText(run, previousAllowlists),
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

function notificationsText(run: DemoRun, subscribers: DemoSubscribers): string {
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

function allowlistText(run: DemoRun, previous: ReadonlyMap<string, string>): string {
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

/** Where the tour left its state and files (`directory` removed at the end unless kept). */
export interface TourPlaces {
  directory: string;
  kept: boolean;
  dynamodbDir: string;
  allowlistsDir: string;
  derivedFeed: string;
  errorPage: string;
}

/** The closing summary: the verdict table, the failing hosts' story, counts, where things are. */
export function closingText(
  runs: readonly DemoRun[],
  sightings: readonly VerdictSighting[],
  story: FailureStory,
  places: TourPlaces,
): string {
  return [
    RULE,
    "Summary: every verdict type, the run that notified it first, the runs that reported it",
    RULE,
    renderVerdictTable(sightings),
    "",
    wrap(
      `${story.failing.join(", ")} failed in ${story.runsWithFailures} runs: ` +
        `resolution-failed once the streak reached ${DEMO_DRIFT_OPTIONS.failureThreshold}, ` +
        `notified ${story.notices.length === 1 ? "once" : `${story.notices.length} times`}, ` +
        `${story.removed.length === 0 ? "and never an ip-removed" : "AND AN ip-removed: a failure must never remove an IP"}.`,
      "",
    ),
    wrap(
      `Notifications: ${sum(runs.map((r) => r.inbox.length))} to the security team inbox, ` +
        `${sum(runs.map((r) => r.automation.length))} of them also to firewall automation: its filter let ` +
        "through only the high-severity messages of its groups.",
      "",
    ),
    "",
    ...placesLines(places),
    "",
    outcomeLine(
      sightings.filter((s) => s.reportedIn.length === 0).map((s) => s.type),
      story,
      runs.length,
    ),
  ].join("\n");
}

function placesLines(places: TourPlaces): string[] {
  const { directory } = places;
  const files: [string, string][] = [
    [
      `${relative(directory, places.dynamodbDir)}/`,
      "embedded DynamoDB: observations, events, feed pointers",
    ],
    [`${relative(directory, places.allowlistsDir)}/`, "<group>.txt (EDL) and <group>.json"],
    [relative(directory, places.derivedFeed), "the derived ip-ranges.json (runs 3 to 5)"],
    [relative(directory, places.errorPage), "the corrupt CloudFront download (run 4)"],
  ];
  const width = Math.max(...files.map(([path]) => path.length));
  return [
    "Where things are",
    `  directory:  ${directory} ${places.kept ? "(kept)" : "(removed now; keep it with --keep DIR)"}`,
    ...files.map(([path, what]) => `    ${path.padEnd(width)}  ${what}`),
    "  zones:      fixtures/dns/clearswift.zone, clearswift-v2.zone, clearswift-v3.zone",
    "  real feeds: fixtures/feeds/aws-ip-ranges/, fixtures/feeds/cloudfront/",
    "  read next:  docs/demo.md, docs/notifications.md; `npm start` runs one cycle for real",
  ];
}

function outcomeLine(missing: readonly DriftEventType[], story: FailureStory, runs: number) {
  if (missing.length > 0)
    return `The tour did not go as scripted: not seen: ${missing.join(", ")}.`;
  if (story.removed.length > 0)
    return "The tour did not go as scripted: a failing host lost an IP.";
  return `All ${DRIFT_EVENT_TYPES.length} verdict types shown in ${runs} runs.`;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
