import type { DriftEvent } from "#shared/compare/drift-event";
import type { CatalogueCycleResult, DetectionCycleResult } from "./detection-cycle";
import type { JudgeDriftResult } from "./judge-drift";
import {
  buildDetectionReport,
  type DetectionReport,
  type ReportedCycle,
  type ReportLocations,
} from "./report";

/**
 * The report of a cycle over several catalogues: one detection report per catalogue, each with
 * its own endpoints, hostnames, events, allowlist actions and document (a hostname the
 * catalogues share is listed in each; the feeds, shared by all, in each too), and one exit code.
 */
export interface CataloguesReport {
  runId: string;
  startedAt: string;
  durationMs: number;
  /** 2 if any catalogue has new drift to act on, else 1 if any could not be observed, else 0. */
  exit: DetectionReport["exit"];
  catalogues: DetectionReport[];
}

/**
 * Builds one report per catalogue of the cycle. `unreported` are the events committed since the
 * last delivered report, by the catalogue whose change set holds them.
 */
export function buildCataloguesReport(
  result: DetectionCycleResult,
  locations: ReportLocations,
  unreported: ReadonlyMap<string, readonly DriftEvent[]>,
): CataloguesReport {
  const reports = result.catalogues.map((part) =>
    buildDetectionReport(
      catalogueCycle(result, part),
      locations,
      unreported.get(part.catalogue.id) ?? [],
    ),
  );
  return {
    runId: result.runId,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    exit: combinedExit(reports),
    catalogues: reports,
  };
}

/** One catalogue's part of the cycle as a report takes it: the backlog narrowed to its changes. */
export function catalogueCycle(
  result: DetectionCycleResult,
  part: CatalogueCycleResult,
): ReportedCycle {
  const { catalogues: _all, document: _first, ...shared } = result;
  return {
    ...shared,
    catalogue: part.catalogue,
    observations: part.observations,
    drift: part.drift,
    backlog: result.backlog.map((judged) => ({
      ...judged,
      drift: driftOfCatalogue(judged.drift, part.catalogue.id),
    })),
    ...(part.document === undefined ? {} : { document: part.document }),
  };
}

/** A merged drift result narrowed to one catalogue's change sets (by their `catalogueId`). */
function driftOfCatalogue(drift: JudgeDriftResult, catalogueId: string): JudgeDriftResult {
  const changeSets = drift.changeSets.filter((c) => c.catalogueId === catalogueId);
  const own = new Set(changeSets.map((c) => c.changeSetId));
  const eventIds = new Set(changeSets.flatMap((c) => c.events.map((e) => e.eventId)));
  const publishFailures = drift.publishFailures.filter((f) => own.has(f.changeSetId));
  return {
    events: drift.events.filter((event) => eventIds.has(event.eventId)),
    changeSets,
    committed: changeSets.reduce((sum, c) => sum + c.events.length, 0),
    // One message per change set that did not fail (parts of a large one aside): the merged
    // count does not say which catalogue each message was for.
    published: Math.min(drift.published, changeSets.length - publishFailures.length),
    publishFailures,
    allowlistsWritten: [],
  };
}

/** New drift anywhere sets 2; otherwise a catalogue nothing could be observed of sets 1. */
export function combinedExit(reports: readonly DetectionReport[]): DetectionReport["exit"] {
  const drifted = reports.filter((report) => report.exit.code === 2);
  if (drifted.length > 0) {
    return { code: 2, reason: reasonOf(drifted) };
  }
  const blind = reports.filter((report) => report.exit.code === 1);
  if (blind.length > 0) return { code: 1, reason: reasonOf(blind) };
  return { code: 0, reason: reasonOf(reports) };
}

function reasonOf(reports: readonly DetectionReport[]): string {
  return reports.map((report) => `${report.catalogue.id}: ${report.exit.reason}`).join("; ");
}
