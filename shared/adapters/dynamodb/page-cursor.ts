/**
 * Opaque paging cursors: a query's `LastEvaluatedKey` as base64url JSON, so a caller (the CLI,
 * the HTTP API) passes it back without knowing the table's keys. A cursor that does not decode
 * to a key of the expected attributes is refused, never sent to DynamoDB as it is.
 */

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  constructor(cursor: string) {
    super(`${JSON.stringify(cursor.slice(0, 80))} is not a cursor a previous page returned`);
  }
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key === undefined ? null : Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** The key a cursor holds; its attributes must be exactly `attributes`, each a string. */
export function decodeCursor(
  cursor: string | undefined,
  attributes: readonly string[],
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  const valid =
    typeof key === "object" &&
    key !== null &&
    !Array.isArray(key) &&
    Object.keys(key).length === attributes.length &&
    attributes.every((name) => typeof (key as Record<string, unknown>)[name] === "string");
  if (!valid) throw new InvalidCursorError(cursor);
  return key as Record<string, string>;
}
