import type { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { renderChangesAtom } from "./atom-feed";
import {
  CatalogueParameterError,
  catalogueFeed,
  catalogueHasGroup,
  type DeploymentFeedDeps,
  servedCatalogues,
  UnknownCatalogueError,
} from "./feed-catalogues";
import { type FeedRequest, type FeedResponse, jsonError, representation } from "./feed-http";
import {
  type AllowlistFormat,
  allowlistFile,
  changesSince,
  currentVersion,
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
 * - `GET /catalogues`: every catalogue the deployment serves, with its version, and the default;
 * - `GET /version`: a catalogue's allowlist version (JSON);
 * - `GET /changes?since=N[&limit=L]`: every allowlist change of a catalogue after version N,
 *   oldest first, paged (`next`);
 * - `GET /allowlists/{group}.txt` (EDL, one entry per line), `.json` and `.domains.txt` (the
 *   domain EDL of the group's wildcard names): as written;
 * - `GET /changes.atom`: a catalogue's latest changes as an Atom feed.
 *
 * Versions are per catalogue: `?catalogue=ID` picks one of `deps.catalogueIds`, else the
 * default (every answer names its `catalogueId`, so two catalogues' bodies, and ETags, differ).
 * An allowlist file is read by its group alone, as before (group names are unique across the
 * catalogues); with `?catalogue=ID` only a group that catalogue's version lists is served.
 *
 * Every 200 carries a strong ETag (sha256 of the body); a matching If-None-Match answers 304.
 * Bad input (a malformed catalogue id too) is a 400 naming the value, an unknown catalogue, group
 * or route a 404; a store failure is a 500 with a safe message (logged).
 */
export function createFirewallFeedRouter(
  deps: DeploymentFeedDeps,
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
      if (error instanceof CatalogueParameterError) return jsonError(400, error.message);
      if (error instanceof UnknownCatalogueError) return jsonError(404, error.message);
      options.logger?.error("firewall feed request failed", { path, error });
      return jsonError(500, "the feed could not be read; try again later");
    }
  };
}

async function route(
  deps: DeploymentFeedDeps,
  options: FirewallFeedRouterOptions,
  request: FeedRequest,
  path: string,
): Promise<FeedResponse> {
  const { catalogue } = request.query;
  if (path === "/catalogues") {
    return representation(request, json(await servedCatalogues(deps)), CONTENT_TYPES.json);
  }
  if (path === "/version") {
    const view = await currentVersion(catalogueFeed(deps, catalogue));
    return representation(request, json(view), CONTENT_TYPES.json);
  }
  if (path === "/changes") {
    const query = ChangesQuery.safeParse(request.query);
    if (!query.success) {
      return jsonError(400, query.error.issues.map((issue) => issue.message).join("; "));
    }
    const page = await changesSince(catalogueFeed(deps, catalogue), query.data);
    return representation(request, json(page), CONTENT_TYPES.json);
  }
  if (path === "/changes.atom") return atom(deps, options, request);
  const allowlist = ALLOWLIST_PATH.exec(path);
  if (allowlist !== null) {
    const format: AllowlistFormat =
      allowlist[2] === "domains.txt" ? "domains" : (allowlist[2] as "txt" | "json");
    return allowlistRoute(deps, request, decodedSegment(allowlist[1] ?? ""), format);
  }
  return jsonError(
    404,
    `no route ${JSON.stringify(path)}: /catalogues, /version, /changes?since=N, /changes.atom, /allowlists/{group}.txt|.json|.domains.txt (?catalogue=ID for a catalogue's version and changes)`,
  );
}

/**
 * A group's allowlist file as written; with `?catalogue=ID`, only when that catalogue is served
 * and its version lists the group (never another catalogue's file).
 */
async function allowlistRoute(
  deps: DeploymentFeedDeps,
  request: FeedRequest,
  group: string,
  format: AllowlistFormat,
): Promise<FeedResponse> {
  if (!GROUP.test(group)) {
    return jsonError(400, `${JSON.stringify(group)} is not a group name (a lower-case slug)`);
  }
  const { catalogue } = request.query;
  if (
    catalogue !== undefined &&
    !(await catalogueHasGroup(catalogueFeed(deps, catalogue), group))
  ) {
    return jsonError(
      404,
      `no allowlist for group ${JSON.stringify(group)} in catalogue ${JSON.stringify(catalogue)}`,
    );
  }
  const bytes = await allowlistFile(deps, group, format);
  if (bytes === null) return jsonError(404, `no allowlist for group ${JSON.stringify(group)}`);
  return representation(request, new TextDecoder().decode(bytes), CONTENT_TYPES[format]);
}

async function atom(
  deps: DeploymentFeedDeps,
  options: FirewallFeedRouterOptions,
  request: FeedRequest,
): Promise<FeedResponse> {
  const requested = request.query.catalogue;
  const feed = catalogueFeed(deps, requested);
  const { version, changes } = await latestChanges(feed, options.atomEntries ?? 50);
  const baseUrl = options.baseUrl ?? derivedBaseUrl(request, options.basePath);
  // A feed of a named catalogue links to that catalogue's changes; the default's as before.
  const catalogueQuery =
    requested === undefined ? "" : `catalogue=${encodeURIComponent(requested)}`;
  const body = renderChangesAtom({
    catalogueId: feed.catalogueId,
    selfUrl: `${baseUrl}/changes.atom${catalogueQuery === "" ? "" : `?${catalogueQuery}`}`,
    baseUrl,
    catalogueQuery,
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
