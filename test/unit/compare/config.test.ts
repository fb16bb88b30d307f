import { describe, expect, it } from "vitest";
import { DriftConfigError, loadDriftConfig } from "#shared/compare/config";

const ENV = { DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3", DRIFTWATCH_BUCKET_NAME: "driftwatch" };

describe("loadDriftConfig", () => {
  it("defaults to three failed runs and a week's grace for unused documented IPs", () => {
    expect(loadDriftConfig(ENV)).toEqual({
      catalogueIds: ["clearswift-seg-5.3"],
      bucketName: "driftwatch",
      failureThreshold: 3,
      unusedGrace: { hours: 168 },
    });
  });

  it("reads the thresholds the stack sets", () => {
    const config = loadDriftConfig({
      ...ENV,
      DRIFTWATCH_FAILURE_THRESHOLD: " 5 ",
      DRIFTWATCH_UNUSED_GRACE_HOURS: "720",
    });

    expect(config).toMatchObject({ failureThreshold: 5, unusedGrace: { hours: 720 } });
  });

  it("reads raised firewall quotas for the size warnings, keeping the other defaults", () => {
    const config = loadDriftConfig({
      ...ENV,
      DRIFTWATCH_ALLOWLIST_LIMITS: '{"securityGroupRules": 200, "prefixListEntries": 5000}',
    });

    expect(config.limits).toEqual({ securityGroupRules: 200, prefixListEntries: 5000 });
    expect(loadDriftConfig({ ...ENV, DRIFTWATCH_ALLOWLIST_LIMITS: "{}" }).limits).toBeUndefined();
  });

  it.each([
    [{ DRIFTWATCH_BUCKET_NAME: "" }, "DRIFTWATCH_BUCKET_NAME is required"],
    [{ DRIFTWATCH_CATALOGUE_ID: undefined }, "DRIFTWATCH_CATALOGUE_ID is required"],
    [{ DRIFTWATCH_FAILURE_THRESHOLD: "0" }, "DRIFTWATCH_FAILURE_THRESHOLD"],
    [{ DRIFTWATCH_FAILURE_THRESHOLD: "2.5" }, "DRIFTWATCH_FAILURE_THRESHOLD"],
    [{ DRIFTWATCH_UNUSED_GRACE_HOURS: "a week" }, "DRIFTWATCH_UNUSED_GRACE_HOURS"],
    [{ DRIFTWATCH_ALLOWLIST_LIMITS: "rules=200" }, "DRIFTWATCH_ALLOWLIST_LIMITS is not JSON"],
    [
      { DRIFTWATCH_ALLOWLIST_LIMITS: '{"securityGroupRules":0}' },
      "DRIFTWATCH_ALLOWLIST_LIMITS is not a set of firewall limits: securityGroupRules",
    ],
    [
      { DRIFTWATCH_ALLOWLIST_LIMITS: '{"sgRules":200}' },
      "DRIFTWATCH_ALLOWLIST_LIMITS is not a set of firewall limits",
    ],
  ])("names the bad variable: %o", (override, named) => {
    const load = () => loadDriftConfig({ ...ENV, ...override });

    expect(load).toThrow(DriftConfigError);
    expect(load).toThrow(new RegExp(`^${named}`));
  });
});
