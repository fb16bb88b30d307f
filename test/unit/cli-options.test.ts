import { describe, expect, it } from "vitest";
import { describeError } from "#cli/options";

describe("describeError", () => {
  it("adds the cause's message when the error's own message does not carry it", () => {
    // Prepare
    const error = new Error("cannot open the store", { cause: new Error("EACCES: denied") });

    // Act
    const text = describeError(error);

    // Assess
    expect(text).toBe("cannot open the store (cause: EACCES: denied)");
  });

  it("does not repeat a cause the message already quotes", () => {
    // Prepare
    const cause = new Error("ENOENT: no such file or directory, open '/nope.json'");
    const error = new Error(`cannot read catalogue /nope.json: ${cause.message}`, { cause });

    // Act
    const text = describeError(error);

    // Assess
    expect(text).toBe(
      "cannot read catalogue /nope.json: ENOENT: no such file or directory, open '/nope.json'",
    );
  });
});
