import type { Logger } from "@aws-lambda-powertools/logger";
import type { GroupAllowlist } from "#shared/allowlists/build";
import { compareText } from "#shared/domain/canonical";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { type AllowlistChange, allowlistChangeId, diffAllowlists } from "./allowlist-change";
import { putSnapshot, readSnapshot } from "./content-snapshots";
import type { AllowlistVersionStore, CatalogueVersion } from "./ports";

export interface AllowlistVersioningDeps {
  versions: AllowlistVersionStore;
  objects: Pick<ObjectArchive, "get" | "putIfChanged">;
  logger?: Pick<Logger, "info" | "warn"> | undefined;
}

/** The version moved under every attempt to bump it (a storm of concurrent cycles). */
export class AllowlistVersionConflictError extends Error {
  override readonly name = "AllowlistVersionConflictError";
  constructor(catalogueId: string, group: string) {
    super(`catalogue ${catalogueId}: the allowlist version of group ${group} kept moving`);
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Before the allowlists are rewritten: for each group whose content the version does not list
 * yet, archive the new content (`putSnapshot`) and stage the run and events behind it
 * (`ALLOWLIST_PENDING#<group>`, kept when it already stages the same content, so the cycle
 * that completes an interrupted bump still names the events of the run that wrote it). Returns
 * the version read.
 */
export async function stageAllowlistChanges(
  deps: AllowlistVersioningDeps,
  input: {
    catalogueId: string;
    allowlists: readonly GroupAllowlist[];
    runId: string;
    eventIdsByGroup: ReadonlyMap<string, readonly string[]>;
    now: Date;
  },
): Promise<CatalogueVersion | null> {
  const version = await deps.versions.getVersion(input.catalogueId);
  for (const allowlist of input.allowlists) {
    if (version?.groups[allowlist.group]?.contentSha256 === allowlist.contentSha256) continue;
    await putSnapshot(deps.objects, allowlist);
    await deps.versions.putPending({
      catalogueId: input.catalogueId,
      group: allowlist.group,
      toSha256: allowlist.contentSha256,
      runId: input.runId,
      eventIds: [...(input.eventIdsByGroup.get(allowlist.group) ?? [])].sort(compareText),
      stagedAt: input.now.toISOString(),
    });
  }
  return version;
}

/**
 * After the allowlists were rewritten: one version per group whose content the version does
 * not list yet, in group order. Idempotent: a retried cycle finds its content listed and bumps
 * nothing; a cycle after one interrupted between the rewrite and the bump completes it. Returns
 * the changes this call versioned.
 */
export async function versionAllowlistChanges(
  deps: AllowlistVersioningDeps,
  input: {
    catalogueId: string;
    allowlists: readonly GroupAllowlist[];
    /** The version `stageAllowlistChanges` read (a hint: re-read when it moved). */
    read: CatalogueVersion | null;
    now: Date;
  },
): Promise<AllowlistChange[]> {
  const changes: AllowlistChange[] = [];
  let known = input.read;
  const ordered = [...input.allowlists].sort((a, b) => compareText(a.group, b.group));
  for (const allowlist of ordered) {
    if (known?.groups[allowlist.group]?.contentSha256 === allowlist.contentSha256) continue;
    const bumped = await bumpGroup(deps, { ...input, allowlist, known });
    known = bumped.version;
    if (bumped.change !== null) changes.push(bumped.change);
  }
  return changes;
}

/**
 * 1. Read the version; done when it already lists the group's content.
 * 2. Write the change as version n+1 (`attribute_not_exists`).
 * 3. Move the version onto it, conditional on version n and its change id.
 * A version number already taken is an interrupted or concurrent bump: move the version onto
 * that change (it is complete), then try again from 1.
 */
async function bumpGroup(
  deps: AllowlistVersioningDeps,
  input: {
    catalogueId: string;
    allowlist: GroupAllowlist;
    known: CatalogueVersion | null;
    now: Date;
  },
): Promise<{ version: CatalogueVersion | null; change: AllowlistChange | null }> {
  const { catalogueId, allowlist } = input;
  let made: AllowlistChange | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const version = await deps.versions.getVersion(catalogueId);
    if (version?.groups[allowlist.group]?.contentSha256 === allowlist.contentSha256) {
      return { version, change: made };
    }
    const change = await changeOf(deps, { ...input, version });
    if (await deps.versions.putChange(change)) {
      const next = withChange(catalogueId, version, change);
      if (await deps.versions.advanceVersion(next, version)) {
        deps.logger?.info("allowlist version", {
          catalogueId,
          version: change.version,
          group: change.group,
          added: change.added.length,
          removed: change.removed.length,
        });
        return { version: next, change };
      }
      made = change;
      continue;
    }
    const taken = await deps.versions.getChange(catalogueId, change.version);
    if (taken !== null) {
      await deps.versions.advanceVersion(withChange(catalogueId, version, taken), version);
    }
  }
  throw new AllowlistVersionConflictError(catalogueId, allowlist.group);
}

async function changeOf(
  deps: AllowlistVersioningDeps,
  input: {
    catalogueId: string;
    allowlist: GroupAllowlist;
    version: CatalogueVersion | null;
    now: Date;
  },
): Promise<AllowlistChange> {
  const { catalogueId, allowlist, version } = input;
  const base = version?.groups[allowlist.group]?.contentSha256 ?? null;
  const previous = base === null ? null : await readSnapshot(deps.objects, allowlist.group, base);
  if (base !== null && previous === null) {
    deps.logger?.warn("allowlist content of the last version is not archived: listed as new", {
      catalogueId,
      group: allowlist.group,
      contentSha256: base,
    });
  }
  const pending = await deps.versions.getPending(catalogueId, allowlist.group);
  const staged = pending?.toSha256 === allowlist.contentSha256 ? pending : null;
  return {
    catalogueId,
    version: (version?.version ?? 0) + 1,
    changeId: allowlistChangeId(allowlist.group, base, allowlist.contentSha256),
    group: allowlist.group,
    at: input.now.toISOString(),
    runId: staged?.runId ?? null,
    eventIds: staged?.eventIds ?? [],
    ...diffAllowlists(previous, allowlist),
  };
}

/** The version after `change`. */
export function withChange(
  catalogueId: string,
  version: CatalogueVersion | null,
  change: AllowlistChange,
): CatalogueVersion {
  return {
    catalogueId,
    version: change.version,
    lastChangeId: change.changeId,
    groups: {
      ...(version?.groups ?? {}),
      [change.group]: { contentSha256: change.current.contentSha256, version: change.version },
    },
    updatedAt: change.at,
  };
}
