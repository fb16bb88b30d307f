import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { createHttpDocumentFetcher } from "#shared/observe/vendor-document/http-document-fetcher";

/**
 * The deadline of a fetch holds while the heap is collected: with `AbortSignal.any` over an
 * `AbortSignal.timeout`, a full collection lost the timeout (nodejs/node#57736) and a fetch to a
 * server that never answers hung past its deadline. Collections are forced every 20 ms.
 */

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: Server;
let url: string;
let collecting: NodeJS.Timeout;
beforeEach(async () => {
  server = createServer(() => {}); // accepts, never answers
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hangs`;
  collecting = setInterval(gc, 20);
});
afterEach(async () => {
  clearInterval(collecting);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The fetch's rejection, or the fact it still hangs 3 s after it started. */
async function outcome(fetching: Promise<unknown>): Promise<string> {
  const hanging = new Promise<string>((resolve) => {
    setTimeout(() => resolve("still hanging after 3 s"), 3000).unref();
  });
  const settled = fetching.then(
    () => "answered",
    (error: Error) => error.message,
  );
  return Promise.race([settled, hanging]);
}

describe("a fetch's deadline while the heap is collected", () => {
  it("times the feed fetch out at 200 ms", async () => {
    // Prepare
    const fetcher = createHttpFeedFetcher({ timeoutMs: 200, maxBytes: 1_000_000 });

    // Act
    const result = await outcome(fetcher.fetch({ feed: "aws-ip-ranges", url }));

    // Assess
    expect(result).toMatch(/^feed aws-ip-ranges unreachable: timed out after 200 ms fetching /);
  });

  it("times the vendor document fetch out at 200 ms", async () => {
    // Prepare
    const fetcher = createHttpDocumentFetcher({ timeoutMs: 200, maxBytes: 1_000_000 });

    // Act
    const result = await outcome(fetcher.fetch({ url }));

    // Assess
    expect(result).toMatch(/timed out after 200 ms fetching /);
  });
});
