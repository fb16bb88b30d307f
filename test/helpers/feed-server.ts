import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FeedRoute = (request: IncomingMessage, response: ServerResponse) => void;

export interface FeedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** Requests seen, in order, with the headers that matter to conditional requests. */
  requests: { path: string; ifNoneMatch?: string; ifModifiedSince?: string }[];
  close(): Promise<void>;
}

/** A loopback HTTP server (127.0.0.1, port 0) serving scripted feed responses by path. */
export async function startFeedServer(routes: Record<string, FeedRoute>): Promise<FeedServer> {
  const requests: FeedServer["requests"] = [];
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    requests.push({
      path,
      ...(typeof request.headers["if-none-match"] === "string"
        ? { ifNoneMatch: request.headers["if-none-match"] }
        : {}),
      ...(typeof request.headers["if-modified-since"] === "string"
        ? { ifModifiedSince: request.headers["if-modified-since"] }
        : {}),
    });
    const route = routes[path];
    if (route === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    route(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves JSON bytes with validators, answering 304 to a matching If-None-Match. */
export function jsonRoute(bytes: Uint8Array, etag?: string): FeedRoute {
  return (request, response) => {
    if (etag !== undefined && request.headers["if-none-match"] === etag) {
      response.writeHead(304, { etag }).end();
      return;
    }
    response
      .writeHead(200, {
        "content-type": "application/json",
        "content-length": bytes.byteLength,
        ...(etag !== undefined ? { etag } : {}),
        "last-modified": "Fri, 21 Aug 2026 21:17:05 GMT",
      })
      .end(bytes);
  };
}
