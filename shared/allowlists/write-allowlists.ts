import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { GroupAllowlist } from "./build";
import type { AllowlistState, AllowlistStateStore } from "./ports";
import {
  allowlistKeys,
  domainListKeys,
  renderAllowlistJson,
  renderDomainList,
  renderEdl,
} from "./render";

const TEXT = "text/plain; charset=utf-8";
/** Where every allowlist file is (`allowlistKeys`, `domainListKeys`). */
const ALLOWLIST_PREFIX = "allowlists/";

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

/** Groups written at once: their S3 requests overlap, the results keep the input's order. */
const GROUPS_IN_FLIGHT = 8;

/**
 * Writes each group's allowlist files (`allowlists/<group>.txt`, `.json`, and the domain lists of a
 * group with wildcard domains, `domainListKeys`) when they change.
 *
 * 1. Read every group's `ALLOWLIST#<group>` state at once (batch reads), and compare each content
 *    hash with it.
 * 2. Render with `generatedAt` = now when the content changed, else the stored time, so an
 *    unchanged list renders to the same bytes.
 * 3. Put each file only if its bytes differ from the object in the bucket (a missing file is
 *    restored with its previous bytes). The bucket's objects under `allowlists/` are listed once
 *    (ETags, a request per 1,000 keys): a file of an unchanged group whose listed ETag is the md5
 *    of its bytes is left without a request of its own; any other is checked and put. An
 *    unchanged group whose every file is listed with the ETag its state recorded is not even
 *    rendered.
 * 4. Record the new hash, time and the files' ETags (conditional on the state read in 1); for an
 *    unchanged group, only when its state has no ETags recorded yet.
 */
export async function writeAllowlists(
  deps: AllowlistWriterDeps,
  input: { allowlists: readonly GroupAllowlist[]; now: Date },
): Promise<AllowlistWriteResult> {
  const [states, listed] = await Promise.all([
    deps.state.getMany(input.allowlists.map((a) => a.group)),
    deps.objects.etags?.(ALLOWLIST_PREFIX) ?? Promise.resolve(new Map<string, string>()),
  ]);
  const results: GroupWriteResult[] = new Array(input.allowlists.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < input.allowlists.length; i = next++) {
      const allowlist = input.allowlists[i] as GroupAllowlist;
      results[i] = await writeGroup(
        deps,
        allowlist,
        { previous: states.get(allowlist.group) ?? null, listed },
        input.now,
      );
    }
  };
  await Promise.all(Array.from({ length: GROUPS_IN_FLIGHT }, worker));
  return {
    written: results.flatMap((r) => r.written),
    changed: results.filter((r) => r.changed).map((r) => r.group),
  };
}

interface GroupWriteResult {
  group: string;
  written: string[];
  changed: boolean;
}

/** Steps 2-4 for one group, given its state read in step 1. */
async function writeGroup(
  deps: AllowlistWriterDeps,
  allowlist: GroupAllowlist,
  read: { previous: AllowlistState | null; listed: ReadonlyMap<string, string> },
  now: Date,
): Promise<GroupWriteResult> {
  const { previous, listed } = read;
  const result: GroupWriteResult = { group: allowlist.group, written: [], changed: false };
  const changed = previous?.contentSha256 !== allowlist.contentSha256;
  if (!changed && previous !== null && filesIntact(previous, allowlist, listed)) return result;
  const generatedAt = changed || previous === null ? now.toISOString() : previous.generatedAt;
  const keys = allowlistKeys(allowlist.group);
  const metadata = { "content-sha256": allowlist.contentSha256, "generated-at": generatedAt };
  const etags: Record<string, string> = {};
  for (const [key, text, contentType] of renderFiles(allowlist, {
    changed,
    previous,
    generatedAt,
  })) {
    const bytes = new TextEncoder().encode(text);
    const md5 = createHash("md5").update(bytes).digest("hex");
    etags[key] = md5;
    if (!changed && listed.get(key) === md5) continue;
    if (await deps.objects.putIfChanged(key, bytes, contentType, metadata))
      result.written.push(key);
  }
  const domains = allowlist.domains?.length ?? 0;
  const state: AllowlistState = {
    group: allowlist.group,
    contentSha256: allowlist.contentSha256,
    generatedAt,
    addresses: allowlist.addresses.length,
    ...(domains > 0 ? { domains } : {}),
    keys,
    etags,
    updatedAt: now.toISOString(),
  };
  if (!changed) {
    // The same content: its files' ETags recorded (a state written before they were), once.
    if (!isDeepStrictEqual(previous?.etags, etags)) {
      await deps.state.put(
        { ...state, updatedAt: previous?.updatedAt ?? state.updatedAt },
        allowlist.contentSha256,
      );
    }
    return result;
  }
  await deps.state.put(state, previous?.contentSha256 ?? null);
  result.changed = true;
  deps.logger?.info("allowlist changed", {
    group: allowlist.group,
    addresses: allowlist.addresses.length,
    contentSha256: allowlist.contentSha256,
  });
  return result;
}

/** The object keys of a group's files: the lists, and the domain lists of a group with names. */
function fileKeys(allowlist: GroupAllowlist): string[] {
  const keys = allowlistKeys(allowlist.group);
  if ((allowlist.domains?.length ?? 0) === 0) return [keys.txt, keys.json];
  const domainKeys = domainListKeys(allowlist.group);
  return [keys.txt, keys.json, domainKeys.domains, domainKeys.networkFirewall];
}

/**
 * Whether an unchanged group's files are in the bucket as last written: each listed with the
 * ETag its state recorded. Then nothing of it is rendered (a feed group's JSON document lists
 * every endpoint's published prefixes: 40 MB rendered and hashed per steady 10,000-host run).
 */
function filesIntact(
  previous: AllowlistState,
  allowlist: GroupAllowlist,
  listed: ReadonlyMap<string, string>,
): boolean {
  const { etags } = previous;
  if (etags === undefined) return false;
  return fileKeys(allowlist).every((key) => {
    const etag = etags[key];
    return etag !== undefined && listed.get(key) === etag;
  });
}

/** The files of a group: `[key, text, content type]`. */
function renderFiles(
  allowlist: GroupAllowlist,
  at: { changed: boolean; previous: AllowlistState | null; generatedAt: string },
): [string, string, string][] {
  const { generatedAt } = at;
  const keys = allowlistKeys(allowlist.group);
  const files: [string, string, string][] = [
    [keys.txt, renderEdl(allowlist, generatedAt), TEXT],
    [keys.json, renderAllowlistJson(allowlist, generatedAt), "application/json"],
  ];
  const domains = allowlist.domains?.length ?? 0;
  // Domain lists exist for groups with names allowed by name only; when the last one goes,
  // they are written once more, empty, so no firewall keeps polling a stale list.
  if (domains > 0 || (at.changed && (at.previous?.domains ?? 0) > 0)) {
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
  return files;
}
