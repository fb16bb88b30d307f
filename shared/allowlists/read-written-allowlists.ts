import type { Logger } from "@aws-lambda-powertools/logger";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { allowlistKeys } from "./render";
import { parseWrittenAllowlist, type WrittenAllowlist } from "./written-allowlist";

/**
 * The last written JSON document of each group, from the bucket; a group whose document is
 * missing or not valid is left out (logged), so it is kept as last written.
 */
export async function readWrittenAllowlists(
  objects: Pick<ObjectArchive, "get">,
  groups: Iterable<string>,
  logger?: Pick<Logger, "warn">,
): Promise<Map<string, WrittenAllowlist>> {
  const written = new Map<string, WrittenAllowlist>();
  for (const group of groups) {
    const key = allowlistKeys(group).json;
    const object = await objects.get(key);
    const document = object === null ? null : parseWrittenAllowlist(object.bytes);
    if (document !== null && document.group === group) written.set(group, document);
    else {
      logger?.warn("last written allowlist document is unusable: the allowlist is not rewritten", {
        group,
        key,
        reason: object === null ? "missing" : "not a valid allowlist document",
      });
    }
  }
  return written;
}
