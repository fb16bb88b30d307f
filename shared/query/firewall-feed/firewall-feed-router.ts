import type { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { renderChangesAtom } from "./atom-feed";
import { type FeedRequest, type FeedResponse, jsonError, representation } from "./feed-http";
import {
  type AllowlistFormat,
  allowlistFile,
  changesSince,
  currentVersion,
  type FirewallFeedDeps,
  latestChanges,
  MAX_CHANGES_LIMIT,
  VersionAheadError,
} from "./feed-queries";

export interface FirewallFeedRouterOptions {
  /** A path prefix the routes sit under (e.g. `/feed`), stripped before routing. */
  basePath?: string;
  /** Absolute URL of the routes, for the Atom feed's links; else from Host / X-Forwarded-Proto. */
  baseUrl?: string;
  /** Entries in the Atom feed (default 50). */
  atomEntries?: number;
  logger?: Pick<Logger, "error">;
}

export type FirewallFeedRouter = (request: FeedRequest) => Promise<FeedResponse>;

const GROUP = /^[a-z0-9][a-z0-9-]*$/;
const ALLOWLIST_PATH = /^\/allowlists\/([^/]+?)\.(domains\.txt|txt|json)$/;
const CONTENT_TYPES: Record<AllowlistFormat, string> = {
  txt: "text/plain; charset=utf-8",
  json: "application/json",
  domains: "text/plain; charset=utf-8",
};

const count = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, {
      error: (issue) => `${name} must be a whole number, not ${JSON.stringify(issue.input)}`,
    })
    .transform(Number)
    .refine((n) => n >= min && n <= max, {
      error: (issue) => `${name} must be between ${min} and ${max}, not ${String(issue.input)}`,
    });

const ChangesQuery = z.object({
  since: z
    .string({ error: "since is required: /changes?since=N (0 for every change)" })
    .pipe(count("since", 0, Number.MAX_SAFE_INTEGER)),
  limit: count("limit", 1, MAX_CHANGES_LIMIT).optional(),
});

/**
 * The firewall feed as a function of a request (no transport, no authentication: the EDL
 * Lambda's authorizer and `driftwatch serve` check the token before it):
 *
 * - `GET /version`: the catalogue's allowlist version (JSON);
 * - `GET /changes?since=N[&limit=L]`: every allowlist change after version N, oldest first,
 *   paged (`next`);
 * - `GET /allowlists/{group}.txt` (EDL, one entry per line), `.json` and `.domains.txt` (the
 *   domain EDL of the group's wildcard names): as written;
 * - `GET /changes.atom`: the latest changes as an Atom feed.
 *
 * Every 200 carries a strong ETag (sha256 of the body); a matching If-None-Match answers 304.
 * Bad input is a 400 naming the value, an unknown group or route a 404; a store failure is a
 * 500 with a safe message (logged).
 */
export function createFirewallFeedRouter(
  deps: FirewallFeedDeps,
  options: FirewallFeedRouterOptions = {},
): FirewallFeedRouter {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return jsonError(405, `method ${request.method} is not allowed: GET or HEAD`, {
        allow: "GET, HEAD",
      });
    }
    const path = routePath(request.path, options.basePath);
    try {
      return await route(deps, options, request, path);
    } catch (error) {
      if (error instanceof VersionAheadError) return jsonError(400, error.message);
      options.logger?.error("firewall feed request failed", { path, error });
      return jsonError(500, "the feed could not be read; try again later");
    }
  };
}

async function route(
  deps: FirewallFeedDeps,
  options: FirewallFeedRouterOptions,
  request: FeedRequest,
  path: string,
): Promise<FeedResponse> {
  if (path === "/version") {
    return representation(request, json(await currentVersion(deps)), CONTENT_TYPES.json);
  }
  if (path === "/changes") {
    const query = ChangesQuery.safeParse(request.query);
    if (!query.success) {
      return jsonError(400, query.error.issues.map((issue) => issue.message).join("; "));
    }
    const page = await changesSince(deps, query.data);
    return representation(request, json(page), CONTENT_TYPES.json);
  }
  if (path === "/changes.atom") return atom(deps, options, request);
  const allowlist = ALLOWLIST_PATH.exec(path);
  if (allowlist !== null) {
    const group = decodedSegment(allowlist[1] ?? "");
    const format: AllowlistFormat =
      allowlist[2] === "domains.txt" ? "domains" : (allowlist[2] as "txt" | "json");
    if (!GROUP.test(group)) {
      return jsonError(400, `${JSON.stringify(group)} is not a group name (a lower-case slug)`);
    }
    const bytes = await allowlistFile(deps, group, format);
    if (bytes === null) return jsonError(404, `no allowlist for group ${JSON.stringify(group)}`);
    return representation(request, new TextDecoder().decode(bytes), CONTENT_TYPES[format]);
  }
  return jsonError(
    404,
    `no route ${JSON.stringify(path)}: /version, /changes?since=N, /changes.atom, /allowlists/{group}.txt|.json|.domains.txt`,
  );
}

async function atom(
  deps: FirewallFeedDeps,
  options: FirewallFeedRouterOptions,
  request: FeedRequest,
): Promise<FeedResponse> {
  const { version, changes } = await latestChanges(deps, options.atomEntries ?? 50);
  const baseUrl = options.baseUrl ?? derivedBaseUrl(request, options.basePath);
  const body = renderChangesAtom({
    catalogueId: deps.catalogueId,
    selfUrl: `${baseUrl}/changes.atom`,
    baseUrl,
    updatedAt: version.updatedAt,
    changes,
  });
  return representation(request, body, "application/atom+xml; charset=utf-8");
}

function routePath(path: string, basePath = ""): string {
  const base = basePath.replace(/\/+$/, "");
  const inside = base !== "" && path.startsWith(`${base}/`) ? path.slice(base.length) : path;
  return inside.length > 1 ? inside.replace(/\/+$/, "") : inside;
}

function derivedBaseUrl(request: FeedRequest, basePath = ""): string {
  const proto = request.headers["x-forwarded-proto"]?.split(",")[0]?.trim() ?? "http";
  const host = request.headers.host ?? "localhost";
  return `${proto}://${host}${basePath.replace(/\/+$/, "")}`;
}

/** A path segment percent-decoded; a malformed escape is kept as sent (then not a group name). */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
