import type { Logger } from "@aws-lambda-powertools/logger";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { GroupAllowlist } from "./build";
import type { AllowlistStateStore } from "./ports";
import {
  allowlistKeys,
  domainListKeys,
  renderAllowlistJson,
  renderDomainList,
  renderEdl,
} from "./render";

const TEXT = "text/plain; charset=utf-8";

export interface AllowlistWriterDeps {
  state: AllowlistStateStore;
  /** The S3 bucket (shared/adapters/s3/object-archive.ts): writes only bytes that differ. */
  objects: ObjectArchive;
  logger?: Pick<Logger, "info">;
}

export interface AllowlistWriteResult {
  /** Object keys written in this call (empty when every list is unchanged). */
  written: string[];
  /** Groups whose content changed. */
  changed: string[];
}

/**
 * Writes each group's allowlist files (`allowlists/<group>.txt`, `.json`, and the domain lists of a
 * group with wildcard domains, `domainListKeys`) when they change.
 *
 * 1. Compare the content hash with the group's `ALLOWLIST#<group>` state.
 * 2. Render with `generatedAt` = now when the content changed, else the stored time, so an
 *    unchanged list renders to the same bytes.
 * 3. Put each file only if its bytes differ from the object in the bucket (a missing file is
 *    restored with its previous bytes).
 * 4. Record the new hash and time (conditional on the state read in 1).
 */
export async function writeAllowlists(
  deps: AllowlistWriterDeps,
  input: { allowlists: readonly GroupAllowlist[]; now: Date },
): Promise<AllowlistWriteResult> {
  const result: AllowlistWriteResult = { written: [], changed: [] };
  for (const allowlist of input.allowlists) {
    const previous = await deps.state.get(allowlist.group);
    const changed = previous?.contentSha256 !== allowlist.contentSha256;
    const generatedAt =
      changed || previous === null ? input.now.toISOString() : previous.generatedAt;
    const keys = allowlistKeys(allowlist.group);
    const metadata = { "content-sha256": allowlist.contentSha256, "generated-at": generatedAt };
    const files: [string, string, string][] = [
      [keys.txt, renderEdl(allowlist, generatedAt), TEXT],
      [keys.json, renderAllowlistJson(allowlist, generatedAt), "application/json"],
    ];
    const domains = allowlist.domains?.length ?? 0;
    // Domain lists exist for groups with names allowed by name only; when the last one goes,
    // they are written once more, empty, so no firewall keeps polling a stale list.
    if (domains > 0 || (changed && (previous?.domains ?? 0) > 0)) {
      const domainKeys = domainListKeys(allowlist.group);
      files.push(
        [domainKeys.domains, renderDomainList(allowlist, generatedAt, "edl"), TEXT],
        [
          domainKeys.networkFirewall,
          renderDomainList(allowlist, generatedAt, "network-firewall"),
          TEXT,
        ],
      );
    }
    for (const [key, text, contentType] of files) {
      const wrote = await deps.objects.putIfChanged(
        key,
        new TextEncoder().encode(text),
        contentType,
        metadata,
      );
      if (wrote) result.written.push(key);
    }
    if (changed) {
      await deps.state.put(
        {
          group: allowlist.group,
          contentSha256: allowlist.contentSha256,
          generatedAt,
          addresses: allowlist.addresses.length,
          ...(domains > 0 ? { domains } : {}),
          keys,
          updatedAt: input.now.toISOString(),
        },
        previous?.contentSha256 ?? null,
      );
      result.changed.push(allowlist.group);
      deps.logger?.info("allowlist changed", {
        group: allowlist.group,
        addresses: allowlist.addresses.length,
        contentSha256: allowlist.contentSha256,
      });
    }
  }
  return result;
}
