import type { Change } from "#shared/query/changes-between";
import {
  type CommittedEvent,
  type CommittedEvents,
  newestFirst,
} from "#shared/query/committed-events";
import type { HostnameAt, HostnameAtInput } from "#shared/query/hostname-at";
import type { HostnameHistory, HostnameHistoryInput } from "#shared/query/hostname-history";
import type { IpUse } from "#shared/query/ip-use";
import type { PublishedNotification } from "#shared/query/notifications";
import type { StateAt } from "#shared/query/state-at";
import { type AuditApiClient, AuditApiError } from "./audit-api-client";

/**
 * The auditor's queries answered by the audit HTTP API instead of the table (`--api URL`): each
 * function answers what the use case of shared/query answers (the same types), so a command
 * prints the same thing whichever it asked. Pages are read one at a time, as the table path does.
 */

/** The largest page the API serves. */
const API_PAGE = 1000;

interface Paged {
  cursor: string | null;
}

/** Every page of a route, one at a time. */
async function* pagesOf<Answer extends Paged>(
  client: AuditApiClient,
  path: string,
  query: Record<string, string | undefined>,
): AsyncGenerator<Answer> {
  let cursor: string | undefined;
  do {
    const page = (await client.get(path, { ...query, cursor })) as Answer;
    yield page;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}

function notFoundReason(error: unknown): string | undefined {
  return error instanceof AuditApiError && error.status === 404 ? error.body.reason : undefined;
}

const historyPath = (hostname: string) => `/history/${encodeURIComponent(hostname)}`;

/** `queryHostnameHistory` through `GET /history/{hostname}`: the newest `limit` runs. */
export async function apiHostnameHistory(
  client: AuditApiClient,
  input: HostnameHistoryInput,
): Promise<HostnameHistory> {
  const runs: Extract<HostnameHistory, { status: "observed" }>["runs"] = [];
  let cursor: string | undefined;
  try {
    do {
      const page = (await client.get(historyPath(input.hostname), {
        from: input.from,
        to: input.to,
        limit: String(Math.min(API_PAGE, input.limit - runs.length)),
        cursor,
      })) as { runs: typeof runs; cursor: string | null };
      runs.push(...page.runs);
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined && runs.length < input.limit);
  } catch (error) {
    if (notFoundReason(error) === "never-observed") {
      return { status: "never-observed", hostname: input.hostname };
    }
    throw error;
  }
  const total = cursor === undefined ? runs.length : null;
  return { status: "observed", hostname: input.hostname, runs, total };
}

/** `queryHostnameAt` through `GET /history/{hostname}?at=…`. */
export async function apiHostnameAt(
  client: AuditApiClient,
  input: HostnameAtInput,
): Promise<HostnameAt> {
  try {
    const answer = (await client.get(historyPath(input.hostname), { at: input.at })) as {
      observation: Extract<HostnameAt, { status: "observed" }>["observation"];
    };
    return { status: "observed", hostname: input.hostname, observation: answer.observation };
  } catch (error) {
    const reason = notFoundReason(error);
    if (reason === "never-observed") return { status: "never-observed", hostname: input.hostname };
    if (reason === "not-yet-observed" && error instanceof AuditApiError) {
      const trackedSince = `${(error.body as { trackedSince?: string }).trackedSince ?? ""}`;
      return { status: "not-yet-observed", hostname: input.hostname, trackedSince };
    }
    throw error;
  }
}

/** `queryIpUse` through `GET /ips/{ip}` (the catalogue is the one the API's table holds). */
export async function apiIpUse(client: AuditApiClient, ip: string): Promise<IpUse> {
  return (await client.get(`/ips/${encodeURIComponent(ip)}`)) as IpUse;
}

/** `queryNewestCommittedEvents` through `GET /events`: every page read, the newest `limit` kept. */
export async function apiNewestCommittedEvents(
  client: AuditApiClient,
  input: { since?: string; until?: string; types: readonly string[]; limit: number },
): Promise<CommittedEvents> {
  let newest: CommittedEvent[] = [];
  let total = 0;
  const query = {
    since: input.since,
    until: input.until,
    type: input.types.length > 0 ? input.types.join(",") : undefined,
    limit: String(API_PAGE),
  };
  for await (const page of pagesOf<{ events: CommittedEvent[] } & Paged>(
    client,
    "/events",
    query,
  )) {
    total += page.events.length;
    newest = [...newest, ...page.events].sort(newestFirst).slice(0, input.limit);
  }
  return { total, events: newest };
}

/** `queryStateAt` through `GET /state?at=…`: every endpoint, page by page. */
export async function apiStateAt(client: AuditApiClient, at: string): Promise<StateAt> {
  const endpoints: StateAt["endpoints"] = [];
  const query = { at, limit: String(API_PAGE) };
  for await (const page of pagesOf<{ endpoints: StateAt["endpoints"] } & Paged>(
    client,
    "/state",
    query,
  )) {
    endpoints.push(...page.endpoints);
  }
  return { at, endpoints };
}

/** `changesBetween` through `GET /changes`: the changes, one page at a time. */
export async function* apiChangesBetween(
  client: AuditApiClient,
  input: { from: string; to: string },
): AsyncGenerator<Change[]> {
  const query = { from: input.from, to: input.to, limit: String(API_PAGE) };
  for await (const page of pagesOf<{ changes: Change[] } & Paged>(client, "/changes", query)) {
    yield page.changes;
  }
}

/** `notificationPages` through `GET /notifications`: what subscribers were told, page by page. */
export async function* apiNotificationPages(
  client: AuditApiClient,
  input: { since?: string; pageSize?: number },
): AsyncGenerator<PublishedNotification[]> {
  const query = { since: input.since, limit: String(input.pageSize ?? 100) };
  for await (const page of pagesOf<{ notifications: PublishedNotification[] } & Paged>(
    client,
    "/notifications",
    query,
  )) {
    yield page.notifications;
  }
}
