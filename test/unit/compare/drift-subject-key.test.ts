import { describe, expect, it } from "vitest";
import { isDriftSubjectKey } from "#shared/compare/drift-event";

describe("isDriftSubjectKey", () => {
  it("accepts the keys the verdicts build for endpoints, pools and feeds", () => {
    expect(isDriftSubjectKey("endpoint:av-update-mirror-1")).toBe(true);
    expect(isDriftSubjectKey("pool:spam-rules:product-updates")).toBe(true);
    expect(isDriftSubjectKey("feed:cloudfront")).toBe(true);
  });

  it("refuses another kind, a kind without an identity and a bare identity", () => {
    expect(isDriftSubjectKey("group:product-updates")).toBe(false);
    expect(isDriftSubjectKey("endpoint:")).toBe(false);
    expect(isDriftSubjectKey("endpoint")).toBe(false);
    expect(isDriftSubjectKey(":endpoint")).toBe(false);
  });
});
