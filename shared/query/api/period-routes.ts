import { type Change, changesBetween } from "../changes-between";
import { type EndpointState, queryStateAt } from "../state-at";
import { decodeSkipCursor, encodeApiCursor, type SkipCursor } from "./api-cursor";
import { ChangesParameters, parseParameters, StateParameters } from "./api-parameters";
import { type AuditApiDeps, type RouteParameters, selectedCatalogue } from "./audit-routes";

/** `GET /state`: every catalogued endpoint's state at `at`, one page of them. */
export interface StateAnswer {
  catalogueId: string;
  at: string;
  endpoints: EndpointState[];
  cursor: string | null;
}

/** `GET /changes`: what entered and left between `from` and `to`, one page. */
export interface ChangesAnswer {
  catalogueId: string;
  from: string;
  to: string;
  changes: Change[];
  cursor: string | null;
}

const clock = (deps: AuditApiDeps) => (deps.now ?? (() => new Date()))();

/** Items `skip` to `skip + limit` of `items`, and the cursor of the rest when there is any. */
async function pageOf<Item>(
  items: AsyncIterable<Item[]>,
  route: SkipCursor["k"],
  page: { skip: number; limit: number },
): Promise<{ items: Item[]; cursor: string | null }> {
  const kept: Item[] = [];
  let seen = 0;
  for await (const batch of items) {
    for (const item of batch) {
      seen += 1;
      if (seen <= page.skip) continue;
      if (kept.length === page.limit) {
        return { items: kept, cursor: encodeApiCursor({ k: route, skip: page.skip + page.limit }) };
      }
      kept.push(item);
    }
  }
  return { items: kept, cursor: null };
}

async function* once<Item>(items: Item[]): AsyncGenerator<Item[]> {
  yield items;
}

/**
 * `GET /state?at=…&catalogue=…&limit=…&cursor=…`: every endpoint's observed set and status in effect at `at`
 * (a day: its end; now when omitted), in catalogue order (`queryStateAt`), `limit` endpoints a
 * page; the cursor counts the endpoints of the pages before.
 */
export async function stateRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<StateAnswer> {
  const input = parseParameters(StateParameters, parameters);
  const at = input.at?.end ?? clock(deps).toISOString();
  const skip = input.cursor === undefined ? 0 : decodeSkipCursor(input.cursor, "state");
  const catalogue = await selectedCatalogue(deps, input.catalogue);
  const state = await queryStateAt(deps, { catalogue, at });
  const page = await pageOf(once(state.endpoints), "state", { skip, limit: input.limit });
  return { catalogueId: catalogue.id, at, endpoints: page.items, cursor: page.cursor };
}

/**
 * `GET /changes?from=…&to=…&catalogue=…&limit=…&cursor=…`: per hostname the IPs that entered and left its
 * observed set, then the feed ranges per group, between `from` (a day: its start) and `to` (a
 * day: its end; now when omitted), read page by page (`changesBetween`), `limit` changes a page;
 * the cursor counts the changes of the pages before.
 */
export async function changesRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<ChangesAnswer> {
  const input = parseParameters(ChangesParameters, parameters);
  const from = input.from.start;
  const to = input.to?.end ?? clock(deps).toISOString();
  const skip = input.cursor === undefined ? 0 : decodeSkipCursor(input.cursor, "changes");
  const catalogue = await selectedCatalogue(deps, input.catalogue);
  const changes = changesBetween(deps, { catalogue, from, to });
  const page = await pageOf(changes, "changes", { skip, limit: input.limit });
  return { catalogueId: catalogue.id, from, to, changes: page.items, cursor: page.cursor };
}
