import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";

/** An Atom feed (RFC 4287) of allowlist changes, newest first, for people and feed readers. */
export function renderChangesAtom(input: {
  catalogueId: string;
  /** The feed's own URL (`…/changes.atom`); entries link to `…/changes?since=<n-1>`. */
  selfUrl: string;
  baseUrl: string;
  /** `catalogue=ID` when the feed is of a named catalogue: the entries' links carry it too. */
  catalogueQuery?: string;
  updatedAt: string | null;
  changes: readonly AllowlistChange[];
}): string {
  const { catalogueId } = input;
  const entries = input.changes.map((change) =>
    renderEntry(input.baseUrl, input.catalogueQuery ?? "", change),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>urn:driftwatch:${xml(catalogueId)}:allowlist-changes</id>`,
    `  <title>driftwatch allowlist changes: ${xml(catalogueId)}</title>`,
    `  <updated>${xml(input.updatedAt ?? new Date(0).toISOString())}</updated>`,
    `  <link rel="self" href="${xml(input.selfUrl)}"/>`,
    "  <author><name>driftwatch</name></author>",
    ...entries,
    "</feed>",
    "",
  ].join("\n");
}

function renderEntry(baseUrl: string, catalogueQuery: string, change: AllowlistChange): string {
  const alsoCatalogue = catalogueQuery === "" ? "" : `&${catalogueQuery}`;
  const ofCatalogue = catalogueQuery === "" ? "" : `?${catalogueQuery}`;
  const lines = [
    `Version ${change.version}: allowlist ${change.group}, ${change.added.length} added, ${change.removed.length} removed.`,
    ...change.added.map((entry) => `+ ${entry}`),
    ...change.removed.map((entry) => `- ${entry}`),
    ...(change.eventIds.length > 0 ? [`Events: ${change.eventIds.join(", ")}`] : []),
  ];
  return [
    "  <entry>",
    `    <id>urn:driftwatch:${xml(change.catalogueId)}:allowlist-change:${change.version}</id>`,
    `    <title>${xml(`v${change.version} ${change.group}: +${change.added.length} -${change.removed.length}`)}</title>`,
    `    <updated>${xml(change.at)}</updated>`,
    `    <link href="${xml(`${baseUrl}/changes?since=${change.version - 1}&limit=1${alsoCatalogue}`)}"/>`,
    `    <link rel="related" href="${xml(`${baseUrl}/allowlists/${change.group}.txt${ofCatalogue}`)}"/>`,
    `    <category term="${xml(change.group)}"/>`,
    `    <content type="text">${xml(lines.join("\n"))}</content>`,
    "  </entry>",
  ].join("\n");
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
