import { describe, expect, it } from "vitest";
import { catalogueIdsVariable } from "#shared/config/catalogue-ids";

class TestConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

describe("catalogueIdsVariable", () => {
  it("reads the comma list, trimmed, in order", () => {
    const ids = catalogueIdsVariable({ DRIFTWATCH_CATALOGUE_IDS: " b-1 , a.2" }, TestConfigError);

    expect(ids).toEqual(["b-1", "a.2"]);
  });

  it("falls back to the one DRIFTWATCH_CATALOGUE_ID when the list is unset", () => {
    const ids = catalogueIdsVariable(
      { DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3" },
      TestConfigError,
    );

    expect(ids).toEqual(["clearswift-seg-5.3"]);
  });

  it.each([
    [{ DRIFTWATCH_CATALOGUE_IDS: "a,Bad" }, /DRIFTWATCH_CATALOGUE_IDS catalogue id "Bad"/],
    [{ DRIFTWATCH_CATALOGUE_IDS: "a,,b" }, /DRIFTWATCH_CATALOGUE_IDS has an empty catalogue id/],
    [{ DRIFTWATCH_CATALOGUE_IDS: "a,b,a" }, /lists catalogue "a" twice/],
    [{}, /DRIFTWATCH_CATALOGUE_ID is required/],
  ])("refuses %o, naming the variable and the id", (env, message) => {
    expect(() => catalogueIdsVariable(env, TestConfigError)).toThrow(message);
  });
});
