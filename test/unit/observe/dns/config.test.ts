import { describe, expect, it } from "vitest";
import { parseDnsServer } from "#shared/observe/dns/c-ares-resolver";
import { DnsConfigError, loadDnsConfig } from "#shared/observe/dns/config";
import { DEFAULT_GRACE } from "#shared/observe/dns/observation-window";

const BASE = {
  DRIFTWATCH_TABLE_NAME: "driftwatch",
  DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3",
  DRIFTWATCH_DNS_SERVERS: "1.1.1.1, 9.9.9.9:53,[2606:4700:4700::1111]:5353",
};

function configError(env: Record<string, string>): DnsConfigError {
  try {
    loadDnsConfig(env);
  } catch (error) {
    if (error instanceof DnsConfigError) return error;
    throw error;
  }
  throw new Error("expected a DnsConfigError");
}

describe("loadDnsConfig", () => {
  it("reads the servers with their ports and falls back to the documented defaults", () => {
    const config = loadDnsConfig(BASE);

    expect(config).toEqual({
      tableName: "driftwatch",
      catalogueIds: ["clearswift-seg-5.3"],
      servers: ["1.1.1.1:53", "9.9.9.9:53", "[2606:4700:4700::1111]:5353"],
      samples: 3,
      timeoutMs: 2000,
      tries: 2,
      concurrency: 16,
      retries: 1,
      grace: DEFAULT_GRACE,
      historyRetentionDays: 400,
      intervalMinutes: 15,
      deadlineMarginMs: 10_000,
    });
  });

  it("merges grace overrides by policy over the defaults", () => {
    const config = loadDnsConfig({
      ...BASE,
      DRIFTWATCH_GRACE: '{"rotating":{"runs":12,"hours":48},"pinned":{"runs":2,"hours":0.5}}',
      DRIFTWATCH_DNS_SAMPLES: "5",
    });

    expect(config.grace.rotating).toEqual({ runs: 12, hours: 48 });
    expect(config.grace.pinned).toEqual({ runs: 2, hours: 0.5 });
    expect(config.grace.pool).toEqual(DEFAULT_GRACE.pool);
    expect(config.samples).toBe(5);
  });

  it("accepts `system` for the OS-configured resolvers", () => {
    expect(loadDnsConfig({ ...BASE, DRIFTWATCH_DNS_SERVERS: "system" }).servers).toBe("system");
  });

  it.each([
    [{ DRIFTWATCH_TABLE_NAME: "" }, "DRIFTWATCH_TABLE_NAME"],
    [{ DRIFTWATCH_CATALOGUE_ID: " " }, "DRIFTWATCH_CATALOGUE_ID"],
    [{ DRIFTWATCH_DNS_SERVERS: "dns.google" }, "DRIFTWATCH_DNS_SERVERS"],
    [{ DRIFTWATCH_DNS_SERVERS: "1.1.1.1:99999" }, "DRIFTWATCH_DNS_SERVERS"],
    [{ DRIFTWATCH_DNS_SERVERS: "1.1.1.1,," }, "DRIFTWATCH_DNS_SERVERS"],
    [{ DRIFTWATCH_DNS_SAMPLES: "0" }, "DRIFTWATCH_DNS_SAMPLES"],
    [{ DRIFTWATCH_DNS_TIMEOUT_MS: "1.5" }, "DRIFTWATCH_DNS_TIMEOUT_MS"],
    [{ DRIFTWATCH_DNS_TRIES: "many" }, "DRIFTWATCH_DNS_TRIES"],
    [{ DRIFTWATCH_DNS_CONCURRENCY: "-4" }, "DRIFTWATCH_DNS_CONCURRENCY"],
    [{ DRIFTWATCH_HISTORY_RETENTION_DAYS: "0" }, "DRIFTWATCH_HISTORY_RETENTION_DAYS"],
    [{ DRIFTWATCH_GRACE: "{rotating" }, "DRIFTWATCH_GRACE"],
    [{ DRIFTWATCH_GRACE: '{"rotatingg":{"runs":1,"hours":1}}' }, "DRIFTWATCH_GRACE"],
    [{ DRIFTWATCH_GRACE: '{"pool":{"runs":0,"hours":1}}' }, "DRIFTWATCH_GRACE"],
  ])("names the bad variable (%j)", (override, variable) => {
    const error = configError({ ...BASE, ...override });

    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable} `));
  });
});

describe("parseDnsServer", () => {
  it("normalises every accepted spelling to host:port", () => {
    expect(
      ["127.0.0.1", "127.0.0.1:5353", "::1", "[::1]", "[::1]:5353"].map(parseDnsServer),
    ).toEqual(["127.0.0.1:53", "127.0.0.1:5353", "[::1]:53", "[::1]:53", "[::1]:5353"]);
  });
});
