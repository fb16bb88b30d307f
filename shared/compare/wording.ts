import { compareText } from "#shared/domain/canonical";
import type { FeedId, FeedPrefix } from "#shared/domain/feed";

/** The small pieces of the verdicts' sentences, shared by the policies and the verdicts. */

/** `1.2.3.4`, `1.2.3.4 and 5.6.7.8`, `1.2.3.4, 5.6.7.8 and 9 more` */
export function list(items: readonly string[], max = 5): string {
  if (items.length <= 1) return items[0] ?? "";
  if (items.length <= max) return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

export function verb(items: readonly string[], one: string, many: string): string {
  return items.length === 1 ? one : many;
}

/** `it` for one item, `them` for several. */
export function them(items: readonly unknown[]): string {
  return items.length === 1 ? "it" : "them";
}

export function count(items: readonly string[], one: string, many: string): string {
  return `${items.length} ${items.length === 1 ? one : many}`;
}

export function shortHash(hash: string | undefined): string {
  return hash === undefined ? "none" : `sha256 ${hash.slice(0, 12)}`;
}

/** `CloudFront`, `AWS ip-ranges.json` */
export function feedTitle(feed: FeedId | undefined): string {
  return feed === "cloudfront" ? "CloudFront" : "AWS ip-ranges.json";
}

/** `the CloudFront snapshot`, `the CloudFront and AWS ip-ranges.json snapshots` */
export function snapshotsOf(feeds: readonly FeedId[]): string {
  return `the ${feeds.map(feedTitle).join(" and ")} snapshot${feeds.length === 1 ? "" : "s"}`;
}

/** `EC2 in eu-central-1, eu-west-2; AMAZON in us-east-1` */
export function describePrefixes(prefixes: readonly FeedPrefix[]): string {
  const regions = new Map<string, Set<string>>();
  for (const prefix of prefixes) {
    const set = regions.get(prefix.service) ?? new Set<string>();
    set.add(prefix.region);
    regions.set(prefix.service, set);
  }
  return [...regions]
    .sort(([a], [b]) => compareText(a, b))
    .map(([service, set]) => `${service} in ${[...set].sort(compareText).join(", ")}`)
    .join("; ");
}
