import { describe, expect, it } from "vitest";
import { catalogueIdsVariable, servedCataloguesVariable } from "#shared/config/catalogue-ids";

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

describe("servedCataloguesVariable", () => {
  it("serves the list, answering DRIFTWATCH_CATALOGUE_ID by default, as serverless.yml sets both", () => {
    const served = servedCataloguesVariable(
      { DRIFTWATCH_CATALOGUE_IDS: "a,b", DRIFTWATCH_CATALOGUE_ID: "b" },
      TestConfigError,
    );

    expect(served).toEqual({ catalogueIds: ["a", "b"], defaultCatalogueId: "b" });
  });

  it("defaults to the first of the list, or to the one catalogue alone", () => {
    expect(servedCataloguesVariable({ DRIFTWATCH_CATALOGUE_IDS: "a,b" }, TestConfigError)).toEqual({
      catalogueIds: ["a", "b"],
      defaultCatalogueId: "a",
    });
    expect(servedCataloguesVariable({ DRIFTWATCH_CATALOGUE_ID: "a" }, TestConfigError)).toEqual({
      catalogueIds: ["a"],
      defaultCatalogueId: "a",
    });
  });

  it("refuses a default the list does not serve, naming both", () => {
    expect(() =>
      servedCataloguesVariable(
        { DRIFTWATCH_CATALOGUE_IDS: "a,b", DRIFTWATCH_CATALOGUE_ID: "c" },
        TestConfigError,
      ),
    ).toThrow('DRIFTWATCH_CATALOGUE_ID "c" is not one of DRIFTWATCH_CATALOGUE_IDS (a, b)');
  });
});
