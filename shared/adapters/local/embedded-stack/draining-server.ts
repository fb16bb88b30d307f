import type { IncomingMessage, Server, ServerResponse } from "node:http";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** The longest `close()` waits for requests still being answered. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Makes `server` close only once the requests it has taken are answered, and refuse (503,
 * connection closed) any request that comes while it closes.
 *
 * dynalite closes its database once its connections are gone and no database operation is
 * pending, but a request goes on after its client has hung up, and can be several operations apart
 * (UpdateItem reads, then writes on the next tick): a request whose client was destroyed as the
 * store stopped found the database closed, and dynalite threw from its callback, an uncaught
 * exception in the process that stopped the store (an interrupted `detect` whose abandoned cycle
 * was still writing). A request counts as answered when dynalite ends its response (every path of
 * its handler does), whether or not anyone is still there to read it.
 */
export function drainBeforeClose(server: Server): { close(): Promise<void> } {
  const listeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  const answered = () => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  };
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (closing) {
      response.writeHead(503, {
        connection: "close",
        "content-type": "application/x-amz-json-1.0",
      });
      response.end(JSON.stringify({ __type: "ServiceUnavailable", message: "store stopping" }));
      return;
    }
    inFlight += 1;
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    let ended = false;
    response.end = ((...args: unknown[]) => {
      if (!ended) {
        ended = true;
        answered();
      }
      return end(...args);
    }) as ServerResponse["end"];
    for (const listener of listeners) listener(request, response);
  });
  return {
    async close() {
      closing = true;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, DRAIN_TIMEOUT_MS).unref();
        });
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
