// The CLI's build: cli/bin.ts and everything it imports, bundled by esbuild into dist/, so that
// `driftwatch` starts compiled JavaScript instead of compiling TypeScript at every start.
//
//   node build/cli-build.mjs      (`npm run build`; `npm ci` runs it through `prepare`)
//
// bin/driftwatch.js imports this module at every start: what it needs at start (reading the
// stamp, comparing it with the sources) uses node:fs alone; esbuild is imported only to build.
//
// Layout: each build writes its files into dist/<hash of its output>/ (a new folder, renamed into
// place whole) and then dist/build.json (written to a temporary file and renamed), which names
// the entry file and fingerprints every repository file the build read. A process keeps the
// folder it started from; a concurrent build never rewrites a file another process may be
// importing a chunk from, and two processes building the same sources converge on one folder.
//
// Staleness: a file's fingerprint is its size and modification time, taken before the build read
// it, and the SHA-256 of what it read. At start, a file whose size and time are unchanged is the
// one built; one whose time or size differs (an edit, a checkout, `npm ci`) is hashed, and the
// build is stale unless the content is what was built. node_modules is covered by npm's
// node_modules/.package-lock.json, which every install rewrites.
import { readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = "dist";
const STAMP = "build.json";
const ENTRY = "cli/bin.ts";
/** Earlier builds are removed once this old: a process started from one has long loaded it. */
const KEEP_EARLIER_BUILDS_MS = 60 * 60 * 1000;

/**
 * Not bundled: dynalite's LevelDB binding is a native addon found from its own folder, fauxqs
 * (fastify) and dns2 are the embedded stack's and the local zone server's, loaded only by the
 * commands that start them. Everything else (commander, zod, the AWS SDK, Powertools...) is
 * bundled: one file per lazily loaded part instead of hundreds of files to resolve and read.
 */
const EXTERNAL = ["dynalite", "fauxqs", "dns2"];

/** Besides the sources esbuild reads: what changes the build without changing a source. */
const EXTRA_INPUTS = [
  "package.json",
  "package-lock.json",
  "node_modules/.package-lock.json",
  "build/cli-build.mjs",
  "build/esbuild-plugins.cjs",
  "tsconfig.json",
];

const LOADERS = { ".ts": "ts", ".json": "json", ".js": "js", ".mjs": "js", ".cjs": "js" };

const require = createRequire(import.meta.url);

/** node:crypto is loaded on first use: a start whose sources are untouched never hashes. */
function createHash(algorithm) {
  return require("node:crypto").createHash(algorithm);
}

function sha256(contents) {
  return createHash("sha256").update(contents).digest("hex");
}

/** A file's fingerprint as a build records it. */
export async function fingerprint(path) {
  return (await readFingerprinted(path)).fingerprint;
}

/** A repository file as the build reads it: its fingerprint, taken before the read. */
async function readFingerprinted(path) {
  const before = await stat(path);
  const contents = await readFile(path);
  return {
    contents,
    fingerprint: { mtimeMs: before.mtimeMs, size: contents.length, sha256: sha256(contents) },
  };
}

/**
 * Reads every repository file esbuild bundles, fingerprinting it into `inputs` (path relative to
 * `root`). `import.meta.url` in a source means that source's own URL (as when it runs unbundled),
 * e.g. `new URL("../../fixtures/…", import.meta.url)`: rewritten relative to the output folder,
 * which sits at the same depth for every build.
 */
function repositoryFiles(root, outdir, inputs) {
  return {
    name: "repository-files",
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: "file" }, async (args) => {
        const loader = LOADERS[extname(args.path)];
        if (args.path.includes(`${sep}node_modules${sep}`) || loader === undefined)
          return undefined;
        const { contents, fingerprint } = await readFingerprinted(args.path);
        inputs[relative(root, args.path).split(sep).join("/")] = fingerprint;
        const source = contents.toString("utf8");
        if (!source.includes("import.meta.url")) return { contents, loader };
        const fromOutput = relative(outdir, args.path).split(sep).join("/");
        const url = `new URL(${JSON.stringify(fromOutput)}, import.meta.url).href`;
        return { contents: source.replaceAll("import.meta.url", url), loader };
      });
    },
  };
}

/** The stamp of the current build, or null when there is none (or it is unreadable). */
export function readBuildStamp(root = ROOT) {
  try {
    return JSON.parse(readFileSync(join(root, DIST, STAMP), "utf8"));
  } catch {
    return null;
  }
}

/**
 * Why the current build cannot be run as it is, or null when it can: no build, its entry file
 * gone, or a file it was built from changed since (content, not only its time), appeared or went.
 */
export function staleReason(root = ROOT, stamp = readBuildStamp(root)) {
  if (stamp === null) return "there is no build in dist/";
  try {
    statSync(join(root, DIST, stamp.entry));
  } catch {
    return `dist/${stamp.entry} is missing`;
  }
  for (const [path, built] of Object.entries(stamp.inputs)) {
    let info;
    try {
      info = statSync(join(root, path));
    } catch {
      if (built === null) continue;
      return `${path} is gone`;
    }
    if (built === null) return `${path} appeared`;
    if (info.mtimeMs === built.mtimeMs && info.size === built.size) continue;
    if (sha256(readFileSync(join(root, path))) !== built.sha256) return `${path} changed`;
  }
  return null;
}

