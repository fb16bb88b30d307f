import type { AllowlistWarning } from "#shared/allowlists/limits";
import type { ExpectationPolicy, PortSpec, RetiredIp } from "#shared/catalogue/schema";
import type { FeedId, FeedIngestStatus, FeedPrefix } from "#shared/domain/feed";
import type { ResolutionOutcome, SuspiciousAnswer } from "#shared/domain/observation";

/**
 * A drift verdict: one change a firewall owner may have to act on. The type names are the public
 * contract (SNS message attribute `eventType`, docs/notifications.md); keep them.
 */
export const DRIFT_EVENT_TYPES = [
  "ip-added",
  "ip-removed",
  "ip-outside-published-ranges",
  "documented-ip-unused",
  "retired-ip-seen",
  "resolution-failed",
  "suspicious-answer",
  "feed-ranges-changed",
  "feed-rejected",
] as const;

/**
 * Change events about the catalogue rather than the firewall: the vendor revised the document
 * the catalogue was written from (shared/observe/vendor-document). Not a verdict of the compare
 * step on observations; committed and published the same way.
 */
export const CATALOGUE_EVENT_TYPES = ["vendor-document-changed"] as const;

/** Every change event type: what a stored event or a notification may carry. */
export const CHANGE_EVENT_TYPES = [...DRIFT_EVENT_TYPES, ...CATALOGUE_EVENT_TYPES] as const;
export type DriftEventType = (typeof CHANGE_EVENT_TYPES)[number];

/** `high`: the firewall owner must act. `medium`: should look. `low`: for the record. */
export const SEVERITIES = ["high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The highest of several severities (`low` for none). */
export function highestSeverity(severities: Iterable<Severity>): Severity {
  let best: Severity = "low";
  for (const severity of severities)
    if (severityRank(severity) < severityRank(best)) best = severity;
  return best;
}

/** The firewall rule an event is about: a catalogue endpoint, as far as a rule needs it. */
export interface EndpointRef {
  id: string;
  hostname: string | null;
  group: string;
  service: string;
  policy: ExpectationPolicy;
  ports: PortSpec[];
}

/**
 * What a change set is about. Events are grouped per subject and run into one notification, and
 * each subject has its own sequence of notifications.
 * - `endpoint`: one catalogue endpoint (one hostname under one firewall rule).
 * - `pool`: the IPs a vendor documents for a set of hosts, within one firewall group.
 * - `feed`: a published range feed, within one firewall group (`group` null when no catalogued
 *   endpoint uses the feed).
 * - `document`: the vendor's document a catalogue was written from (`group` null).
 */
export type DriftSubject =
  | { kind: "endpoint"; key: string; endpointId: string }
  | { kind: "pool"; key: string; poolId: string; group: string }
  | { kind: "feed"; key: string; feed: FeedId; group: string | null }
  | { kind: "document"; key: string; catalogueId: string };

/** The kinds of subject; a subject's `key` is its kind, a colon and the kind's own identity. */
export const DRIFT_SUBJECT_KINDS = [
  "endpoint",
  "pool",
  "feed",
  "document",
] as const satisfies readonly DriftSubject["kind"][];

/** Whether `key` has the shape of a subject key (`endpoint:…`, `pool:…`, `feed:…`, `document:…`). */
export function isDriftSubjectKey(key: string): boolean {
  const colon = key.indexOf(":");
  return (
    colon > 0 &&
    colon < key.length - 1 &&
    (DRIFT_SUBJECT_KINDS as readonly string[]).includes(key.slice(0, colon))
  );
}

/** Per-IP evidence: when and by whom it was seen. */
export interface IpEvidence {
  ip: string;
  firstSeen?: string;
  lastSeen?: string;
  timesSeen?: number;
  resolvers?: string[];
  /** Lowest TTL any resolver gave it in this run. */
  ttl?: number;
  /** When it left the observed set (ip-removed). */
  leftAt?: string;
  /** Published prefixes that contain it (cloudfront / aws-ip-ranges policies). */
  publishedIn?: { prefix: string; service: string; region: string }[];
}

/** One resolver's answer in the run that caused the event. */
export interface AnswerEvidence {
  resolver: string;
  outcome: ResolutionOutcome;
  detail?: string;
  cnameChain: string[];
  records: { ip: string; ttl: number }[];
}

export interface FeedEvidence {
  feed: FeedId;
  status: FeedIngestStatus;
  reason?: string;
  sha256?: string;
  syncToken?: string;
  createDate?: string;
  fetchedAt?: string;
  source?: string;
  previousSha256?: string;
  previousSyncToken?: string;
}

/** vendor-document-changed: the two versions, where they are archived, and the text diff. */
export interface DocumentEvidence {
  /** The URL the catalogue names. */
  url: string;
  /** The final URL the new version came from, after redirects. */
  source: string;
  sha256: string;
  previousSha256: string;
  /** The archived texts (content-addressed): the whole of both versions. */
  archiveKey: string;
  previousArchiveKey: string;
  fetchedAt: string;
  previousFetchedAt: string;
  linesAdded: number;
  linesRemoved: number;
  /** Unified-diff style, of the extracted text (HTML reduced to text); capped in size. */
  diff: string;
  /** The diff was cut to keep the message small. */
  truncated: boolean;
}

export interface DriftEvidence {
  /** When the observation or feed snapshot behind the event was taken. */
  observedAt?: string;
  outcome?: ResolutionOutcome;
  consecutiveFailures?: number;
  ips?: IpEvidence[];
  answers?: AnswerEvidence[];
  suspicious?: SuspiciousAnswer[];
  retired?: RetiredIp[];
  /** documented-ip-unused: the start of the unused period (last seen, or tracked since). */
  unusedSince?: string;
  feed?: FeedEvidence;
  /** feed-ranges-changed: the changed prefixes with their service, region and border group. */
  prefixes?: (FeedPrefix & { change: "added" | "removed" })[];
  /** vendor-document-changed: the versions and the text diff. */
  document?: DocumentEvidence;
}

export interface DriftEvent {
  /** sha256 (hex) of the canonical change: the same change always has the same id. */
  eventId: string;
  type: DriftEventType;
  severity: Severity;
  runId: string;
  detectedAt: string;
  subject: DriftSubject;
  group: string | null;
  /** The endpoint of an endpoint subject; null for pool and feed subjects. */
  endpoint: EndpointRef | null;
  /** Every endpoint concerned (the one endpoint, or the pool's / feed's endpoints in the group). */
  endpoints: EndpointRef[];
  /** IPs, or CIDR prefixes for feed events, that the firewall should now allow. */
  added: string[];
  /** IPs or prefixes whose rules may be retired. */
  removed: string[];
  evidence: DriftEvidence;
  /** Why, in one sentence. */
  reason: string;
  /** The recommended firewall action. */
  action: string;
  warnings: AllowlistWarning[];
}
