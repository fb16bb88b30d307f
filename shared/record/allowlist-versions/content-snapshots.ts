import { z } from "zod";
import { PortSpec } from "#shared/catalogue/schema";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { AllowlistContent } from "./allowlist-change";

/**
 * Each allowlist content a version listed, content-addressed in the bucket
 * (`allowlists/versions/<group>/<contentSha256>.json`, never rewritten), so the next change of
 * the group is computed against it even when the cycle that wrote it was interrupted.
 */
export function snapshotKey(group: string, contentSha256: string): string {
  return `${ALLOWLIST_VERSIONS_PREFIX}${group}/${contentSha256}.json`;
}

/** Where the content snapshots are. */
export const ALLOWLIST_VERSIONS_PREFIX = "allowlists/versions/";

const SnapshotSchema = z.object({
  group: z.string(),
  contentSha256: z.string(),
  ports: z.array(PortSpec),
  addresses: z.array(z.string()),
  domains: z.array(z.string()).optional(),
  endpoints: z.array(
    z.object({ id: z.string(), hostname: z.string().nullable(), addresses: z.array(z.string()) }),
  ),
});

/** Writes the snapshot of a content unless it is already archived. */
export async function putSnapshot(
  objects: Pick<ObjectArchive, "putIfChanged">,
  content: AllowlistContent,
): Promise<void> {
  const snapshot: AllowlistContent = {
    group: content.group,
    contentSha256: content.contentSha256,
    ports: content.ports,
    addresses: content.addresses,
    ...(content.domains === undefined ? {} : { domains: content.domains }),
    endpoints: content.endpoints.map((e) => ({
      id: e.id,
      hostname: e.hostname,
      addresses: e.addresses,
    })),
  };
  await objects.putIfChanged(
    snapshotKey(content.group, content.contentSha256),
    new TextEncoder().encode(`${JSON.stringify(snapshot)}\n`),
    "application/json",
    { "content-sha256": content.contentSha256 },
  );
}

/** The archived content, or null when it is missing or not a snapshot of that hash. */
export async function readSnapshot(
  objects: Pick<ObjectArchive, "get">,
  group: string,
  contentSha256: string,
): Promise<AllowlistContent | null> {
  const object = await objects.get(snapshotKey(group, contentSha256));
  if (object === null) return null;
  try {
    const parsed = SnapshotSchema.safeParse(JSON.parse(new TextDecoder().decode(object.bytes)));
    return parsed.success && parsed.data.contentSha256 === contentSha256 ? parsed.data : null;
  } catch {
    return null;
  }
}
