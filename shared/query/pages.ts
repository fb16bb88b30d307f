import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord } from "#shared/notify/ports";

/**
 * The paged reads the auditor's queries stream (ports; the DynamoDB adapters implement them). A
 * page is one store call; `cursor` is the opaque text the previous page answered, null after the
 * last page. A caller never holds more than a page.
 */

/** One page of a paged read. */
export interface Page<Item> {
  items: Item[];
  cursor: string | null;
}

/** What a paged read is asked: where to resume, and at most how many items to read. */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

export interface ObservationPages {
  /**
   * One page of a hostname's observations between `from` and `to` (inclusive; ISO instants, or
   * `YYYY-MM-DD` for the start / the end of that UTC day), oldest first.
   */
  historyPage(
    hostname: string,
    page: PageRequest & { from?: string; to?: string },
  ): Promise<Page<HostObservation>>;
}

export interface ChangeSetPages {
  /**
   * One page of the committed change sets whose commit time is between `since` and `until`
   * (inclusive ISO instants, each optional), in the table's order (not by time): a page of a
   * scan, which may hold fewer than `limit` change sets (even none) and still have a cursor.
   */
  committedChangeSets(
    page: PageRequest & { since?: string; until?: string },
  ): Promise<Page<ChangeSetRecord>>;
}

/** Every page of a paged read, one at a time, as an async iterator. */
export async function* eachPage<Item>(
  read: (cursor: string | undefined) => Promise<Page<Item>>,
): AsyncGenerator<Item[]> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield page.items;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}
