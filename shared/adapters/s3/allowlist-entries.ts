import { z } from "zod";
import { allowlistKeys } from "#shared/allowlists/render";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { AllowlistEntries } from "#shared/notify/prefix-lists/ports";

/** The part of `allowlists/<group>.json` the prefix-list subscriber reads: its entries. */
const AllowlistDocument = z.object({
  schemaVersion: z.literal(1),
  group: z.string(),
  addresses: z.array(z.string()),
});

export class AllowlistDocumentError extends Error {
  override readonly name = "AllowlistDocumentError";
}

/**
 * A group's written allowlist entries from the bucket: null when the file does not exist; a
 * document that is not valid, or names another group, throws (a list is never emptied because
 * its source could not be read).
 */
export function createS3AllowlistEntries(objects: Pick<ObjectArchive, "get">): AllowlistEntries {
  return {
    async entriesOf(group) {
      const key = allowlistKeys(group).json;
      const object = await objects.get(key);
      if (object === null) return null;
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(object.bytes));
      } catch (cause) {
        throw new AllowlistDocumentError(`${key}: not JSON`, { cause });
      }
      const parsed = AllowlistDocument.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AllowlistDocumentError(
          `${key}: ${issue === undefined ? "invalid" : `${z.core.toDotPath(issue.path)}: ${issue.message}`}`,
          { cause: parsed.error },
        );
      }
      if (parsed.data.group !== group) {
        throw new AllowlistDocumentError(
          `${key}: names group ${JSON.stringify(parsed.data.group)}`,
        );
      }
      return parsed.data.addresses;
    },
  };
}
