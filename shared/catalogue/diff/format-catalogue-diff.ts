import {
  type CatalogueDiff,
  type CatalogueHeader,
  type Changed,
  type HostChange,
  type HostSummary,
  hasChanges,
} from "#shared/catalogue/diff/diff-catalogues";

/**
 * The diff as a table for people: a header naming both issues, a count line, then one row per
 * host added or removed and per kind of change (ips, ranges, ports, policy, group) of a host.
 */
export function formatCatalogueDiff(diff: CatalogueDiff): string {
  const lines = [
    `catalogue diff: ${headerText(diff.old)} → ${headerText(diff.new)}`,
    `hosts: ${diff.added.length} added, ${diff.removed.length} removed, ` +
      `${diff.changed.length} changed, ${diff.unchanged} unchanged`,
  ];
  if (!hasChanges(diff)) return `${[...lines, "", "no change"].join("\n")}\n`;
  const rows: string[][] = [["CHANGE", "HOST", "WHAT"]];
  for (const host of diff.added) rows.push(["added", host.host, summaryText(host)]);
  for (const host of diff.removed) rows.push(["removed", host.host, summaryText(host)]);
  for (const change of diff.changed) rows.push(...changeRows(change));
  lines.push("", ...alignColumns(rows));
  return `${lines.join("\n")}\n`;
}

function headerText(header: CatalogueHeader): string {
  return `${header.id} issue ${header.issue} (${header.date})`;
}

function summaryText(host: HostSummary): string {
  const parts = [host.policies.join("/"), host.ports.join(" ")];
  if (host.ips.length > 0) parts.push(host.ips.join(" "));
  if (host.ranges.length > 0) parts.push(host.ranges.join(" "));
  return parts.join("; ");
}

function changeRows(change: HostChange): string[][] {
  const rows: string[][] = [];
  const lists: [string, Changed][] = [
    ["ips", change.ips],
    ["ranges", change.ranges],
    ["ports", change.ports],
    ["group", change.groups],
  ];
  for (const [kind, changed] of lists) {
    const text = changedText(changed);
    if (text !== "") rows.push([kind, change.host, text]);
  }
  if (change.policy !== undefined) {
    const { from, to } = change.policy;
    rows.push(["policy", change.host, `${from.join("/")} → ${to.join("/")}`]);
  }
  return rows;
}

function changedText(changed: Changed): string {
  return [...changed.added.map((v) => `+${v}`), ...changed.removed.map((v) => `-${v}`)].join(" ");
}

function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
