import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FeedRequest, FeedResponse } from "#shared/query/firewall-feed/feed-http";
import { jsonError } from "#shared/query/firewall-feed/feed-http";
import { feedTokenMatches } from "#shared/query/firewall-feed/feed-token";

export interface FeedServerOptions {
  port: number;
  host: string;
  /** sha256 (hex) of the token every request must present; null: no check (a warning). */
  tokenSha256: string | null;
  /** The firewall-feed router (or one that opens the store for each request). */
  handle: (request: FeedRequest) => Promise<FeedResponse>;
  /** One line per request (method, path, status), e.g. to stdout. */
  log?: (line: string) => void;
}

export interface FeedServer {
  url: string;
  close(): Promise<void>;
}

const CHALLENGES = ['Bearer realm="driftwatch"', 'Basic realm="driftwatch", charset="UTF-8"'];

/**
 * The firewall feed over node:http (`driftwatch serve`): checks the token (bearer, or basic
 * with the token as the password; hashes compared in constant time), then answers with the
 * router. A 401 names both schemes in WWW-Authenticate.
 */
export async function startFeedServer(options: FeedServerOptions): Promise<FeedServer> {
  const server = createServer((request, response) => {
    answer(options, request, response).catch(() => {
      if (!response.headersSent) send(response, jsonError(500, "internal error"));
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  options: FeedServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const authorized =
    options.tokenSha256 === null || feedTokenMatches(headers.authorization, options.tokenSha256);
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
  send(response, feedResponse, authorized ? [] : CHALLENGES);
  options.log?.(`${request.method} ${url.pathname}${url.search} ${feedResponse.status}`);
}

function send(response: ServerResponse, feedResponse: FeedResponse, challenges: string[] = []) {
  const body = Buffer.from(feedResponse.body, "utf8");
  response.statusCode = feedResponse.status;
  for (const [name, value] of Object.entries(feedResponse.headers)) response.setHeader(name, value);
  if (challenges.length > 0) response.setHeader("www-authenticate", challenges);
  if (feedResponse.status !== 304) response.setHeader("content-length", body.length);
  response.end(feedResponse.status === 304 ? undefined : body);
}
