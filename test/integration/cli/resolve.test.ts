import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runResolveCommand } from "#cli/commands/resolve";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { useAwsModeStack } from "#test/helpers/aws-env";

/** No AWS variables: the embedded store in the state directory. */
const EMBEDDED: NodeJS.ProcessEnv = {};

describe("driftwatch resolve", () => {
  let dns: ZoneDnsServer;
  let stateDir: string;

  beforeEach(async () => {
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-resolve-"));
  });
  afterEach(async () => {
    await dns.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  const run = async (json: boolean, servers = [dns.address], env = EMBEDDED) => {
    let stdout = "";
    let stderr = "";
    const code = await runResolveCommand(
      {
        dnsServer: servers,
        samples: 3,
        timeoutMs: 300,
        deadline: 10,
        stateDir,
        catalogue: "fixtures/catalogue/clearswift-seg-5.3.json",
        json,
        quiet: true,
      },
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          stderr += text;
        },
      },
      env,
    );
    return { code, stdout, stderr };
  };

  it("prints every hostname with its outcome and IPs, new ones marked", async () => {
    const { code, stdout } = await run(false);

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^run manual-\S+: 48 hostnames, 48 resolved, 0 failing, via 127\.0\.0\.1:\d+ in \d+ ms\n/,
    );
    expect(stdout).toMatch(/\napplianceupdate\.clearswift\.com +answered +\+40\.113\.232\.243\n/);
    expect(stdout).toMatch(
      /\nservices1\.clearswift\.net +answered +\+35\.176\.44\.12 \+2a05:d027:c4e:8d00::10\n/,
    );
  });

  it("keeps state in the state directory: a second run sees the same IPs again, not new ones", async () => {
    // Prepare
    await run(false);

    // Act
    const { code, stdout } = await run(true);

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      observations: { hostname: string; entered: string[]; active: { timesSeen: number }[] }[];
    };
    expect(report.observations).toHaveLength(48);
    expect(report.observations.flatMap((o) => o.entered)).toEqual([]);
    const www = report.observations.find((o) => o.hostname === "www.clearswift.com");
    expect(www?.active[0]?.timesSeen).toBe(2);
  });

  it("serves a zone file on loopback itself with --zone", async () => {
    // Prepare
    await run(false);

    // Act
    let stdout = "";
    const code = await runResolveCommand(
      {
        dnsServer: [],
        zone: "fixtures/dns/clearswift-v2.zone",
        samples: 3,
        timeoutMs: 300,
        deadline: 10,
        stateDir,
        catalogue: "fixtures/catalogue/clearswift-seg-5.3.json",
        quiet: true,
      },
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: () => {},
      },
      EMBEDDED,
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/48 hostnames, 46 resolved, 2 failing/);
    expect(stdout).toMatch(
      /\napplianceupdate\.clearswift\.com +answered +40\.113\.232\.243 \+40\.113\.232\.250\n/,
    );
    expect(stdout).toMatch(
      /\nwww\.clearswift\.com +answered +23\.185\.0\.1 \(1 failed run: only suspicious answers\)\n/,
    );
    expect(stdout).toMatch(
      /www\.clearswift\.com: 10\.20\.30\.40 \(private\) from 127\.0\.0\.1:\d+/,
    );
  });

  it("exits 1 and says why when nothing resolves, without removing anything", async () => {
    // Prepare
    await run(false);
    dns.reload("# every name is gone\n");

    // Act
    const { code, stdout } = await run(false);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/48 hostnames, 0 resolved, 48 failing/);
    expect(stdout).toMatch(
      /\nwww\.clearswift\.com +nxdomain +23\.185\.0\.1 \(1 failed run: A ENOTFOUND; AAAA ENOTFOUND\)\n/,
    );
  });

  describe("with AWS_REGION and DRIFTWATCH_TABLE_NAME set", () => {
    const aws = useAwsModeStack();

    it("records the run in the table they name, not in the state directory", async () => {
      // Prepare
      const { AWS_REGION, DRIFTWATCH_TABLE_NAME } = aws.env;

      // Act
      const { code } = await run(false, [dns.address], { AWS_REGION, DRIFTWATCH_TABLE_NAME });

      // Assess
      expect(code).toBe(0);
      const observations = createDynamoObservationStore({
        documents: aws.stack.clients.documents,
        tableName: aws.stack.tableName,
      });
      const latest = await observations.latestObservations(["applianceupdate.clearswift.com"]);
      expect(latest.get("applianceupdate.clearswift.com")?.active.map((ip) => ip.ip)).toEqual([
        "40.113.232.243",
      ]);
      expect(existsSync(join(stateDir, "dynamodb"))).toBe(false);
    });
  });
});
