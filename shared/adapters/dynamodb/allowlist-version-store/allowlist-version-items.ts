import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { PortSpec } from "#shared/catalogue/schema";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import type {
  CatalogueVersion,
  PendingAllowlistChange,
} from "#shared/record/allowlist-versions/ports";

/**
 * The allowlist version items of a catalogue (`CATALOGUE#<id>` / `ALLOWLIST_VERSION`,
 * `ALLOWLIST_CHANGE#<10 digits>`, `ALLOWLIST_PENDING#<group>`) and back: pure mapping, no I/O.
 */

/** Changes larger than this are stored gzip-compressed (items are limited to 400 KB). */
const INLINE_CHANGE_MAX_BYTES = 100_000;

const cataloguePk = (catalogueId: string) => `CATALOGUE#${catalogueId}`;
export const VERSION_SK = "ALLOWLIST_VERSION";
export const CHANGE_SK_PREFIX = "ALLOWLIST_CHANGE#";

export const versionKey = (catalogueId: string) => ({
  pk: cataloguePk(catalogueId),
  sk: VERSION_SK,
});
export const changeSk = (version: number) =>
  `${CHANGE_SK_PREFIX}${String(version).padStart(10, "0")}`;
export const changeKey = (catalogueId: string, version: number) => ({
  pk: cataloguePk(catalogueId),
  sk: changeSk(version),
});
export const pendingKey = (catalogueId: string, group: string) => ({
  pk: cataloguePk(catalogueId),
  sk: `ALLOWLIST_PENDING#${group}`,
});
export { cataloguePk };

const VersionItem = z.object({
  catalogueId: z.string(),
  version: z.number().int().nonnegative(),
  lastChangeId: z.string().nullable(),
  groups: z.record(
    z.string(),
    z.object({ contentSha256: z.string(), version: z.number().int().positive() }),
  ),
  updatedAt: z.string().nullable(),
});

const Side = z.object({
  contentSha256: z.string(),
  entries: z.number().int().nonnegative(),
  ports: z.array(PortSpec),
});

const ChangeBody = z.object({
  catalogueId: z.string(),
  version: z.number().int().positive(),
  changeId: z.string(),
  group: z.string(),
  at: z.string(),
  runId: z.string().nullable(),
  eventIds: z.array(z.string()),
  previous: Side.nullable(),
  current: Side,
  added: z.array(z.string()),
  removed: z.array(z.string()),
  endpoints: z.array(
    z.object({
      id: z.string(),
      hostname: z.string().nullable(),
      previous: z.array(z.string()).nullable(),
      current: z.array(z.string()).nullable(),
    }),
  ),
});

const ChangeItem = z.object({
  changeJson: z.string().optional(),
  changeGz: z.instanceof(Uint8Array).optional(),
});

const PendingItem = z.object({
  catalogueId: z.string(),
  group: z.string(),
  toSha256: z.string(),
  runId: z.string(),
  eventIds: z.array(z.string()),
  stagedAt: z.string(),
});

export function versionItem(version: CatalogueVersion): Record<string, unknown> {
  return { ...versionKey(version.catalogueId), kind: "allowlist-version", ...version };
}

export function parseVersion(item: Record<string, unknown>): CatalogueVersion {
  return VersionItem.parse(item);
}

/** The change item: its key fields top-level, the change as JSON (gzipped above 100 kB). */
export function changeItem(change: AllowlistChange): Record<string, unknown> {
  const json = JSON.stringify(change);
  return {
    ...changeKey(change.catalogueId, change.version),
    kind: "allowlist-change",
    version: change.version,
    changeId: change.changeId,
    group: change.group,
    at: change.at,
    ...(Buffer.byteLength(json) <= INLINE_CHANGE_MAX_BYTES
      ? { changeJson: json }
      : { changeGz: gzipSync(json) }),
  };
}

export function parseChange(item: Record<string, unknown>): AllowlistChange {
  const stored = ChangeItem.parse(item);
  const json =
    stored.changeJson ??
    (stored.changeGz === undefined ? undefined : gunzipSync(stored.changeGz).toString("utf8"));
  if (json === undefined) throw new Error(`allowlist change ${String(item.sk)} has no body`);
  return ChangeBody.parse(JSON.parse(json));
}

export function pendingItem(pending: PendingAllowlistChange): Record<string, unknown> {
  return {
    ...pendingKey(pending.catalogueId, pending.group),
    kind: "allowlist-pending",
    ...pending,
  };
}

export function parsePending(item: Record<string, unknown>): PendingAllowlistChange {
  return PendingItem.parse(item);
}
