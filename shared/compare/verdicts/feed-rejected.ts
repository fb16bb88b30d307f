import type { DriftEvent } from "../drift-event";
import { shortHash } from "../wording";
import { feedResultEvidence } from "./evidence";
import type { FeedCase } from "./feed-case";

/** A feed download that failed verification: per group relying on it (or once, for none). */
export function feedRejected(f: FeedCase): DriftEvent[] {
  const { result } = f;
  if (result.status !== "rejected") return [];
  return [
    f.emit({
      type: "feed-rejected",
      severity: "medium",
      evidence: { feed: feedResultEvidence(result) },
      reason: `The ${f.feedName} download failed verification: ${withoutFeedPrefix(result.reason)}.`,
      action:
        "No firewall change: the last good snapshot " +
        `(${shortHash(result.current?.sha256)}) stays in use until a download verifies.`,
      // Once per kind of failure and last good snapshot, not once per run: the reason's
      // numbers (byte counts, hashes' digits, status codes) vary between attempts.
      cause: { reason: reasonKind(result.reason), current: result.current?.sha256 ?? null },
    }),
  ];
}

/** A failure reason with its variable parts (numbers, hex digests, URLs' queries) masked. */
function reasonKind(reason: string | undefined): string | null {
  if (reason === undefined) return null;
  return reason.replace(/\b[0-9a-f]{8,}\b/gi, "#").replace(/\d+/g, "#");
}

/** A feed error's reason without its "feed <id> rejected: " lead, which the sentence already says. */
function withoutFeedPrefix(reason: string | undefined): string {
  return (reason ?? "no reason given").replace(/^feed \S+ (rejected|unreachable): /, "");
}
