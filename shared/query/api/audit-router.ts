import { ApiMethodNotAllowedError, ApiNotFoundError, ApiParameterError } from "./api-errors";
import {
  type AuditApiDeps,
  eventsRoute,
  historyRoute,
  ipRoute,
  notificationsRoute,
  type RouteParameters,
} from "./audit-routes";
import { changesRoute, stateRoute } from "./period-routes";

/**
 * The audit HTTP API as a pure function of the request: the Lambda behind API Gateway and a local
 * `node:http` server both hand it the method, the raw path and the query string. Every answer is
 * JSON; an error is `{ error, message, requestId }` (400 also names the `parameter`), and a
 * failure the caller cannot fix is a 500 with a generic message: the details go to the log,
 * under the request id, never into the body.
 */

export interface ApiRequest {
  method: string;
  /** The path as received, percent-encoded (API Gateway's `rawPath`). */
  path: string;
  /** The query string's parameters, decoded; a repeated one joined with commas. */
  query: Record<string, string | undefined>;
  /** Quoted in every error answer and log line. */
  requestId: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface AuditRouterDeps extends AuditApiDeps {
  logger: { error(message: string, attributes: Record<string, unknown>): void };
}

type Route = {
  /** Path segments; `:name` is a parameter. */
  segments: readonly string[];
  answer: (deps: AuditApiDeps, parameters: RouteParameters) => Promise<unknown>;
};

const ROUTES: readonly Route[] = [
  { segments: ["state"], answer: stateRoute },
  { segments: ["changes"], answer: changesRoute },
  { segments: ["history", ":hostname"], answer: historyRoute },
  { segments: ["ips", ":ip"], answer: ipRoute },
  { segments: ["events"], answer: eventsRoute },
  { segments: ["notifications"], answer: notificationsRoute },
];

/** The audit routes, for docs and the template test: `GET /history/{hostname}`, … */
export const AUDIT_ROUTE_PATHS = ROUTES.map(
  (route) => `/${route.segments.map((s) => (s.startsWith(":") ? `{${s.slice(1)}}` : s)).join("/")}`,
);

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new ApiParameterError("path", `${JSON.stringify(segment)} is not percent-encoded`, {
      cause: error,
    });
  }
}

/** The route a path names, with its path parameters; a 404 when none does. */
function match(path: string): { route: Route; parameters: RouteParameters } {
  const segments = path.split("/").slice(1);
  for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    const parameters: RouteParameters = {};
    const matches = route.segments.every((expected, index) => {
      const actual = segments[index] ?? "";
      if (!expected.startsWith(":")) return actual === expected;
      if (actual === "") return false;
      parameters[expected.slice(1)] = decodeSegment(actual);
      return true;
    });
    if (matches) return { route, parameters };
  }
  throw new ApiNotFoundError(
    `no audit route ${JSON.stringify(path.slice(0, 200))} (routes: ${AUDIT_ROUTE_PATHS.join(", ")})`,
    { reason: "no-route" },
  );
}

/** Builds the router over `deps`: request in, response out; it never throws. */
export function createAuditRouter(deps: AuditRouterDeps) {
  return async function route(request: ApiRequest): Promise<ApiResponse> {
    try {
      const { route, parameters } = match(request.path);
      if (request.method !== "GET") {
        throw new ApiMethodNotAllowedError(["GET"], `${request.method} is not allowed: use GET`);
      }
      // Path parameters win over a query parameter of the same name.
      const answer = await route.answer(deps, { ...request.query, ...parameters });
      return respond(200, answer);
    } catch (error) {
      return errorResponse(deps, request, error);
    }
  };
}

function errorResponse(deps: AuditRouterDeps, request: ApiRequest, error: unknown): ApiResponse {
  const { requestId } = request;
  if (error instanceof ApiParameterError) {
    return respond(400, {
      error: "bad-request",
      parameter: error.parameter,
      message: error.message,
      requestId,
    });
  }
  if (error instanceof ApiNotFoundError) {
    return respond(404, {
      error: "not-found",
      ...error.details,
      message: error.message,
      requestId,
    });
  }
  if (error instanceof ApiMethodNotAllowedError) {
    return respond(
      405,
      { error: "method-not-allowed", message: error.message, requestId },
      { allow: error.allowed.join(", ") },
    );
  }
  deps.logger.error("audit request failed", {
    requestId,
    method: request.method,
    path: request.path.slice(0, 500),
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return respond(500, {
    error: "internal-error",
    message: "the audit API could not answer this request; quote the request id when reporting it",
    requestId,
  });
}
