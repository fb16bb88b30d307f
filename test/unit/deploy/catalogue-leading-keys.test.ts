import { describe, expect, it } from "vitest";
import { catalogueLeadingKeys, leadingKeys } from "../../../build/catalogue-leading-keys.cjs";

/**
 * The `dynamodb:LeadingKeys` of FirewallFeedRole, built at package time from the catalogueIds
 * parameter (build/catalogue-leading-keys.cjs): every catalogue of the deployment, and only them.
 * The packaged default (one catalogue) is checked in firewall-feed.test.ts.
 */
describe("catalogueLeadingKeys", () => {
  it("gives each catalogue of the deployment its partition key, in order", () => {
    // Act
    const keys = catalogueLeadingKeys("clearswift-seg-5.3,sophos-central", "clearswift-seg-5.3");

    // Assess
    expect(keys).toEqual(["CATALOGUE#clearswift-seg-5.3", "CATALOGUE#sophos-central"]);
  });

  it("resolves the two parameters through serverless' resolver", async () => {
    // Prepare
    const params: Record<string, string> = {
      "param:catalogueIds": "a.1, b-2",
      "param:catalogueId": "b-2",
    };

    // Act
    const keys = await leadingKeys({ resolveVariable: async (name) => params[name] ?? "" });

    // Assess
    expect(keys).toEqual(["CATALOGUE#a.1", "CATALOGUE#b-2"]);
  });

  it.each([
    ["a,,b", "a", /catalogue id "" is not a lower-case slug/],
    ["a,B", "a", /catalogue id "B" is not a lower-case slug/],
    ["a,b,a", "a", /lists catalogue "a" twice/],
    ["a,b", "c", /must list catalogueId "c"/],
  ])(
    "refuses %j (catalogueId %j): a policy matching nothing is never packaged",
    (list, primary, message) => {
      // Act / Assess
      expect(() => catalogueLeadingKeys(list, primary)).toThrow(message);
    },
  );
});
