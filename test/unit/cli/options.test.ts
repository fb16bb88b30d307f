import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { describe, expect, it, vi } from "vitest";
import { main } from "#cli/main";
import { describeError, feedUrl, nonEmpty } from "#cli/options";

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

describe("describeError in AWS mode", () => {
  it("says AWS cannot be reached, and why the CLI is talking to AWS at all", () => {
    // Prepare
    const network = Object.assign(
      new Error("getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com"),
      {
        code: "ENOTFOUND",
        hostname: "dynamodb.eu-west-1.amazonaws.com",
      },
    );
    const error = new Error("query UNJUDGED_RUN failed", { cause: network });

    // Act
    const text = describeError(error);

    // Assess
    expect(text).toBe(
      "query UNJUDGED_RUN failed (cause: getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com); " +
        "cannot reach AWS at dynamodb.eu-west-1.amazonaws.com (AWS mode, because AWS_REGION and " +
        "DRIFTWATCH_TABLE_NAME are set: check the network, or unset them to use the local store)",
    );
  });

  it("names missing credentials, and adds nothing to other errors", () => {
    // Prepare
    const credentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const local = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8000"), {
      code: "ECONNREFUSED",
      hostname: "127.0.0.1",
    });

    // Act
    const texts = [credentials, local].map((cause) =>
      describeError(new Error("cannot save", { cause })),
    );

    // Assess
    expect(texts[0]).toMatch(/; no AWS credentials found \(AWS mode, because AWS_REGION/);
    expect(texts[1]).toBe("cannot save (cause: connect ECONNREFUSED 127.0.0.1:8000)");
  });
});

describe("the feed URL flags", () => {
  it("accept http, https and file:// URLs as given", () => {
    // Prepare
    const parse = feedUrl("--cloudfront-url");

    // Act
    const parsed = [
      "https://ip-ranges.amazonaws.com/ip-ranges.json",
      "http://127.0.0.1:8080/list",
      "file:///srv/feeds/ip-ranges.json.gz",
    ].map(parse);

    // Assess
    expect(parsed).toEqual([
      "https://ip-ranges.amazonaws.com/ip-ranges.json",
      "http://127.0.0.1:8080/list",
      "file:///srv/feeds/ip-ranges.json.gz",
    ]);
  });

  it.each(["ftp://mirror.example/ip-ranges.json", "fixtures/feeds/ip-ranges.json", "not a url"])(
    "reject %s naming the flag, before any run",
    (value) => {
      // Prepare
      const parse = feedUrl("--aws-ip-ranges-url");

      // Act
      const parsing = () => parse(value);

      // Assess
      expect(parsing).toThrow(InvalidArgumentError);
      expect(parsing).toThrow("--aws-ip-ranges-url must be an http://, https:// or file:// URL");
    },
  );
});

describe("--state-dir", () => {
  it("refuses an empty directory, which would put the state in the working directory", () => {
    // Prepare
    const parse = nonEmpty("--state-dir");

    // Act
    const attempts = ["", "  "].map((value) => () => parse(value));

    // Assess
    for (const attempt of attempts) {
      expect(attempt).toThrow(new InvalidArgumentError("--state-dir must not be empty"));
    }
    expect(parse(".driftwatch")).toBe(".driftwatch");
  });
});

describe("driftwatch --version", () => {
  it("prints the package version and exits 0", async () => {
    // Prepare
    const written: string[] = [];
    const write = vi
      .spyOn(process.stdout, "write")
      .mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

    // Act
    const code = await main(["--version"]).finally(() => write.mockRestore());

    // Assess
    expect(code).toBe(0);
    expect(written.join("")).toBe(`${version}\n`);
  });
});
