import { strandedIps } from "#shared/allowlists/stranded";
import { sortAddresses } from "#shared/domain/addresses";
import type { FeedId, FeedPrefix } from "#shared/domain/feed";
import type { DriftEvent } from "../drift-event";
import { feedTitle, list, shortHash, them } from "../wording";
import type { EndpointCase } from "./endpoint-case";
import { changedPrefix } from "./evidence";

/**
 * IPs of an endpoint judged against published ranges that are outside all of them: those
 * entering now (the hijack signal), and the standing ones a feed change of this run stranded.
 */
export function ipOutsidePublishedRanges(c: EndpointCase): DriftEvent[] {
  return [...enteringOutside(c), ...strandedOutside(c)];
}

function enteringOutside(c: EndpointCase): DriftEvent[] {
  const outside = c.entering.outside;
  if (outside.length === 0) return [];
  return [
    c.emit({
      type: "ip-outside-published-ranges",
      severity: "high",
      added: outside,
      evidence: { ...c.runEvidence(outside, true), feed: c.feedEvidence() },
      reason:
        `${c.hostname} resolves to ${list(outside)}, outside every range ${c.feedName} publishes ` +
        `(snapshot ${shortHash(c.matcher?.meta.sha256)}); policy ${c.endpoint.policy} expects it inside.`,
      action:
        `Check the DNS answer (a non-${c.feedName} origin, or a hijack); allow ` +
        `${list(outside)} in ${c.rule} explicitly if genuine: neither the published-range rule ` +
        `nor ${c.file} covers ${them(outside)}.`,
      cause: { run: c.run.input.runId },
    }),
  ];
}

/**
 * Standing IPs that a feed change of this run left outside every published range: the range
 * rule no longer covers them (the allowlist lists them explicitly). Keyed by the snapshot pair,
 * so the condition is notified once.
 */
function strandedOutside(c: EndpointCase): DriftEvent[] {
  const stranded = strandedOf(c);
  if (stranded === null) return [];
  const { ips } = stranded;
  const withdrawn = sortAddresses([...new Set(stranded.withdrawn.map((p) => p.prefix))]);
  return [
    c.emit({
      type: "ip-outside-published-ranges",
      severity: "high",
      added: ips,
      evidence: {
        ...c.runEvidence(ips, true),
        feed: c.feedEvidence(),
        prefixes: stranded.withdrawn.map((p) => changedPrefix(p, "removed")),
      },
      reason:
        `${c.hostname} still resolves to ${list(ips)}, but the ${c.feedName} no longer publishes ` +
        `${them(ips)} in any range (${stranded.changes}: withdrew ` +
        `${list(withdrawn)}); policy ${c.endpoint.policy} expects ${them(ips)} inside.`,
      action:
        `Check the feed and the DNS answer; the published-range rule no longer covers ` +
        `${list(ips)}: allow ${them(ips)} explicitly in ${c.rule}, or point ` +
        `the rule at ${c.file}, which lists ${them(ips)} explicitly.`,
      cause: { feeds: stranded.cause },
    }),
  ];
}

interface Stranded {
  ips: string[];
  /** The withdrawn prefixes that contained them. */
  withdrawn: FeedPrefix[];
  /** `AWS ip-ranges.json sha256 0123… -> sha256 4567…` */
  changes: string;
  cause: { feed: FeedId; from: string; to: string }[];
}

/** This run's stranded IPs of an endpoint (`strandedIps`), with what identifies the change. */
function strandedOf(c: EndpointCase): Stranded | null {
  if (!c.policy.publishedRanges) return null;
  const { feedChanges } = c.run;
  const found = strandedIps(
    c.endpoint,
    c.observation,
    c.run.input.feeds.matchers,
    feedChanges,
    c.documented,
  );
  if (found.ips.length === 0) return null;
  const cause = found.feeds.map((feed) => {
    const change = feedChanges.get(feed);
    return { feed, from: change?.from ?? "", to: change?.to ?? "" };
  });
  const changes = cause
    .map((change) =>
      change.from === change.to
        ? `${feedTitle(change.feed)} ${shortHash(change.to)}, withdrawals past their grace period`
        : `${feedTitle(change.feed)} ${shortHash(change.from)} -> ${shortHash(change.to)}`,
    )
    .join("; ");
  return { ips: found.ips, withdrawn: found.withdrawn, changes, cause };
}
