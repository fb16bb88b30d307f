import type { GroupAllowlist } from "#shared/allowlists/build";
import type { HeldGroup } from "#shared/allowlists/held";
import {
  type AllowlistLimits,
  type AllowlistWarning,
  DEFAULT_ALLOWLIST_LIMITS,
} from "#shared/allowlists/limits";
import type { AllowlistPlan } from "#shared/allowlists/plan-allowlists";
import type { FeedWithdrawal } from "#shared/allowlists/stranded";
import type { Endpoint, Pool } from "#shared/catalogue/schema";
import { sortAddresses } from "#shared/domain/addresses";
import { contentId } from "#shared/domain/canonical";
import type { FeedId } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type {
  DriftEvent,
  DriftEventType,
  DriftEvidence,
  DriftSubject,
  EndpointRef,
  Severity,
} from "../drift-event";
import type { DriftInput } from "../drift-input";

/** What every verdict of one run reads: the input, looked up by key, and the allowlist plan. */
export interface RunContext {
  input: DriftInput;
  detectedAt: string;
  observations: Map<string, HostObservation>;
  pools: Map<string, Pool>;
  /** This run's allowlists by group (`planAllowlists`; groups kept as written left out). */
  allowlists: Map<string, GroupAllowlist>;
  /** Groups whose allowlist is held this run because a feed they rely on is unreadable. */
  held: ReadonlyMap<string, HeldGroup>;
  limits: AllowlistLimits;
  /** Per feed whose change in this run withdrew prefixes (`feedWithdrawalsOf`). */
  feedChanges: ReadonlyMap<FeedId, FeedWithdrawal>;
}

export function createRunContext(input: DriftInput, plan: AllowlistPlan): RunContext {
  return {
    input,
    detectedAt: input.now.toISOString(),
    observations: new Map(input.observations.map((o) => [o.hostname, o])),
    pools: new Map(input.catalogue.pools.map((pool) => [pool.id, pool])),
    allowlists: new Map(plan.allowlists.map((list) => [list.group, list])),
    held: plan.held,
    limits: { ...DEFAULT_ALLOWLIST_LIMITS, ...input.options.limits },
    feedChanges: plan.withdrawals,
  };
}

/** A verdict before its identity and run are stamped on it (`makeEvent`). */
export interface EventDraft {
  type: DriftEventType;
  severity: Severity;
  added?: string[];
  removed?: string[];
  evidence: DriftEvidence;
  reason: string;
  action: string;
  warnings?: AllowlistWarning[];
  /** What caused the change, hashed into the id with the type, subject and addresses. */
  cause: unknown;
}

export function makeEvent(
  run: RunContext,
  subject: DriftSubject,
  group: string | null,
  endpoints: EndpointRef[],
  draft: EventDraft,
): DriftEvent {
  const added = sortAddresses(draft.added ?? []);
  const removed = sortAddresses(draft.removed ?? []);
  // The catalogue is part of the identity: a deployment watching several catalogues raises one
  // event per catalogue for a hostname they share, and each commits its own.
  const eventId = contentId({
    v: 1,
    catalogue: run.input.catalogue.id,
    type: draft.type,
    subject: subject.key,
    added,
    removed,
    cause: draft.cause,
  });
  return {
    eventId,
    type: draft.type,
    severity: draft.severity,
    runId: run.input.runId,
    detectedAt: run.detectedAt,
    subject,
    group,
    endpoint: subject.kind === "endpoint" ? (endpoints[0] ?? null) : null,
    endpoints,
    added,
    removed,
    evidence: draft.evidence,
    reason: draft.reason,
    action: draft.action,
    warnings: draft.warnings ?? [],
  };
}

export function endpointRef(endpoint: Endpoint): EndpointRef {
  return {
    id: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    service: endpoint.service,
    policy: endpoint.policy,
    ports: endpoint.ports.map((p) => ({
      protocol: p.protocol,
      port: p.port,
      direction: p.direction,
    })),
  };
}

export function endpointSubjectKey(endpointId: string): string {
  return `endpoint:${endpointId}`;
}
