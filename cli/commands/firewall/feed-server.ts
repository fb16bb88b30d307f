import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FeedRequest, FeedResponse } from "#shared/query/firewall-feed/feed-http";
import { jsonError } from "#shared/query/firewall-feed/feed-http";
import { feedTokenMatches } from "#shared/query/firewall-feed/feed-token";

export interface FeedServerOptions {
  port: number;
  host: string;
  /** sha256 (hex) of the token every request must present. */
  tokenSha256: string;
  /** The firewall-feed router (or one that opens the store for each request). */
  handle: (request: FeedRequest) => Promise<FeedResponse>;
  /** One line per request (method, path, status), e.g. to stdout. */
  log?: (line: string) => void;
}

export interface FeedServer {
  url: string;
  /** Stops listening, lets the requests in flight finish, then closes idle connections. */
  close(): Promise<void>;
}

const CHALLENGES = ['Bearer realm="driftwatch"', 'Basic realm="driftwatch", charset="UTF-8"'];

/**
 * The firewall feed over node:http (`driftwatch serve`): checks the token (bearer, or basic
 * with the token as the password, as PAN-OS and FortiGate pollers send it; hashes compared in
 * constant time), then answers with the router. A 401 names both schemes in WWW-Authenticate.
 */
export async function startFeedServer(options: FeedServerOptions): Promise<FeedServer> {
  const server = createServer((request, response) => {
    answer(options, request, response).catch(() => {
      if (!response.headersSent) send(request, response, jsonError(500, "internal error"));
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        const force = setTimeout(() => server.closeAllConnections(), 2_000).unref();
        server.close(() => {
          clearTimeout(force);
          resolveClose();
        });
        server.closeIdleConnections();
      }),
  };
}

async function answer(
  options: FeedServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // The request target is a path: never let `//host/…` be read as another authority.
  const url = new URL(`http://feed${request.url?.startsWith("/") ? request.url : "/"}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const authorized = feedTokenMatches(headers.authorization, options.tokenSha256);
  const feedResponse = authorized
    ? await options.handle({
        method: request.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
      })
    : jsonError(
        401,
        "a token is required: Authorization: Bearer <token>, or Basic with the token as password",
      );
  send(request, response, feedResponse, authorized ? [] : CHALLENGES);
  options.log?.(`${request.method} ${url.pathname}${url.search} ${feedResponse.status}`);
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  feedResponse: FeedResponse,
  challenges: string[] = [],
) {
  response.statusCode = feedResponse.status;
  for (const [name, value] of Object.entries(feedResponse.headers)) response.setHeader(name, value);
  if (challenges.length > 0) response.setHeader("www-authenticate", challenges);
  // 304 and HEAD carry no body; their length is not the empty body's.
  if (feedResponse.status === 304 || request.method === "HEAD") {
    response.end();
    return;
  }
  const body = Buffer.from(feedResponse.body, "utf8");
  response.setHeader("content-length", body.length);
  response.end(body);
}
