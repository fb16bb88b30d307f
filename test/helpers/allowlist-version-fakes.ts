import type { ArchivedObject, ObjectArchive } from "#shared/domain/object-archive";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import type {
  AllowlistVersionStore,
  CatalogueVersion,
  PendingAllowlistChange,
} from "#shared/record/allowlist-versions/ports";

/** An in-memory object archive (byte-compare like S3's putIfChanged). */
export function memoryArchive(): ObjectArchive & { objects: Map<string, ArchivedObject> } {
  const objects = new Map<string, ArchivedObject>();
  return {
    objects,
    async putIfChanged(key, bytes, contentType, metadata = {}) {
      const existing = objects.get(key);
      if (existing !== undefined && Buffer.from(existing.bytes).equals(Buffer.from(bytes))) {
        return false;
      }
      objects.set(key, { bytes, contentType, metadata });
      return true;
    },
    async get(key) {
      return objects.get(key) ?? null;
    },
    async exists(key) {
      return objects.has(key);
    },
  };
}

/**
 * An in-memory version store with the DynamoDB adapter's conditions (change numbers taken once,
 * the version moved only from the one read). `failNextAdvance` makes the next `advanceVersion`
 * throw (the process dies between the change and the version).
 */
export function memoryVersionStore() {
  const versions = new Map<string, CatalogueVersion>();
  const changes = new Map<string, AllowlistChange>();
  const pending = new Map<string, PendingAllowlistChange>();
  let failAdvance = 0;
  const changeKey = (catalogueId: string, version: number) => `${catalogueId}#${version}`;
  const store: AllowlistVersionStore = {
    async getVersion(catalogueId) {
      return structuredClone(versions.get(catalogueId) ?? null);
    },
    async getChange(catalogueId, version) {
      return structuredClone(changes.get(changeKey(catalogueId, version)) ?? null);
    },
    async changesBetween(catalogueId, { since, through, limit }) {
      const out: AllowlistChange[] = [];
      for (let v = since + 1; v <= through && out.length < limit; v++) {
        const change = changes.get(changeKey(catalogueId, v));
        if (change !== undefined) out.push(structuredClone(change));
      }
      return out;
    },
    async putChange(change) {
      const key = changeKey(change.catalogueId, change.version);
      if (changes.has(key)) return false;
      changes.set(key, structuredClone(change));
      return true;
    },
    async advanceVersion(next, previous) {
      if (failAdvance > 0) {
        failAdvance--;
        throw new Error("DynamoDB is unavailable (injected)");
      }
      const current = versions.get(next.catalogueId) ?? null;
      const holds =
        previous === null
          ? current === null
          : current !== null &&
            current.version === previous.version &&
            current.lastChangeId === previous.lastChangeId;
      if (!holds) return false;
      versions.set(next.catalogueId, structuredClone(next));
      return true;
    },
    async putPending(item) {
      const key = `${item.catalogueId}#${item.group}`;
      if (pending.get(key)?.toSha256 === item.toSha256) return;
      pending.set(key, structuredClone(item));
    },
    async getPending(catalogueId, group) {
      return structuredClone(pending.get(`${catalogueId}#${group}`) ?? null);
    },
  };
  return {
    store,
    changes,
    failNextAdvance(times = 1) {
      failAdvance = times;
    },
  };
}
