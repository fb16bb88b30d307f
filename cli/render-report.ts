import type { DetectionReport } from "#shared/detect/report";

/**
 * The report for people: summary line, what needs action grouped by firewall rule, failures and
 * suspicious answers, feeds, the other events, then where the allowlists and the history are.
 */
export function renderReport(report: DetectionReport): string {
  const out = [
    ...summaryLines(report),
    ...actionLines(report),
    ...failureLines(report),
    ...suspiciousLines(report),
    ...resolverLines(report),
    ...feedLines(report),
    ...documentLines(report),
    ...otherEventLines(report),
    "",
    "Where things are",
    `  allowlists:    ${report.locations.allowlists}`,
    `  history:       ${report.locations.history}`,
    `  notifications: ${report.locations.notifications}`,
    "",
    `exit ${report.exit.code}: ${report.exit.reason}`,
  ];
  return `${out.join("\n")}\n`;
}

function summaryLines(report: DetectionReport): string[] {
  const s = report.summary;
  return [
    `driftwatch · ${report.catalogue.vendor} ${report.catalogue.product} · run ${report.runId} (${seconds(report.durationMs)})`,
    "",
    `${s.checked} endpoints checked: ${s.unchanged} unchanged, ${s.drifted} drifted, ${s.failing} failing` +
      ` · ${s.resolved}/${s.hostnames} hostnames resolved · ${s.events} events (${s.highSeverity} high)` +
      ` · ${s.published} notifications published${s.pending > 0 ? `, ${s.pending} pending` : ""}`,
  ];
}

function actionLines(report: DetectionReport): string[] {
  const s = report.summary;
  const out = ["", "Needs action (by firewall rule)"];
  if (report.actions.length === 0 && s.resolved === 0 && s.hostnames > 0)
    out.push("  unknown: no hostname resolved, so nothing could be checked against the rules");
  else if (report.actions.length === 0)
    out.push("  nothing new to add or remove (earlier changes: `driftwatch events`)");
  else {
    out.push(
      ...table(
        ["GROUP", "PORTS", "PROTO", "ADD", "REMOVE", "FOR", "WHY"],
        report.actions.map((a) => [
          a.group,
          a.ports,
          a.protocol,
          list(a.add),
          list(a.remove),
          list(a.hostnames, 3),
          a.because.join(", "),
        ]),
      ),
    );
  }
  return out;
}

function failureLines(report: DetectionReport): string[] {
  if (report.failures.length === 0) return [];
  return [
    "",
    `Resolution failures (${report.failures.length}; a failure never removes an IP)`,
    ...table(
      ["HOSTNAME", "OUTCOME", "RUNS", "DETAIL"],
      report.failures.map((f) => [f.hostname, f.outcome, String(f.consecutiveFailures), f.detail]),
    ),
  ];
}

function suspiciousLines(report: DetectionReport): string[] {
  if (report.suspicious.length === 0) return [];
  return [
    "",
    "Suspicious answers (private, reserved or sinkhole addresses for a public name; not allowed)",
    ...table(
      ["HOSTNAME", "IP", "RANGE", "RESOLVER"],
      report.suspicious.map((x) => [x.hostname, x.ip, x.range, x.resolver]),
    ),
  ];
}

function resolverLines(report: DetectionReport): string[] {
  if (!report.resolvers.some((r) => r.failed > 0 || r.suspicious > 0)) return [];
  return [
    "",
    "Resolvers (per vantage point: hostnames answered, failed, answered suspiciously)",
    ...table(
      ["RESOLVER", "ANSWERED", "FAILED", "SUSPICIOUS", "FAILURES"],
      report.resolvers.map((r) => [
        r.resolver,
        String(r.answered),
        String(r.failed),
        String(r.suspicious),
        Object.entries(r.failures)
          .map(([outcome, count]) => `${outcome} ${count}`)
          .join(", ") || "-",
      ]),
    ),
  ];
}

function feedLines(report: DetectionReport): string[] {
  return [
    "",
    "Feeds",
    ...table(
      ["FEED", "STATUS", "VERSION", "CHANGES", "REASON"],
      report.feeds.map((f) => [
        f.feed,
        f.status,
        f.syncToken !== undefined
          ? `syncToken ${f.syncToken}`
          : f.sha256 !== undefined
            ? `sha256 ${f.sha256.slice(0, 12)}`
            : "none yet",
        f.baseline
          ? f.added > 0
            ? `baseline (${f.added} prefixes)`
            : "new baseline (no diff)"
          : f.added + f.removed > 0
            ? `+${f.added} -${f.removed} prefixes`
            : "-",
        [f.reason, f.warning].filter((text) => text !== undefined).join("; "),
      ]),
    ),
  ];
}

/** The vendor's document, when the catalogue names one: its status, never an event by itself. */
function documentLines(report: DetectionReport): string[] {
  const d = report.document;
  if (d === undefined) return [];
  return [
    "",
    "Vendor document",
    ...table(
      ["STATUS", "VERSION", "CHANGES", "URL", "REASON"],
      [
        [
          d.status,
          d.sha256 === undefined ? "none yet" : `sha256 ${d.sha256.slice(0, 12)}`,
          d.linesAdded === undefined ? "-" : `+${d.linesAdded} -${d.linesRemoved ?? 0} lines`,
          d.url,
          d.reason ?? "",
        ],
      ],
    ),
  ];
}

/** The events the action table does not show: not high, or high without IPs to add or remove. */
function otherEventLines(report: DetectionReport): string[] {
  const others = report.events.filter(
    (e) => e.severity !== "high" || (e.added.length === 0 && e.removed.length === 0),
  );
  if (others.length === 0) return [];
  return [
    "",
    "Other events",
    ...table(
      ["SEVERITY", "TYPE", "SUBJECT", "WHAT"],
      others.map((e) => [
        e.severity,
        e.type,
        e.endpoint?.hostname ?? e.group ?? e.subject.key,
        e.reason,
      ]),
    ),
  ];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function list(items: readonly string[], max = 6): string {
  if (items.length === 0) return "-";
  const shown = items.slice(0, max).join(" ");
  return items.length > max ? `${shown} (+${items.length - max} more)` : shown;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) =>
    Math.min(48, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))),
  );
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
