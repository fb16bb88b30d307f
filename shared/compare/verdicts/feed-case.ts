import type { Endpoint } from "#shared/catalogue/schema";
import { compareText } from "#shared/domain/canonical";
import type { FeedIngestResult } from "#shared/domain/feed";
import type { DriftEvent, DriftSubject } from "../drift-event";
import { POLICY_TABLE } from "../policies/policy-table";
import { type EventDraft, endpointRef, makeEvent, type RunContext } from "./run-context";

/**
 * A feed's result of this run within one firewall group: the group's endpoints with addresses
 * that rely on the feed. `group` is null, with no endpoints, for a feed no such endpoint uses.
 */
export interface FeedCase {
  run: RunContext;
  result: FeedIngestResult;
  group: string | null;
  endpoints: Endpoint[];
  /** `CloudFront list`, `AWS ip-ranges.json` */
  feedName: string;
  emit(draft: EventDraft): DriftEvent;
}

/** Per feed result (by feed) and group (by name). */
export function feedCases(run: RunContext): FeedCase[] {
  const results = [...run.input.feeds.results].sort((a, b) => compareText(a.feed, b.feed));
  return results.flatMap((result) => {
    const byGroup = new Map<string, Endpoint[]>();
    for (const endpoint of run.input.catalogue.endpoints) {
      if (endpoint.feed !== result.feed || endpoint.hostname === null) continue;
      if (!POLICY_TABLE[endpoint.policy].hasAddresses) continue;
      byGroup.set(endpoint.group, [...(byGroup.get(endpoint.group) ?? []), endpoint]);
    }
    const groups: [string | null, Endpoint[]][] =
      byGroup.size > 0 ? [...byGroup].sort(([a], [b]) => compareText(a, b)) : [[null, []]];
    return groups.map(([group, endpoints]) => feedCase(run, result, group, endpoints));
  });
}

function feedCase(
  run: RunContext,
  result: FeedIngestResult,
  group: string | null,
  endpoints: Endpoint[],
): FeedCase {
  const subject: DriftSubject = {
    kind: "feed",
    key: group === null ? `feed:${result.feed}` : `feed:${result.feed}:${group}`,
    feed: result.feed,
    group,
  };
  const refs = endpoints.map(endpointRef);
  return {
    run,
    result,
    group,
    endpoints,
    feedName: result.feed === "cloudfront" ? "CloudFront list" : "AWS ip-ranges.json",
    emit: (draft) => makeEvent(run, subject, group, refs, draft),
  };
}
