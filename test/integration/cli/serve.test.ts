import { EventEmitter } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFeedServer } from "#cli/commands/firewall/feed-server";
import { runServeCommand, type ServeCommandOptions } from "#cli/commands/firewall/serve";
import { openRuntime } from "#cli/runtime";
import { hashFeedToken } from "#shared/query/firewall-feed/feed-token";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";

const TOKEN = "serve-test-token-0123456789";
const CATALOGUE = "fixtures/catalogue/clearswift-seg-5.3.json";

/** A raw HTTP request (fetch normalises `//` paths and hides HEAD bodies). */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const target = new URL(url);
      const req = request(
        { host: target.hostname, port: target.port, method, path, headers },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.end();
    },
  );
}

function collector() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    output: {
      stdout: (text: string) => {
        out.stdout += text;
      },
      stderr: (text: string) => {
        out.stderr += text;
      },
    },
  };
}

describe("driftwatch serve: options", () => {
  const base: ServeCommandOptions = {
    stateDir: "/nonexistent/driftwatch-state",
    catalogue: CATALOGUE,
    port: "0",
    host: "127.0.0.1",
  };

  it.each([
    [{ port: "http" }, '--port: must be a port number (0-65535; 0: any free port), not "http"'],
    [{ port: "70000" }, '--port: must be a port number (0-65535; 0: any free port), not "70000"'],
    [{}, "a token is required: --token-file F"],
    [{ token: "short" }, "--token: the token must be at least 16 characters"],
    [{ token: TOKEN, tokenFile: "/x" }, "--token and --token-file: give one of them, not both"],
    [{ tokenFile: "/nonexistent/token" }, "--token-file: cannot read /nonexistent/token"],
  ])("refuses %j before opening anything, naming the value", async (options, message) => {
    const { out, output } = collector();

    const code = await runServeCommand({ ...base, ...options }, output, {});

    expect(code).toBe(1);
    expect(out.stderr).toContain(`driftwatch serve: ${message}`);
    expect(out.stdout).toBe("");
  });
});

describe("driftwatch serve over the embedded store", () => {
  let stateDir: string;

  beforeAll(async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-serve-"));
    const imported = await driftwatch(["catalogue", "import", "--state-dir", stateDir]);
    expect(imported.code, imported.stderr).toBe(0);
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("takes the token from DRIFTWATCH_FEED_TOKEN, answers 503 while a run holds the state directory, and stops on SIGTERM", async () => {
    // Prepare
    const signals = new EventEmitter();
    const { out, output } = collector();
    const serving = runServeCommand(
      { stateDir, catalogue: CATALOGUE, port: "0", host: "127.0.0.1" },
      output,
      { DRIFTWATCH_FEED_TOKEN: TOKEN },
      signals as unknown as NodeJS.Process,
    );
    await vi.waitFor(() => expect(out.stdout).toContain("listening on"), { timeout: 20_000 });
    const url = /listening on (\S+)/.exec(out.stdout)?.[1] ?? "";
    const auth = { authorization: `Bearer ${TOKEN}` };

    // Act
    const free = await raw(url, "GET", "/version", auth);
    const held = await openRuntime({ stateDir, env: {} });
    const busy = await raw(url, "GET", "/version", auth).finally(() => held.close());
    const again = await raw(url, "GET", "/version", auth);
    signals.emit("SIGTERM");
    const code = await serving;

    // Assess
    expect(free.status).toBe(200);
    expect(JSON.parse(free.body)).toMatchObject({ catalogueId: "clearswift-seg-5.3", version: 0 });
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("10");
    expect(again.status).toBe(200);
    expect(code).toBe(0);
    expect(out.stdout).toContain("driftwatch serve: SIGTERM: stopped");
    expect(signals.listenerCount("SIGTERM")).toBe(0);
  }, 60_000);

  it("reads a token file holding sha256:<hex>, so the serving host never keeps the token", async () => {
    const tokenFile = join(stateDir, "token.sha256");
    await writeFile(tokenFile, `sha256:${hashFeedToken(TOKEN)}\n`);
    const signals = new EventEmitter();
    const { out, output } = collector();
    const serving = runServeCommand(
      { stateDir, catalogue: "clearswift-seg-5.3", port: "0", host: "127.0.0.1", tokenFile },
      output,
      {},
      signals as unknown as NodeJS.Process,
    );
    await vi.waitFor(() => expect(out.stdout).toContain("listening on"), { timeout: 20_000 });
    const url = /listening on (\S+)/.exec(out.stdout)?.[1] ?? "";

    const ok = await raw(url, "GET", "/version", {
      authorization: `Basic ${Buffer.from(`fortigate:${TOKEN}`).toString("base64")}`,
    });
    const hashAsToken = await raw(url, "GET", "/version", {
      authorization: `Bearer ${hashFeedToken(TOKEN)}`,
    });
    signals.emit("SIGINT");

    expect(ok.status).toBe(200);
    expect(hashAsToken.status).toBe(401);
    expect(await serving).toBe(0);
    expect(out.stderr, "no clear-text warning on loopback").toBe("");
  }, 60_000);
});

describe("the feed server (node:http)", () => {
  it("answers HEAD without a body, keeps `//host` paths on this server, and hides a handler failure", async () => {
    const seen: string[] = [];
    const server = await startFeedServer({
      port: 0,
      host: "127.0.0.1",
      tokenSha256: hashFeedToken(TOKEN),
      handle: async (feedRequest) => {
        seen.push(feedRequest.path);
        if (feedRequest.path === "/boom") throw new Error("secret internals");
        return {
          status: 200,
          headers: { etag: '"x"', "content-type": "text/plain" },
          body: feedRequest.method === "HEAD" ? "" : "hello\n",
        };
      },
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      const head = await raw(server.url, "HEAD", "/allowlists/x.txt", auth);
      const get = await raw(server.url, "GET", "/allowlists/x.txt", auth);
      const other = await raw(server.url, "GET", "//evil.example/version", auth);
      const boom = await raw(server.url, "GET", "/boom", auth);

      expect(head.status).toBe(200);
      expect(head.body).toBe("");
      expect(head.headers["content-length"]).toBeUndefined();
      expect(get.body).toBe("hello\n");
      expect(get.headers["content-length"]).toBe("6");
      expect(seen).toContain("//evil.example/version");
      expect(other.status).toBe(200);
      expect(boom.status).toBe(500);
      expect(boom.body).not.toContain("secret");
    } finally {
      await server.close();
    }
  });
});
