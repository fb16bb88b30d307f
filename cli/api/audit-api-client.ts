import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { type Credentials, signGet, signingRegion } from "./sigv4";

/**
 * The audit HTTP API as the CLI calls it (`--api URL`): a GET of a route with its query string,
 * signed with SigV4 for `execute-api` with the caller's AWS credentials (the SDK's provider
 * chain: environment, profile, SSO, instance role), the JSON answer parsed.
 */

/** The API answered with an error status: its status, `error`, message and request id. */
export class AuditApiError extends Error {
  override readonly name = "AuditApiError";
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; requestId?: string; reason?: string },
    apiUrl: string,
  ) {
    const said = body.message ?? "no message";
    const hint =
      status === 403
        ? " (the request was signed: check that these AWS credentials may execute-api:Invoke this API, and the region it is signed for)"
        : "";
    const id = body.requestId !== undefined ? ` [request id ${body.requestId}]` : "";
    super(`the audit API at ${apiUrl} answered ${status}: ${said}${hint}${id}`);
  }
}

export class AuditApiConfigurationError extends Error {
  override readonly name = "AuditApiConfigurationError";
}

export interface AuditApiClient {
  /** The API's base URL, as given. */
  readonly url: string;
  /** GETs `path` (e.g. `/history/a.example.com`) with `query`; the parsed JSON of a 2xx answer. */
  get(path: string, query?: Record<string, string | undefined>): Promise<unknown>;
}

export interface AuditApiClientOptions {
  url: string;
  env: NodeJS.ProcessEnv;
  /** The credentials to sign with; the SDK's default provider chain when omitted. */
  credentials?: Credentials;
  timeoutMs?: number;
}

function baseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuditApiConfigurationError(`--api: ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AuditApiConfigurationError(`--api: ${JSON.stringify(text)} is not an http(s) URL`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new AuditApiConfigurationError(
      `--api: ${JSON.stringify(text)}: give the API's base URL, without a query or fragment`,
    );
  }
  return url;
}

async function defaultCredentials(): Promise<Credentials> {
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  return defaultProvider();
}

/** A client of the audit API at `options.url`; refuses a URL or region it cannot use. */
export function createAuditApiClient(options: AuditApiClientOptions): AuditApiClient {
  const base = baseUrl(options.url);
  const region = signingRegion(base, options.env);
  if (region === undefined) {
    throw new AuditApiConfigurationError(
      `--api: cannot tell the region of ${base.host} to sign for: set AWS_REGION`,
    );
  }
  let credentials: Promise<Credentials> | undefined;
  return {
    url: options.url,
    async get(path, query = {}) {
      const url = new URL(`${base.pathname.replace(/\/$/, "")}${path}`, base);
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) url.searchParams.set(name, value);
      }
      credentials ??= options.credentials
        ? Promise.resolve(options.credentials)
        : defaultCredentials();
      const signed = await signGet(url, { region, credentials: await credentials });
      const response = await send(url, signed.headers, options.timeoutMs ?? 30_000);
      const body = parseBody(response.body);
      if (response.status >= 200 && response.status < 300) return body;
      throw new AuditApiError(response.status, (body ?? {}) as AuditApiError["body"], options.url);
    },
  };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function send(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: "GET", headers, timeout: timeoutMs }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("error", reject);
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    outgoing.on("timeout", () =>
      outgoing.destroy(new Error(`the audit API at ${url.host} did not answer in ${timeoutMs} ms`)),
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}
