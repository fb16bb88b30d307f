import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BuildStamp, fingerprint, staleReason } from "../../../build/cli-build.mjs";

/**
 * When bin/driftwatch.js may run the build in dist/ as it is (build/cli-build.mjs): only when every
 * file the build read still holds what it read. Checked against a stamp of a made-up build.
 */
describe("staleReason", () => {
  let root: string;
  let stamp: BuildStamp;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "driftwatch-cli-build-"));
    await mkdir(join(root, "dist/0123/"), { recursive: true });
    await writeFile(join(root, "dist/0123/cli.mjs"), "export {};\n");
    await writeFile(join(root, "main.ts"), "export const answer = 42;\n");
    stamp = {
      entry: "0123/cli.mjs",
      builtAt: new Date().toISOString(),
      inputs: { "main.ts": await fingerprint(join(root, "main.ts")), "optional.json": null },
    };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("runs the build when nothing it read changed", () => {
    expect(staleReason(root, stamp)).toBeNull();
  });

  it("runs the build when a file was touched but holds what was built (a checkout, npm ci)", async () => {
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, "main.ts"), later, later);

    expect(staleReason(root, stamp)).toBeNull();
  });

  it("refuses the build when a source changed, even to the same size", async () => {
    await writeFile(join(root, "main.ts"), "export const answer = 43;\n");

    expect(staleReason(root, stamp)).toBe("main.ts changed");
  });

  it("refuses the build when a source is gone or an optional input appeared", async () => {
    await writeFile(join(root, "optional.json"), "{}\n");
    expect(staleReason(root, stamp)).toBe("optional.json appeared");

    await unlink(join(root, "optional.json"));
    await unlink(join(root, "main.ts"));
    expect(staleReason(root, stamp)).toBe("main.ts is gone");
  });

  it("refuses a build whose entry file is gone, and the absence of any build", async () => {
    expect(staleReason(root, null)).toBe("there is no build in dist/");

    await unlink(join(root, "dist/0123/cli.mjs"));
    expect(staleReason(root, stamp)).toBe("dist/0123/cli.mjs is missing");
  });
});
