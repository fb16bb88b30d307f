import { CATALOGUE_ID_PATTERN } from "#shared/config/catalogue-ids";
import { currentVersion, type FirewallFeedDeps, type VersionView } from "./feed-queries";

/**
 * The firewall feed of a deployment that watches several catalogues (DRIFTWATCH_CATALOGUE_IDS):
 * each has its own allowlist version and changes; a request names one (`?catalogue=ID`) or gets
 * the default, as the feed did before it served several. A group name is unique across the
 * deployment's catalogues (docs/catalogue.md, "Several catalogues"), so the allowlist files name
 * no catalogue.
 */
export interface DeploymentFeedDeps extends Omit<FirewallFeedDeps, "catalogueId"> {
  /** Every catalogue served, in the deployment's order; no other is ever read. */
  catalogueIds: readonly string[];
  /** The catalogue a request that names none is answered from (default: the first). */
  defaultCatalogueId?: string;
}

/** `?catalogue=` is not a catalogue id at all (empty, upper case, two joined by a comma): 400. */
export class CatalogueParameterError extends Error {
  override readonly name = "CatalogueParameterError";
  constructor(readonly value: string) {
    super(
      `catalogue: ${JSON.stringify(value.slice(0, 100))} is not a catalogue id (a lower-case slug)`,
    );
  }
}

/** A request named a catalogue the deployment does not serve: 404. */
export class UnknownCatalogueError extends Error {
  override readonly name = "UnknownCatalogueError";
  constructor(
    readonly catalogueId: string,
    readonly served: readonly string[],
  ) {
    super(
      `no catalogue ${JSON.stringify(catalogueId)} in this feed: it serves ${served.join(", ")} (GET /catalogues)`,
    );
  }
}

export function defaultCatalogueOf(deps: DeploymentFeedDeps): string {
  const id = deps.defaultCatalogueId ?? deps.catalogueIds[0];
  if (id === undefined || !deps.catalogueIds.includes(id)) {
    throw new Error("a firewall feed needs a default catalogue among the ones it serves");
  }
  return id;
}

/**
 * The feed of the catalogue `requested` names (the default when undefined); a malformed id is a
 * `CatalogueParameterError`, one the deployment does not serve an `UnknownCatalogueError`.
 */
export function catalogueFeed(
  deps: DeploymentFeedDeps,
  requested: string | undefined,
): FirewallFeedDeps {
  if (
    requested !== undefined &&
    (requested.length > 128 || !CATALOGUE_ID_PATTERN.test(requested))
  ) {
    throw new CatalogueParameterError(requested);
  }
  const catalogueId = requested ?? defaultCatalogueOf(deps);
  if (!deps.catalogueIds.includes(catalogueId)) {
    throw new UnknownCatalogueError(catalogueId, deps.catalogueIds);
  }
  return { versions: deps.versions, objects: deps.objects, catalogueId };
}

/** `GET /catalogues`: every catalogue served, with its version, and the default. */
export interface CataloguesView {
  defaultCatalogueId: string;
  catalogues: VersionView[];
}

export async function servedCatalogues(deps: DeploymentFeedDeps): Promise<CataloguesView> {
  const catalogues = await Promise.all(
    deps.catalogueIds.map((catalogueId) => currentVersion(catalogueFeed(deps, catalogueId))),
  );
  return { defaultCatalogueId: defaultCatalogueOf(deps), catalogues };
}

/**
 * Whether the catalogue's allowlist version lists `group` (every group a cycle wrote is
 * versioned right after its file): `?catalogue=ID` on an allowlist route serves only that
 * catalogue's groups. One version read.
 */
export async function catalogueHasGroup(feed: FirewallFeedDeps, group: string): Promise<boolean> {
  const version = await feed.versions.getVersion(feed.catalogueId);
  return version?.groups[group] !== undefined;
}
