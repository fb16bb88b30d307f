import { z } from "zod";

/**
 * The last written JSON document of a group's allowlist (`allowlists/<group>.json`), read back at
 * the start of a cycle: holding keeps its published prefixes while a feed is unreadable, and the
 * feed allowlists keep listing the stranded IPs it listed (see listing-policies.ts). Read by
 * `readWrittenAllowlists`.
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
