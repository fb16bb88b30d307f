import { z } from "zod";
import { ApiParameterError } from "./api-errors";

/**
 * The router's own paging cursors (history, state, changes; those of events and notifications are
 * the store's):
 * base64url JSON of where the next page starts, opaque to the caller. A cursor that does not
 * decode to one of the route's shape is refused with a 400, never used.
 */

const HistoryCursor = z.strictObject({ k: z.literal("history"), before: z.iso.datetime() });
/** How many items of the answer the pages before held (state, changes: answers of a period). */
const SkipCursor = z.strictObject({
  k: z.enum(["state", "changes"]),
  skip: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export type HistoryCursor = z.infer<typeof HistoryCursor>;
export type SkipCursor = z.infer<typeof SkipCursor>;

export function encodeApiCursor(cursor: HistoryCursor | SkipCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function decode<T>(schema: z.ZodType<T>, cursor: string): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidCursor(cursor);
  return parsed.data;
}

export function invalidCursor(cursor: string): ApiParameterError {
  return new ApiParameterError(
    "cursor",
    `${JSON.stringify(cursor.slice(0, 80))} is not a cursor a previous page of this route returned`,
  );
}

export const decodeHistoryCursor = (cursor: string) => decode(HistoryCursor, cursor);
/** The items to skip, from a cursor of route `route`. */
export function decodeSkipCursor(cursor: string, route: SkipCursor["k"]): number {
  const decoded = decode(SkipCursor, cursor);
  if (decoded.k !== route) throw invalidCursor(cursor);
  return decoded.skip;
}
