import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { inflateRawSync } from "node:zlib";
import { at, type CfnTemplate, target } from "./cfn-template";

/**
 * The service as `npm run package` builds it (osls + serverless-esbuild, offline), packaged into
 * a temporary folder, and its bundled handlers (the `.mjs` in each function's zip, not the TS
 * source) run in their own Node processes, as Lambda runs them.
 *
 * It always packages afresh instead of reading `.serverless/`: a template left there by an
 * earlier `npm run package` may be older than serverless.yml and would hide a regression.
 */

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const execFileAsync = promisify(execFile);

export interface PackagedService {
  /** Where the template and the zips are. */
  dir: string;
  /** cloudformation-template-update-stack.json, parsed. */
  template: unknown;
  /** The folder a function's zip is extracted to (extracted on the first call). */
  bundleDir(functionId: string): Promise<string>;
  remove(): Promise<void>;
}

export class PackagingError extends Error {
  override readonly name = "PackagingError";
}

/**
 * Runs `serverless package` for a stage and region into a temporary folder; `params` as
 * `--param key=value` (e.g. the optional prefix-list subscriber).
 */
export async function packageService(options: {
  stage: string;
  region: string;
  params?: Record<string, string>;
}): Promise<PackagedService> {
  const dir = await mkdtemp(join(tmpdir(), "driftwatch-package-"));
  // Its own esbuild work folder, so a parallel `npm run package` (or test file) is not disturbed.
  const workFolder = join(".esbuild", `packaged-service-${process.pid}-${dir.split("-").pop()}`);
  const cli = join(REPO_ROOT, "node_modules", "osls", "bin", "serverless.js");
  const args = ["package", "--package", dir, "--stage", options.stage, "--region", options.region];
  for (const [key, value] of Object.entries(options.params ?? {})) {
    args.push("--param", `${key}=${value}`);
  }
  try {
    await execFileAsync(process.execPath, [cli, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DRIFTWATCH_ESBUILD_WORK_FOLDER: workFolder },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new PackagingError(`serverless package failed:\n${stdout ?? ""}\n${stderr ?? ""}`, {
      cause: error,
    });
  } finally {
    await rm(join(REPO_ROOT, workFolder), { recursive: true, force: true });
  }
  const template: unknown = JSON.parse(
    await readFile(join(dir, "cloudformation-template-update-stack.json"), "utf8"),
  );
  const extracted = new Map<string, Promise<string>>();

  async function extract(functionId: string): Promise<string> {
    const fn = at(template, "Resources", functionId, "Properties");
    if (fn === undefined) throw new PackagingError(`no function ${functionId} in the template`);
    const zipName = `${at(fn, "Code", "S3Key")}`.split("/").pop() ?? "";
    const target = join(dir, "bundles", functionId);
    for (const [name, bytes] of unzip(await readFile(join(dir, zipName)))) {
      await mkdir(dirname(join(target, name)), { recursive: true });
      await writeFile(join(target, name), bytes);
    }
    return target;
  }

  return {
    dir,
    template,
    bundleDir(functionId) {
      let pending = extracted.get(functionId);
      if (pending === undefined) {
        pending = extract(functionId);
        extracted.set(functionId, pending);
      }
      return pending;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The files of a zip archive (stored or deflated entries, as serverless-esbuild writes them). */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error("not a zip archive: no end of central directory");
  let entry = zip.readUInt32LE(end + 16);
  for (let count = zip.readUInt16LE(end + 10); count > 0; count--) {
    if (zip.readUInt32LE(entry) !== 0x02014b50) throw new Error("corrupt central directory");
    const method = zip.readUInt16LE(entry + 10);
    const compressedSize = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const extraLength = zip.readUInt16LE(entry + 30);
    const commentLength = zip.readUInt16LE(entry + 32);
    const local = zip.readUInt32LE(entry + 42);
    const name = zip.toString("utf8", entry + 46, entry + 46 + nameLength);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressedSize);
    if (!name.endsWith("/")) files.set(name, method === 8 ? inflateRawSync(data) : data);
    entry += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/**
 * A function's environment as the template declares it, with each `Ref`/`Fn::GetAtt` replaced by
 * the local value of the resource it names (`local`: logical id → value). A reference to a
 * resource without a local value throws.
 */
export function functionEnvironment(
  template: CfnTemplate,
  functionId: string,
  local: Record<string, string>,
): Record<string, string> {
  const variables = at(template.Resources[functionId]?.Properties, "Environment", "Variables");
  return Object.fromEntries(
    Object.entries((variables ?? {}) as Record<string, unknown>).map(([name, value]) => {
      if (typeof value === "string" || typeof value === "number") return [name, String(value)];
      const id = target(value);
      const localValue = id === undefined ? undefined : local[id];
      if (localValue === undefined) {
        throw new Error(`${functionId} ${name}: no local value for ${JSON.stringify(value)}`);
      }
      return [name, localValue];
    }),
  );
}

export interface BundleRun {
  /** What the handler returned (JSON round-tripped). */
  result: unknown;
  stdout: string;
  stderr: string;
}

/** The handler threw: its name and message, and the process's output. */
export class BundleInvocationError extends Error {
  override readonly name = "BundleInvocationError";
  constructor(
    readonly functionId: string,
    readonly stdout: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${functionId} failed: ${stderr.slice(-2000)}`, options);
  }
}

/**
 * Runs a function's bundle once, in its own Node process (a cold start), with exactly the
 * environment given (plus PATH), as Lambda would: the handler export of its `.mjs` is called with
 * `event` and a Lambda context. Rejects with `BundleInvocationError` when the handler throws.
 */
export async function invokeBundle(
  service: PackagedService,
  functionId: string,
  event: unknown,
  environment: Record<string, string>,
): Promise<BundleRun> {
  const handler = at(service.template, "Resources", functionId, "Properties", "Handler");
  const [file, exportName] = `${handler}`.split(/\.(?=[^.]+$)/);
  const dir = await service.bundleDir(functionId);
  // The invocation ends when the function's timeout in the template says, as in Lambda.
  const timeout = Number(at(service.template, "Resources", functionId, "Properties", "Timeout"));
  const timeoutMs = (Number.isFinite(timeout) && timeout > 0 ? timeout : 60) * 1000;
  const script = [
    `const invocationEnd = Date.now() + ${timeoutMs};`,
    `const context = { functionName: ${JSON.stringify(functionId)}, awsRequestId: "test",`,
    `  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:${functionId}",`,
    "  getRemainingTimeInMillis: () => invocationEnd - Date.now() };",
    // Caught, so Node does not print the throwing source line: one minified line of the bundle.
    "try {",
    `  const module = await import(${JSON.stringify(join(dir, `${file}.mjs`))});`,
    `  const result = await module[${JSON.stringify(exportName)}](${JSON.stringify(event)}, context);`,
    "  console.log(JSON.stringify({ handlerResult: result ?? null }));",
    "} catch (error) {",
    '  console.error(String(error?.name) + ": " + String(error?.message));',
    "  process.exitCode = 1;",
    "}",
  ].join("\n");
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ["--enable-source-maps", "--input-type=module", "-e", script],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", ...environment },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 120_000,
      },
    );
    const resultLine = stdout
      .split("\n")
      .reverse()
      .find((line) => line.startsWith('{"handlerResult":'));
    const result: unknown = resultLine ? JSON.parse(resultLine).handlerResult : undefined;
    return { result, stdout, stderr };
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new BundleInvocationError(functionId, stdout ?? "", stderr ?? "", { cause: error });
  }
}
