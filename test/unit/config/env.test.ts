import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  jsonVariable,
  parsedVariable,
  readVariable,
  requiredVariable,
  wholeNumberVariable,
} from "#shared/config/env";

class ExampleConfigError extends Error {
  override readonly name = "ExampleConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable} ${problem}`, options);
  }
}

function thrown(read: () => unknown): ExampleConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ExampleConfigError) return error;
    throw error;
  }
  throw new Error("expected an ExampleConfigError");
}

describe("reading configuration variables", () => {
  it("trims values and treats blank as unset", () => {
    expect(readVariable({ NAME: "  driftwatch \n" }, "NAME")).toBe("driftwatch");
    expect(readVariable({ NAME: " \t" }, "NAME")).toBeUndefined();
    expect(readVariable({}, "NAME")).toBeUndefined();
  });

  it("names a missing required variable with the loader's error class", () => {
    const error = thrown(() => requiredVariable({ NAME: " " }, "NAME", ExampleConfigError));

    expect(error.variable).toBe("NAME");
    expect(error.message).toBe("NAME is required");
  });

  it("reads whole numbers in range, falls back when unset, and quotes a bad value trimmed", () => {
    const range = { fallback: 3, min: 1, max: 10 };

    expect(wholeNumberVariable({ N: " 7 " }, "N", range, ExampleConfigError)).toBe(7);
    expect(wholeNumberVariable({}, "N", range, ExampleConfigError)).toBe(3);
    expect(
      thrown(() => wholeNumberVariable({ N: " 11 " }, "N", range, ExampleConfigError)).message,
    ).toBe('N "11": must be a whole number from 1 to 10');
    expect(() => wholeNumberVariable({ N: "1e1" }, "N", range, ExampleConfigError)).toThrow(
      ExampleConfigError,
    );
  });

  it("parses the trimmed value with a schema and quotes a bad value as it was set", () => {
    const Port = z.coerce.number().int().positive();

    expect(parsedVariable({ P: " 53 " }, "P", Port, 5353, ExampleConfigError)).toBe(53);
    expect(parsedVariable({ P: "" }, "P", Port, 5353, ExampleConfigError)).toBe(5353);
    const error = thrown(() => parsedVariable({ P: " -1 " }, "P", Port, 5353, ExampleConfigError));
    expect(error.message).toMatch(/^P " -1 ": /);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it("reads JSON through a schema, undefined when unset, with the loader's own wording", () => {
    const Grace = z.strictObject({ runs: z.number().int().min(1) });
    const problems = {
      notJson: (given: string) => `is not JSON: ${given}`,
      invalid: (issue: { path: PropertyKey[] } | undefined) => `bad ${issue?.path.join(".")}`,
    };

    expect(jsonVariable({ G: '{"runs":2}' }, "G", Grace, ExampleConfigError, problems)).toEqual({
      runs: 2,
    });
    expect(jsonVariable({}, "G", Grace, ExampleConfigError, problems)).toBeUndefined();
    expect(
      thrown(() => jsonVariable({ G: "{runs" }, "G", Grace, ExampleConfigError, problems)).message,
    ).toBe("G is not JSON: {runs");
    expect(
      thrown(() => jsonVariable({ G: '{"runs":0}' }, "G", Grace, ExampleConfigError, problems))
        .message,
    ).toBe("G bad runs");
  });
});
