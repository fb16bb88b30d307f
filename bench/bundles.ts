/**
 * Size and cold import time of each packaged Lambda bundle: the zip as deployed, the `.mjs` and
 * its source map, which AWS SDK clients and zod locales went in (from the map's `sources`), and
 * the wall time of a new Node process importing the bundle with the function's template
 * environment and `--enable-source-maps`, as Lambda runs it (the process with an empty script is
 * printed as the floor).
 *
 *   npx tsx bench/bundles.ts [--runs 20] [--package-dir DIR ...]
 *
 * Without --package-dir it packages the `prod` stage for eu-west-1 into a temporary folder
 * (test/helpers/packaged-service.ts). Given several (e.g. a package of the previous commit and
 * one of this), the imports are interleaved run by run, so a busy machine slows every build alike.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { CfnTemplate } from "#test/helpers/cfn-template";
import {
  functionEnvironment,
  type PackagedService,
  packageService,
  unzip,
} from "#test/helpers/packaged-service";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "package-dir": { type: "string", multiple: true },
  },
});
const runs = Number(values.runs);
const scratch = await mkdtemp(join(tmpdir(), "driftwatch-bundles-bench-"));

interface Bundle {
  build: string;
  functionId: string;
  zipBytes: number;
  moduleBytes: number;
  mapBytes: number;
  clients: string[];
  locales: number;
  script: string;
  env: Record<string, string>;
  cwd: string;
  imports: number[];
}

/** Stand-ins for the stack's resources: nothing is called at import. */
const PLACEHOLDERS = {
  Table: "driftwatch-bench",
  Bucket: "driftwatch-bench",
  ChangeEventsTopic: "arn:aws:sns:eu-west-1:123456789012:driftwatch-bench",
};

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Milliseconds of wall time of one `node -e script`. */
function timeNode(script: string, env: Record<string, string>, cwd: string): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd,
    env,
    encoding: "utf8",
  });
  const elapsed = performance.now() - started;
  if (child.status !== 0) throw new Error(`node -e failed: ${child.stderr}`);
  return elapsed;
}

const baseEnv = {
  PATH: process.env.PATH ?? "",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  NODE_OPTIONS: "--enable-source-maps --max-semi-space-size=32",
};

async function bundlesOf(packageDir: string, build: string): Promise<Bundle[]> {
  const template = JSON.parse(
    await readFile(join(packageDir, "cloudformation-template-update-stack.json"), "utf8"),
  ) as CfnTemplate;
  const bundles: Bundle[] = [];
  for (const [functionId, fn] of Object.entries(template.Resources)) {
    if (fn.Type !== "AWS::Lambda::Function") continue;
    const properties = fn.Properties as { Handler: string; Code: { S3Key: string } };
    const zip = join(packageDir, basename(properties.Code.S3Key));
    const cwd = join(scratch, build, functionId);
    for (const [name, bytes] of unzip(await readFile(zip))) {
      await mkdir(dirname(join(cwd, name)), { recursive: true });
      await writeFile(join(cwd, name), bytes);
    }
    const [file] = properties.Handler.split(/\.(?=[^.]+$)/);
    const module = join(cwd, `${file}.mjs`);
    const { sources } = JSON.parse(await readFile(`${module}.map`, "utf8")) as {
      sources: string[];
    };
    bundles.push({
      build,
      functionId: functionId.replace(/LambdaFunction$/, ""),
      zipBytes: (await stat(zip)).size,
      moduleBytes: (await stat(module)).size,
      mapBytes: (await stat(`${module}.map`)).size,
      clients: [
        ...new Set(sources.flatMap((s) => s.match(/@aws-sdk\/client-([a-z0-9-]+)\//)?.[1] ?? [])),
      ].sort(),
      locales: sources.filter((s) => /zod\/v4\/locales\/(?!index)/.test(s)).length,
      // process.exit: a handle opened at import (none today) must not be timed as import.
      script: `await import(${JSON.stringify(pathToFileURL(module).href)}); process.exit(0);`,
      env: { ...baseEnv, ...functionEnvironment(template, functionId, PLACEHOLDERS) },
      cwd,
      imports: [],
    });
  }
  return bundles;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

let packaged: PackagedService | undefined;
try {
  if (values["package-dir"] === undefined) {
    packaged = await packageService({ stage: "prod", region: "eu-west-1" });
  }
  const packageDirs = packaged === undefined ? (values["package-dir"] ?? []) : [packaged.dir];
  const bundles: Bundle[] = [];
  for (const [i, dir] of packageDirs.entries()) bundles.push(...(await bundlesOf(dir, `${i}`)));

  const floor: number[] = [];
  // Run 0 warms the file cache and is not counted.
  for (let run = 0; run <= runs; run++) {
    const empty = timeNode("", baseEnv, scratch);
    if (run > 0) floor.push(empty);
    for (const bundle of bundles) {
      const elapsed = timeNode(bundle.script, bundle.env, bundle.cwd);
      if (run > 0) bundle.imports.push(elapsed);
    }
  }

  console.log(
    `Node ${process.version}, ${runs} interleaved runs after one warm-up; ` +
      `empty \`node -e ""\`: median ${ms(median(floor))}, min ${ms(Math.min(...floor))}\n`,
  );
  for (const [i, dir] of packageDirs.entries()) console.log(`build ${i}: ${dir}`);
  console.log(
    "\n| build | function | zip | .mjs | .mjs.map | AWS clients | zod locales | import median | import min |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const ordered = [...bundles].sort(
    (a, b) => a.functionId.localeCompare(b.functionId) || a.build.localeCompare(b.build),
  );
  for (const b of ordered) {
    console.log(
      `| ${b.build} | ${b.functionId} | ${kib(b.zipBytes)} | ${kib(b.moduleBytes)} | ` +
        `${kib(b.mapBytes)} | ${b.clients.join(", ")} | ${b.locales} | ` +
        `${ms(median(b.imports))} | ${ms(Math.min(...b.imports))} |`,
    );
  }
} finally {
  await packaged?.remove();
  await rm(scratch, { recursive: true, force: true });
}
