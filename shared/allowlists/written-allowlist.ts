import type { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { allowlistKeys } from "./render";

/**
 * The last written JSON document of a group's allowlist (`allowlists/<group>.json`), read back at
 * the start of a cycle: holding keeps its published prefixes while a feed is unreadable, and the
 * feed allowlists keep listing the stranded IPs it listed (see build.ts).
 */

/** The part of a written allowlist JSON document (`renderAllowlistJson`) that holding reads. */
export const WrittenAllowlistSchema = z.object({
  schemaVersion: z.literal(1),
  group: z.string(),
  endpoints: z.array(
    z.object({
      id: z.string(),
      policy: z.string(),
      addresses: z.array(z.string()),
    }),
  ),
});
export type WrittenAllowlist = z.infer<typeof WrittenAllowlistSchema>;

/** A written document, or null when the bytes are not one (logged by the caller). */
export function parseWrittenAllowlist(bytes: Uint8Array): WrittenAllowlist | null {
  try {
    const parsed = WrittenAllowlistSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

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
