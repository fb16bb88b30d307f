import { readFile } from "node:fs/promises";
import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { InterruptedError, type InterruptOptions, watchInterrupts } from "#cli/interrupt";
import { type Runtime, StateDirectoryInUseError } from "#cli/runtime";
import {
  type FeedRequest,
  type FeedResponse,
  jsonError,
} from "#shared/query/firewall-feed/feed-http";
import { tokenFileHash } from "#shared/query/firewall-feed/feed-token";
import { createFirewallFeedRouter } from "#shared/query/firewall-feed/firewall-feed-router";
import { type FeedServer, startFeedServer } from "./feed-server";
import { catalogueIdOf, deploymentFeedDeps, openFeedRuntime } from "./feed-store";

export interface ServeCommandOptions {
  stateDir: string;
  /** Catalogue JSON files or ids (`--catalogue`, repeatable); the first is the default. */
  catalogue: string | readonly string[];
  port: string;
  host: string;
  /** A file holding the token, or `sha256:<hex>` of it. */
  tokenFile?: string;
  /** The token itself (visible to `ps`: prefer --token-file or DRIFTWATCH_FEED_TOKEN). */
  token?: string;
}

/** The variable `serve` reads the token from when neither --token nor --token-file is given. */
export const FEED_TOKEN_VARIABLE = "DRIFTWATCH_FEED_TOKEN";

/**
 * `driftwatch serve --port P (--token-file F | --token T)`: the firewall feed's routes over
 * HTTP, for a lab firewall or a test, until SIGINT or SIGTERM.
 *
 * 1. Validate the port and the token (exactly one of --token-file, --token, or
 *    DRIFTWATCH_FEED_TOKEN: no token, no server); resolve the catalogue ids (each --catalogue,
 *    the first the default: what a request without `?catalogue=` is answered from).
 * 2. AWS mode: open the table and bucket once. Embedded mode: open the state directory for each
 *    request and close it after, so `driftwatch detect` can run between polls (a poll while a
 *    run holds it answers 503 with Retry-After).
 * 3. Serve until a signal; then stop listening, let requests in flight finish, close the store
 *    and return 0 (a second signal exits at once).
 */
export async function runServeCommand(
  options: ServeCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
  signals: InterruptOptions["signals"] = process,
): Promise<number> {
  return answerQuery("serve", output, async () => {
    const port = parsePort(options.port);
    const tokenSha256 = await feedTokenSha256(options, env);
    const catalogueIds = await servedCatalogueIds(options.catalogue);
    const source = await feedSource(options.stateDir, catalogueIds, env);
    let server: FeedServer;
    try {
      server = await startFeedServer({
        port,
        host: options.host,
        tokenSha256,
        handle: source.handle,
        log: (line) => output.stdout(`${new Date().toISOString()} ${line}\n`),
      });
    } catch (error) {
      await source.close();
      throw new QueryInputError(`--port ${port} --host ${options.host}: cannot listen`, {
        cause: error,
      });
    }
    const interruption = watchInterrupts({ signals });
    try {
      output.stdout(
        `driftwatch serve: listening on ${server.url} (catalogue ${catalogueIds.join(", ")}, ${source.where}); routes /catalogues, /version, /changes?since=N, /changes.atom, /allowlists/{group}.txt|.json${catalogueIds.length > 1 ? `; ?catalogue=ID for another than ${catalogueIds[0]}` : ""}; a token is required\n`,
      );
      if (!isLoopback(options.host)) {
        output.stderr(
          `driftwatch serve: plain HTTP on ${options.host}: the token crosses the network in clear text; put a TLS proxy in front of it for anything but a lab\n`,
        );
      }
      const signal = await interruption.race(new Promise<never>(() => {})).catch((error) => {
        if (error instanceof InterruptedError) return error.signal;
        throw error;
      });
      interruption.complete(EXIT_OK);
      await server.close();
      await source.close();
      output.stdout(`driftwatch serve: ${signal}: stopped\n`);
      return EXIT_OK;
    } finally {
      interruption.dispose();
    }
  });
}

/** The ids `--catalogue` names, in order; a repeated one is an error naming it. */
async function servedCatalogueIds(catalogue: string | readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const value of typeof catalogue === "string" ? [catalogue] : catalogue) {
    const id = await catalogueIdOf(value);
    if (ids.includes(id)) throw new QueryInputError(`--catalogue: catalogue ${id} is given twice`);
    ids.push(id);
  }
  return ids;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new QueryInputError(
      `--port: must be a port number (0-65535; 0: any free port), not ${JSON.stringify(text)}`,
    );
  }
  return port;
}

/** The sha256 of the token pollers must present, from exactly one source. */
async function feedTokenSha256(
  options: Pick<ServeCommandOptions, "token" | "tokenFile">,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new QueryInputError("--token and --token-file: give one of them, not both");
  }
  try {
    if (options.tokenFile !== undefined) {
      return tokenFileHash(
        await readTokenFile(options.tokenFile),
        `--token-file ${options.tokenFile}`,
      );
    }
    if (options.token !== undefined) return tokenFileHash(options.token, "--token");
    const fromEnv = env[FEED_TOKEN_VARIABLE];
    if (fromEnv !== undefined && fromEnv !== "") return tokenFileHash(fromEnv, FEED_TOKEN_VARIABLE);
  } catch (error) {
    if (error instanceof QueryInputError) throw error;
    throw new QueryInputError((error as Error).message, { cause: error });
  }
  throw new QueryInputError(
    `a token is required: --token-file F (a file holding the token, or sha256:<hex> of it), --token T, or ${FEED_TOKEN_VARIABLE} (e.g. \`openssl rand -hex 24\`); only its sha256 is kept`,
  );
}

async function readTokenFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new QueryInputError(`--token-file: cannot read ${file}`, { cause: error });
  }
}

interface FeedSource {
  handle(request: FeedRequest): Promise<FeedResponse>;
  where: string;
  close(): Promise<void>;
}

async function feedSource(
  stateDir: string,
  catalogueIds: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<FeedSource> {
  const first = await openFeedRuntime(stateDir, env);
  if (first.mode === "aws") {
    const router = createFirewallFeedRouter(deploymentFeedDeps(first, catalogueIds));
    return { handle: router, where: first.where, close: () => first.close() };
  }
  const where = first.where;
  await first.close();
  // One request at a time holds the state directory: dynalite's files are one process's.
  let queue: Promise<unknown> = Promise.resolve();
  const handle = (request: FeedRequest) => {
    const turn = queue.then(() => perRequest(stateDir, catalogueIds, env, request));
    queue = turn.catch(() => undefined);
    return turn;
  };
  return { handle, where, close: () => queue.then(() => undefined) };
}

async function perRequest(
  stateDir: string,
  catalogueIds: readonly string[],
  env: NodeJS.ProcessEnv,
  request: FeedRequest,
): Promise<FeedResponse> {
  let runtime: Runtime;
  try {
    runtime = await openFeedRuntime(stateDir, env);
  } catch (error) {
    if (error instanceof StateDirectoryInUseError) {
      return jsonError(503, "the state directory is in use (a detect run?): try again shortly", {
        "retry-after": "10",
      });
    }
    throw error;
  }
  try {
    return await createFirewallFeedRouter(deploymentFeedDeps(runtime, catalogueIds))(request);
  } finally {
    await runtime.close();
  }
}
