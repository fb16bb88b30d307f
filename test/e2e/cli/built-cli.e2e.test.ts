import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "#cli/main";
import { type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";

/**
 * `driftwatch` as it starts from bin/driftwatch.js: the JavaScript build in dist/ (built by the
 * vitest global setup, or by the bin when a source changed since).
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** As a file URL, so a checkout path with spaces survives NODE_OPTIONS. */
const RECORD_LOADED_MODULES = new URL("../../helpers/record-loaded-modules.mjs", import.meta.url)
  .href;
/** What the command line must not load before a command opens a store. */
const STORE_PACKAGES = /node_modules\/(@aws-sdk|@smithy|dynalite|fauxqs|dns2)\//;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temporaryDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** The subcommands `help` lists under "Commands:", without commander's own `help`. */
function listedCommands(helpText: string): string[] {
  const section = helpText.split("\nCommands:\n")[1] ?? "";
  return [...section.matchAll(/^ {2}(\S+)/gm)]
    .map((match) => match[1] ?? "")
    .filter((name) => name !== "help");
}

function commandNames(command: Command): string[] {
  return command.commands.map((sub) => sub.name());
}

/**
 * Runs the CLI with every module it loads recorded, and returns where their code comes from: the
 * repository and package files bundled into each dist/ file it loaded (from that build's
 * metafile), and the files it loaded from outside dist/ as they are.
 */
async function loadedSources(args: string[]): Promise<{ run: CliRun; sources: string[] }> {
  const record = join(await temporaryDir("driftwatch-loaded-"), "loaded.txt");
  await writeFile(record, "");
  const run = await spawnDriftwatch(args, 60_000, {
    DRIFTWATCH_TEST_LOADED_MODULES: record,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${RECORD_LOADED_MODULES}`.trim(),
  }).exited;
  const urls = (await readFile(record, "utf8")).split("\n").filter((url) => url !== "");
  const sources: string[] = [];
  const metafiles = new Map<string, { outputs: Record<string, { inputs: object }> }>();
  for (const url of urls) {
    if (!url.startsWith("file:")) continue;
    const path = fileURLToPath(url);
    const relativePath = path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
    if (!relativePath.startsWith("dist/")) {
      sources.push(relativePath);
      continue;
    }
    const build = dirname(path);
    if (!metafiles.has(build)) {
      metafiles.set(build, JSON.parse(await readFile(join(build, "metafile.json"), "utf8")));
    }
    const output = metafiles.get(build)?.outputs[`dist/pending/${basename(path)}`];
    expect(output, `${relativePath} is in its build's metafile`).toBeDefined();
    sources.push(...Object.keys(output?.inputs ?? {}));
  }
  return { run, sources };
}

describe("the built driftwatch CLI", () => {
  it("lists every command and catalogue subcommand the sources declare", async () => {
    // Prepare
    const program = buildProgram();
    const catalogue = program.commands.find((command) => command.name() === "catalogue");

    // Act
    const [top, catalogueHelp] = await Promise.all([
      spawnDriftwatch(["--help"]).exited,
      spawnDriftwatch(["catalogue", "--help"]).exited,
    ]);

    // Assess
    expect(top.stderr).toBe("");
    expect(top.code).toBe(0);
    expect(listedCommands(top.stdout)).toEqual(commandNames(program));
    expect(commandNames(program)).toEqual(expect.arrayContaining(["detect", "catalogue", "demo"]));
    expect(catalogueHelp.code).toBe(0);
    expect(listedCommands(catalogueHelp.stdout)).toEqual(commandNames(catalogue as Command));
    expect(listedCommands(catalogueHelp.stdout)).toContain("generate");
  });

  it("prints `--help` and `detect --help` without loading the AWS SDK, dynalite or fauxqs", async () => {
    const [top, detect] = await Promise.all([
      loadedSources(["--help"]),
      loadedSources(["detect", "--help"]),
    ]);

    for (const { run, sources } of [top, detect]) {
      expect(run.code).toBe(0);
      expect(sources).toContain("cli/main.ts");
      expect(sources.filter((source) => STORE_PACKAGES.test(source))).toEqual([]);
    }
    expect(detect.run.stdout).toContain("--failure-threshold <runs>");
  });

  it("loads them once a command opens the embedded store (what the check above looks for)", async () => {
    const stateDir = await temporaryDir("driftwatch-built-state-");

    const { run, sources } = await loadedSources([
      "catalogue",
      "import",
      "--state-dir",
      stateDir,
      "--json",
    ]);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const loaded = sources.filter((source) => STORE_PACKAGES.test(source));
    expect(loaded.some((source) => source.includes("node_modules/@aws-sdk/client-dynamodb/"))).toBe(
      true,
    );
    expect(loaded.some((source) => source.includes("node_modules/dynalite/"))).toBe(true);
    expect(loaded.some((source) => source.includes("node_modules/fauxqs/"))).toBe(true);
  });

  it("rebuilds before it runs when a source changed since the build, never running the old one", async () => {
    // Prepare: a copy of the repository's sources (its own dist/), the packages linked
    const copy = await temporaryDir("driftwatch-built-copy-");
    for (const path of ["bin", "build", "cli", "shared", "package.json", "package-lock.json"]) {
      await cp(join(ROOT, path), join(copy, path), { recursive: true });
    }
    await cp(join(ROOT, "tsconfig.json"), join(copy, "tsconfig.json"));
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
    const declaration = join(copy, "cli/command-line/demo.ts");
    const before = await readFile(declaration, "utf8");
    const firstRun = await spawnDriftwatch(["--help"], 60_000, {}, copy).exited;

    // Act: the same command after an edit, with the first build still in dist/
    await writeFile(
      declaration,
      before.replace("A self-contained tour:", "A self-contained tour (edited):"),
    );
    const secondRun = await spawnDriftwatch(["--help"], 60_000, {}, copy).exited;
    await writeFile(declaration, `${before}\nexport const broken = ;\n`);
    const brokenRun = await spawnDriftwatch(["--help"], 60_000, {}, copy).exited;

    // Assess
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toContain("A self-contained tour:");
    expect(secondRun.stderr).toBe("");
    expect(secondRun.code).toBe(0);
    expect(secondRun.stdout).toContain("A self-contained tour (edited):");
    expect(brokenRun.code).toBe(1);
    expect(brokenRun.stdout).toBe("");
    expect(brokenRun.stderr).toContain(
      "driftwatch: the CLI must be rebuilt (cli/command-line/demo.ts changed) and the build failed",
    );
  });
});