/**
 * Builds the CLI into dist/ and returns the stamp written. Silent unless asked (`npm run build`
 * shows esbuild's warnings): a rebuild at start must not write to a command's stderr; a failed
 * build's errors are in the error thrown.
 */
export async function buildCli(root = ROOT, { logLevel = "silent" } = {}) {
  const builtAt = new Date().toISOString();
  const inputs = await extraInputs(root);
  const { build } = await import("esbuild");
  const zodEnglishOnly = require("./esbuild-plugins.cjs").find(
    (plugin) => plugin.name === "zod-english-only",
  );
  // Where the files will sit; `import.meta.url` rewrites need its depth, not its name.
  const outdir = join(root, DIST, "pending");
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: ENTRY, out: "cli" }],
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
    external: EXTERNAL,
    outExtension: { ".js": ".mjs" },
    // Flat: a source's code may land in the entry or any chunk, at the depth its URL assumes.
    chunkNames: "[name]-[hash]",
    // Bundled CommonJS dependencies `require` Node built-ins.
    banner: {
      js: "import { createRequire as __driftwatchCreateRequire } from 'node:module'; const require = __driftwatchCreateRequire(import.meta.url);",
    },
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel,
    plugins: [zodEnglishOnly, repositoryFiles(root, outdir, inputs)],
  });
  // What each output file holds (the test of what `--help` loads reads it).
  const metafile = {
    path: join(outdir, "metafile.json"),
    contents: JSON.stringify(result.metafile),
  };
  const files = [...result.outputFiles, metafile];
  const hash = createHash("sha256");
  for (const file of files) hash.update(relative(outdir, file.path)).update(file.contents);
  const name = hash.digest("hex").slice(0, 16);
  await writeBuildFolder(join(root, DIST), name, outdir, files);
  const stamp = { entry: `${name}/cli.mjs`, builtAt, inputs: sortedByPath(inputs) };
  const stampFile = join(root, DIST, STAMP);
  const temporary = `${stampFile}.${process.pid}.${Date.now()}`;
  await writeFile(temporary, `${JSON.stringify(stamp, null, 1)}\n`);
  await rename(temporary, stampFile);
  await removeEarlierBuilds(join(root, DIST), name);
  return stamp;
}

/** Writes the output into dist/<name>/ unless a build of the same output already did. */
async function writeBuildFolder(dist, name, outdir, outputFiles) {
  const target = join(dist, name);
  if (await stat(target).catch(() => null)) return;
  const temporary = join(dist, `.${name}.${process.pid}.${Date.now()}`);
  for (const file of outputFiles) {
    const path = join(temporary, relative(outdir, file.path));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.contents);
  }
  try {
    await rename(temporary, target);
  } catch (error) {
    // Another process renamed the same build into place first: its files are these files.
    await rm(temporary, { recursive: true, force: true });
    if (!(await stat(target).catch(() => null))) throw error;
  }
}

/** The fingerprints of EXTRA_INPUTS, taken before the build; null for one that is absent. */
async function extraInputs(root) {
  const inputs = {};
  for (const path of EXTRA_INPUTS) {
    inputs[path] =
      (await readFingerprinted(join(root, path)).catch(() => null))?.fingerprint ?? null;
  }
  return inputs;
}

function sortedByPath(inputs) {
  return Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function removeEarlierBuilds(dist, current) {
  for (const entry of await readdir(dist, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === current) continue;
    const info = await stat(join(dist, entry.name)).catch(() => null);
    if (info && Date.now() - info.mtimeMs > KEEP_EARLIER_BUILDS_MS) {
      await rm(join(dist, entry.name), { recursive: true, force: true });
    }
  }
}

/**
 * The URL of the CLI's entry file, built first when the build is missing or older than the
 * sources: a stale build never runs. Throws when it must build and cannot (no esbuild).
 */
export async function builtCliEntry(root = ROOT) {
  let stamp = readBuildStamp(root);
  const reason = staleReason(root, stamp);
  if (reason !== null) {
    try {
      stamp = await buildCli(root);
    } catch (error) {
      const hint = error?.code === "ERR_MODULE_NOT_FOUND" ? " (npm ci installs esbuild)" : "";
      throw new Error(
        `the CLI must be rebuilt (${reason}) and the build failed${hint}: ${error?.message}`,
        {
          cause: error,
        },
      );
    }
  }
  return pathToFileURL(join(root, DIST, stamp.entry)).href;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stamp = await buildCli(ROOT, { logLevel: "warning" });
  const files = Object.keys(stamp.inputs).length;
  process.stdout.write(`built dist/${stamp.entry} from ${files} files\n`);
}
