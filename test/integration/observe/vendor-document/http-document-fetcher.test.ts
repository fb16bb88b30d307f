import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpDocumentFetcher } from "#shared/observe/vendor-document/http-document-fetcher";
import {
  DocumentFetchError,
  type DocumentFetchResult,
} from "#shared/observe/vendor-document/ports";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { type FeedServer, startFeedServer } from "#test/helpers/feed-server";

/** The document fetcher against a loopback HTTP server: every failure is classified. */

const PAGE = "<html><body><p>products.clearswift.net 443</p></body></html>";
let server: FeedServer;

beforeEach(async () => {
  server = await startFeedServer({
    "/page": (request, response) => {
      if (request.headers["if-none-match"] === '"v1"') {
        response.writeHead(304, { etag: '"v1"' }).end();
        return;
      }
      response
        .writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          etag: '"v1"',
          "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT",
        })
        .end(PAGE);
    },
    "/moved": (_request, response) => {
      response.writeHead(301, { location: "/page" }).end();
    },
    "/loop": (_request, response) => {
      response.writeHead(302, { location: "/loop" }).end();
    },
    "/down": (_request, response) => {
      response.writeHead(503, { "content-type": "text/plain" }).end("maintenance");
    },
    "/gone": (_request, response) => {
      response.writeHead(410, { "content-type": "text/plain" }).end("gone");
    },
    "/pdf": (_request, response) => {
      response.writeHead(200, { "content-type": "application/pdf" }).end("%PDF-1.7");
    },
    "/large": (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("x".repeat(4096));
    },
    "/slow": () => {
      // never answers
    },
  });
});
afterEach(async () => {
  await server.close();
});

const fetcher = createHttpDocumentFetcher({ timeoutMs: 500, maxBytes: 1024 });

async function failure(url: string): Promise<DocumentFetchError> {
  const error = await fetcher.fetch({ url }).then(
    (result: DocumentFetchResult) => new Error(`fetched: ${result.status}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DocumentFetchError)) throw error;
  return error;
}

describe("createHttpDocumentFetcher", () => {
  it("fetches the page with its validators, and sends them back for a 304", async () => {
    const first = await fetcher.fetch({ url: server.url("/page") });
    const second = await fetcher.fetch({ url: server.url("/page"), etag: '"v1"' });

    expect(first).toMatchObject({
      status: "fetched",
      contentType: "text/html; charset=utf-8",
      etag: '"v1"',
      lastModified: "Tue, 01 Dec 2026 10:00:00 GMT",
    });
    expect(new TextDecoder().decode((first as { bytes: Uint8Array }).bytes)).toBe(PAGE);
    expect(second).toEqual({ status: "not-modified", url: server.url("/page") });
    expect(server.requests[1]?.ifNoneMatch).toBe('"v1"');
  });

  it("follows a redirect and names the final URL", async () => {
    expect(await fetcher.fetch({ url: server.url("/moved") })).toMatchObject({
      status: "fetched",
      url: server.url("/page"),
    });
  });

  it("reports a refused connection, a timeout and a 5xx as unreachable", async () => {
    const closed = `http://127.0.0.1:${await closedLoopbackPort()}/page`;
    expect(await failure(closed)).toMatchObject({
      status: "unreachable",
      reason: expect.stringContaining("ECONNREFUSED"),
    });
    expect(await failure(server.url("/slow"))).toMatchObject({
      status: "unreachable",
      reason: expect.stringMatching(/timed out after 500 ms/),
    });
    expect(await failure(server.url("/down"))).toMatchObject({
      status: "unreachable",
      reason: `HTTP 503 Service Unavailable from ${server.url("/down")}`,
    });
  });

  it("rejects a 4xx, a redirect loop, a body over the cap and a content type that is not text", async () => {
    expect(await failure(server.url("/gone"))).toMatchObject({
      status: "rejected",
      reason: expect.stringContaining("HTTP 410"),
    });
    expect(await failure(server.url("/loop"))).toMatchObject({
      status: "rejected",
      reason: `redirect loop: ${server.url("/loop")} -> ${server.url("/loop")}`,
    });
    expect(await failure(server.url("/large"))).toMatchObject({
      status: "rejected",
      reason: expect.stringContaining("body too large"),
    });
    expect(await failure(server.url("/pdf"))).toMatchObject({
      status: "rejected",
      reason: expect.stringContaining('"application/pdf"'),
    });
    expect(await failure("ftp://vendor.example/page")).toMatchObject({ status: "rejected" });
  });

  it("reads a file:// URL, typed by its extension", async () => {
    const dir = await mkdtemp(join(tmpdir(), "driftwatch-document-"));
    try {
      await writeFile(join(dir, "ports.html"), PAGE);
      const url = pathToFileURL(join(dir, "ports.html")).href;
      expect(await fetcher.fetch({ url })).toMatchObject({
        status: "fetched",
        contentType: "text/html",
      });
      expect(await failure(pathToFileURL(join(dir, "missing.html")).href)).toMatchObject({
        status: "unreachable",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
