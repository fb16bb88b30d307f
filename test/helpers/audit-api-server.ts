import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createAuditApiDeps } from "#shared/adapters/audit-api/audit-api-deps";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createAuditRouter } from "#shared/query/api/audit-router";

/**
 * The audit router behind a `node:http` server on loopback, over a test stack's table: what API
 * Gateway and the audit function answer, without either. It does not check signatures (API
 * Gateway does); it records each request's method, URL and headers so a test can see the caller
 * signed them.
 */

export interface RecordedApiRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface AuditApiServer {
  /** `http://127.0.0.1:<port>`: the URL to pass as `--api`. */
  url: string;
  readonly requests: readonly RecordedApiRequest[];
  /** What the router logged as errors (500s). */
  readonly errors: readonly unknown[];
  close(): Promise<void>;
}

export async function startAuditApiServer(
  stack: EmbeddedStack,
  /** One catalogue id, or the deployment's list (the first the default). */
  catalogueIds: string | readonly string[],
): Promise<AuditApiServer> {
  const requests: RecordedApiRequest[] = [];
  const errors: unknown[] = [];
  const route = createAuditRouter({
    ...createAuditApiDeps({
      documents: stack.clients.documents,
      tableName: stack.tableName,
      catalogueIds: typeof catalogueIds === "string" ? [catalogueIds] : catalogueIds,
    }),
    logger: { error: (message, attributes) => errors.push({ message, ...attributes }) },
  });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
    }
    route({
      method: request.method ?? "GET",
      path: url.pathname,
      query,
      requestId: randomUUID(),
    }).then((answer) => {
      requests.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        status: answer.statusCode,
      });
      response.writeHead(answer.statusCode, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
