/** One page of a DynamoDB query or scan, as the document client returns it. */
export interface ItemPage {
  Items?: Record<string, unknown>[];
  LastEvaluatedKey?: Record<string, unknown>;
}

/**
 * Every item of a query or scan: reads page after page (`readPage` sends the request starting at
 * `startKey`) until DynamoDB names no next page.
 */
export async function readAllPages(
  readPage: (startKey: Record<string, unknown> | undefined) => Promise<ItemPage>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await readPage(startKey);
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}
