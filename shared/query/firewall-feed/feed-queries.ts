import { allowlistKeys, domainListKeys } from "#shared/allowlists/render";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import type {
  AllowlistVersionReads,
  CatalogueVersion,
} from "#shared/record/allowlist-versions/ports";

/**
 * The firewall feed's reads: the catalogue's allowlist version, the changes after a version
 * (paged), and a group's allowlist as written (EDL text or JSON). Shared by the router
 * (`firewall-feed-router.ts`: the EDL Lambda, `driftwatch serve`) and the CLI.
 */
export interface FirewallFeedDeps {
  versions: AllowlistVersionReads;
  objects: Pick<ObjectArchive, "get">;
  catalogueId: string;
}

export const DEFAULT_CHANGES_LIMIT = 100;
export const MAX_CHANGES_LIMIT = 1000;

export interface VersionView {
  catalogueId: string;
  /** 0 before the first allowlist change. */
  version: number;
  updatedAt: string | null;
  groups: CatalogueVersion["groups"];
}

export interface ChangesPage {
  catalogueId: string;
  since: number;
  /** The current version. */
  version: number;
  changes: AllowlistChange[];
  /** Ask again with `since = next` for the rest; null when this page reaches `version`. */
  next: number | null;
}

/** `since` is after the current version: a poller whose store was reset, or a typo. */
export class VersionAheadError extends Error {
  override readonly name = "VersionAheadError";
  constructor(
    readonly since: number,
    readonly version: number,
  ) {
    super(`since ${since} is after the current version ${version}`);
  }
}

export async function currentVersion(deps: FirewallFeedDeps): Promise<VersionView> {
  const version = await deps.versions.getVersion(deps.catalogueId);
  return {
    catalogueId: deps.catalogueId,
    version: version?.version ?? 0,
    updatedAt: version?.updatedAt ?? null,
    groups: version?.groups ?? {},
  };
}

/** One page of the changes after version `since`, oldest first (at most `limit`). */
export async function changesSince(
  deps: FirewallFeedDeps,
  request: { since: number; limit?: number },
): Promise<ChangesPage> {
  const { version } = await currentVersion(deps);
  if (request.since > version) throw new VersionAheadError(request.since, version);
  const limit = Math.min(request.limit ?? DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT);
  const changes = await deps.versions.changesBetween(deps.catalogueId, {
    since: request.since,
    through: version,
    limit,
  });
  const last = changes.at(-1)?.version ?? request.since;
  return {
    catalogueId: deps.catalogueId,
    since: request.since,
    version,
    changes,
    next: last < version ? last : null,
  };
}

/** The newest `count` changes, newest first (the Atom feed). */
export async function latestChanges(
  deps: FirewallFeedDeps,
  count: number,
): Promise<{ version: VersionView; changes: AllowlistChange[] }> {
  const version = await currentVersion(deps);
  const since = Math.max(0, version.version - count);
  const changes = await deps.versions.changesBetween(deps.catalogueId, {
    since,
    through: version.version,
    limit: count,
  });
  return { version, changes: changes.reverse() };
}

/** `txt` the IP EDL, `json` the allowlist JSON, `domains` the domain EDL (wildcard names). */
export type AllowlistFormat = "txt" | "json" | "domains";

const allowlistKey = (group: string, format: AllowlistFormat) =>
  format === "domains" ? domainListKeys(group).domains : allowlistKeys(group)[format];

/** A group's allowlist file as written (the bytes a firewall fetches), or null when none. */
export async function allowlistFile(
  deps: Pick<FirewallFeedDeps, "objects">,
  group: string,
  format: AllowlistFormat,
): Promise<Uint8Array | null> {
  const object = await deps.objects.get(allowlistKey(group, format));
  return object?.bytes ?? null;
}
