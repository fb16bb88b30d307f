import { assertUniqueGroups } from "#shared/catalogue/deployment-groups";
import { type Catalogue, resolvableHostnames } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import type { CatalogueSource } from "./catalogue-source";
import type { JudgeDrift, JudgeDriftResult } from "./judge-drift";

/**
 * A deployment that watches several catalogues resolves the union of their hostnames once (one
 * observation per hostname, under the longest grace of all its endpoints' policies: the targets
 * of every catalogue go to resolveHostnames together) and judges each catalogue in turn with its
 * own events, allowlists and allowlist versions. Event ids include the catalogue id, so a
 * hostname two catalogues share raises an event in each.
 */

/** One or several catalogues, as the judges take them. */
export type Catalogues = Catalogue | readonly Catalogue[];

export function catalogueList(catalogues: Catalogues): readonly Catalogue[] {
  return Array.isArray(catalogues) ? catalogues : [catalogues as Catalogue];
}

/**
 * Every catalogue, read before anything is judged: one missing from the table throws
 * (`CatalogueNotImportedError`) and nothing is judged, so a catalogue never reads as empty
 * (which would remove all its IPs); so does a group name two of them share
 * (`CatalogueGroupClashError`: their allowlist files would overwrite each other).
 */
export async function loadCatalogues(
  source: CatalogueSource,
  catalogueIds: readonly string[],
): Promise<Catalogue[]> {
  if (catalogueIds.length === 0) throw new RangeError("no catalogue to watch");
  const catalogues: Catalogue[] = [];
  for (const id of catalogueIds) catalogues.push(await source(id));
  assertUniqueGroups(catalogues);
  return catalogues;
}

/** The resolvable hostnames of all the catalogues, each once, sorted. */
export function unionHostnames(catalogues: Catalogues): string[] {
  const names = new Set(catalogueList(catalogues).flatMap(resolvableHostnames));
  return [...names].sort();
}

/** The observations of the catalogue's own hostnames (a run's observations cover the union). */
export function observationsOf(
  catalogue: Catalogue,
  observations: readonly HostObservation[],
): HostObservation[] {
  const own = new Set(resolvableHostnames(catalogue).map((hostname) => hostname.toLowerCase()));
  return observations.filter((observation) => own.has(observation.hostname.toLowerCase()));
}

/** The results of judging each catalogue, as one run's result. */
export function mergeDriftResults(results: readonly JudgeDriftResult[]): JudgeDriftResult {
  return {
    events: results.flatMap((result) => result.events),
    changeSets: results.flatMap((result) => result.changeSets),
    committed: results.reduce((sum, result) => sum + result.committed, 0),
    published: results.reduce((sum, result) => sum + result.published, 0),
    publishFailures: results.flatMap((result) => result.publishFailures),
    allowlistsWritten: results.flatMap((result) => result.allowlistsWritten),
  };
}

/**
 * Judges each catalogue in turn against its own hostnames' observations (the rest of the input
 * shared), and merges the results. A failure stops there: the caller marks nothing judged, so
 * the whole run is judged again (event ids are deterministic: nothing is committed twice).
 */
export async function judgeEachCatalogue(
  judgeDrift: JudgeDrift,
  catalogues: Catalogues,
  input: Omit<Parameters<JudgeDrift>[0], "catalogue">,
): Promise<JudgeDriftResult> {
  const judged: JudgeDriftResult[] = [];
  for (const catalogue of catalogueList(catalogues)) {
    judged.push(
      await judgeDrift({
        ...input,
        catalogue,
        observations: observationsOf(catalogue, input.observations),
      }),
    );
  }
  return mergeDriftResults(judged);
}
