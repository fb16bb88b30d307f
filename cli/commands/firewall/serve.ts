import { readFile } from "node:fs/promises";
import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { type Runtime, StateDirectoryInUseError } from "#cli/runtime";
import { loadCatalogueFile } from "#shared/catalogue/load";
import {
  type FeedRequest,
  type FeedResponse,
  jsonError,
} from "#shared/query/firewall-feed/feed-http";
import { tokenFileHash } from "#shared/query/firewall-feed/feed-token";
import { createFirewallFeedRouter } from "#shared/query/firewall-feed/firewall-feed-router";
import { type FeedServer, startFeedServer } from "./feed-server";
import { feedDeps, openFeedRuntime } from "./feed-store";

export interface ServeCommandOptions {
  stateDir: string;
  catalogue: string;
  port: string;
  host: string;
  tokenFile?: string;
}

/**
 * `driftwatch serve --port P [--token-file F]`: the firewall feed's routes over HTTP, for a lab
 * firewall or a test, until SIGINT/SIGTERM (or `stop`).
 *
 * 1. Validate the port, read the token file (the token, or `sha256:<hex>`), load the catalogue.
 * 2. AWS mode: open the table and bucket once. Embedded mode: open the state directory for each
 *    request and close it after, so `driftwatch detect` can run between polls (a poll while a
 *    run holds it answers 503 with Retry-After).
 * 3. Serve until stopped; then close.
 */
export async function runServeCommand(
  options: ServeCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
  stop: Promise<unknown> = untilSignalled(),
): Promise<number> {
  return answerQuery("serve", output, async () => {
    const port = parsePort(options.port);
    const tokenSha256 =
      options.tokenFile === undefined
        ? null
        : tokenFileHash(await readTokenFile(options.tokenFile), options.tokenFile);
    const catalogue = await loadCatalogueFile(options.catalogue);
    const source = await feedSource(options.stateDir, catalogue.id, env);
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
      throw error;
    }
    output.stdout(
      `driftwatch serve: ${server.url} (catalogue ${catalogue.id}, ${source.where}); routes /version, /changes?since=N, /changes.atom, /allowlists/{group}.txt|.json\n`,
    );
    if (tokenSha256 === null) {
      output.stderr(
        "driftwatch serve: no --token-file: anyone who can reach the port reads the feed\n",
      );
    }
    await stop;
    await server.close();
    await source.close();
    return EXIT_OK;
  });
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new QueryInputError(
      `--port: must be a port number (0-65535), not ${JSON.stringify(text)}`,
    );
  }
  return port;
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
  catalogueId: string,
  env: NodeJS.ProcessEnv,
): Promise<FeedSource> {
  const first = await openFeedRuntime(stateDir, env);
  if (first.mode === "aws") {
    const router = createFirewallFeedRouter(feedDeps(first, catalogueId));
    return { handle: router, where: first.where, close: () => first.close() };
  }
  const where = first.where;
  await first.close();
  // One request at a time holds the state directory: dynalite's files are one process's.
  let queue: Promise<unknown> = Promise.resolve();
  const handle = (request: FeedRequest) => {
    const turn = queue.then(() => perRequest(stateDir, catalogueId, env, request));
    queue = turn.catch(() => undefined);
    return turn;
  };
  return { handle, where, close: () => queue.then(() => undefined) };
}

async function perRequest(
  stateDir: string,
  catalogueId: string,
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
    return await createFirewallFeedRouter(feedDeps(runtime, catalogueId))(request);
  } finally {
    await runtime.close();
  }
}

function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const stopOn = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stopOn);
      process.off("SIGTERM", stopOn);
      resolveSignal(signal);
    };
    process.once("SIGINT", stopOn);
    process.once("SIGTERM", stopOn);
  });
}
