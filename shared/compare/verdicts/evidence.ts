import { compareText } from "#shared/domain/canonical";
import type {
  FeedId,
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
  RangeMatcher,
} from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type { AnswerEvidence, FeedEvidence } from "../drift-event";

/** The evidence fields the verdicts share: answers, TTLs, feed snapshots and prefixes. */

/** The lowest TTL any resolver gave each IP in this run. */
export function lowestTtls(observation: HostObservation): Map<string, number> {
  const ttls = new Map<string, number>();
  for (const answer of observation.answers) {
    for (const record of [...answer.a, ...answer.aaaa]) {
      const before = ttls.get(record.ip);
      if (before === undefined || record.ttl < before) ttls.set(record.ip, record.ttl);
    }
  }
  return ttls;
}

export function answerEvidence(observation: HostObservation): AnswerEvidence[] {
  return [...observation.answers]
    .sort((a, b) => compareText(a.resolver, b.resolver))
    .map((answer) => ({
      resolver: answer.resolver,
      outcome: answer.outcome,
      ...(answer.detail === undefined ? {} : { detail: answer.detail }),
      cnameChain: [...answer.cnameChain],
      records: [...answer.a, ...answer.aaaa].map((r) => ({ ip: r.ip, ttl: r.ttl })),
    }));
}

export function prefixFields(prefix: FeedPrefix): FeedPrefix {
  return {
    prefix: prefix.prefix,
    family: prefix.family,
    service: prefix.service,
    region: prefix.region,
    networkBorderGroup: prefix.networkBorderGroup,
  };
}

/** A prefix as changed evidence (`feed-ranges-changed`, widening and shrinking allowlists). */
export function changedPrefix(
  prefix: FeedPrefix,
  change: "added" | "removed",
): FeedPrefix & { change: "added" | "removed" } {
  return { ...prefixFields(prefix), change };
}

export function feedResultEvidence(result: FeedIngestResult): FeedEvidence {
  const current = result.diff?.to ?? result.current;
  const previous = result.diff?.from ?? null;
  return {
    feed: result.feed,
    status: result.status,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(current === null ? {} : snapshotFields(current)),
    ...(previous === null ? {} : { previousSha256: previous.sha256 }),
    ...(previous?.syncToken === undefined ? {} : { previousSyncToken: previous.syncToken }),
  };
}

/** The feed snapshot an endpoint was judged against, with this run's status of the feed. */
export function feedEvidence(
  results: readonly FeedIngestResult[],
  feed: FeedId | undefined,
  matcher: RangeMatcher | undefined,
): FeedEvidence | undefined {
  if (feed === undefined) return undefined;
  const result = results.find((r) => r.feed === feed);
  const status = result?.status ?? (matcher === undefined ? "unreachable" : "unchanged");
  if (matcher === undefined) {
    return { feed, status, reason: result?.reason ?? "no snapshot of the feed is available" };
  }
  return {
    feed,
    status,
    ...(result?.reason === undefined ? {} : { reason: result.reason }),
    ...snapshotFields(matcher.meta),
  };
}

function snapshotFields(meta: FeedSnapshotMeta): Omit<FeedEvidence, "feed" | "status"> {
  return {
    sha256: meta.sha256,
    ...(meta.syncToken === undefined ? {} : { syncToken: meta.syncToken }),
    ...(meta.createDate === undefined ? {} : { createDate: meta.createDate }),
    fetchedAt: meta.fetchedAt,
    source: meta.source,
  };
}
