/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time and the
 * most total (inclusive) time, and self time by file, each as a share of the profile's duration.
 *
 *   npx tsx bench/scale/cpu-profile-summary.ts <file.cpuprofile> [--top 25] [--root DIR]
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  selfMs: number;
  totalMs: number;
}

function whereOf(node: ProfileNode, root: string): string {
  const url = node.callFrame.url.replace(/^file:\/\//, "").replace(root, "");
  if (url === "") return "";
  return `${url}:${node.callFrame.lineNumber + 1}`;
}

/** Self and total time of every function (by name and place), and the profile's duration. */
export function functionTimes(profile: CpuProfile, root: string) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const key = (node: ProfileNode) =>
    `${node.callFrame.functionName || "(anonymous)"}\t${whereOf(node, root)}`;
  const times = new Map<string, FunctionTime>();
  const entry = (node: ProfileNode) => {
    const k = key(node);
    let time = times.get(k);
    if (time === undefined) {
      const [name = "", where = ""] = k.split("\t");
      time = { name, where, selfMs: 0, totalMs: 0 };
      times.set(k, time);
    }
    return time;
  };
  profile.samples.forEach((id, i) => {
    // The time up to the next sample is this sample's.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    let node = byId.get(id);
    if (node === undefined) return;
    entry(node).selfMs += ms;
    const seen = new Set<FunctionTime>();
    while (node !== undefined) {
      const time = entry(node);
      if (!seen.has(time)) {
        seen.add(time);
        time.totalMs += ms;
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
  });
  return { times: [...times.values()], durationMs: (profile.endTime - profile.startTime) / 1000 };
}

/** The package (node_modules), Node module or V8 category a frame belongs to. */
function componentOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  if (url.startsWith("node:")) return url;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  return "(project)";
}

/** Project frames, but for the profile's own counting middleware (it wraps every AWS call). */
const isProject = (node: ProfileNode) =>
  !node.callFrame.url.endsWith("cli/detect-profile.ts") &&
  !node.callFrame.url.includes("node_modules") &&
  /\/(shared|cli|functions)\//.test(node.callFrame.url);

/**
 * Self time by component (the leaf frame's package), and each sample's time attributed to the
 * nearest project function on its stack (itself, or the project code that called the library).
 */
export function attributedTimes(profile: CpuProfile, root: string) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const components = new Map<string, number>();
  const project = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(id);
    if (leaf === undefined) return;
    const component = componentOf(leaf);
    components.set(component, (components.get(component) ?? 0) + ms);
    let node: ProfileNode | undefined = leaf;
    while (node !== undefined && !isProject(node)) {
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
    const key =
      node === undefined
        ? `(no project frame) ${component}`
        : `${node.callFrame.functionName || "(anonymous)"} ${whereOf(node, root).replace(/:1$/, "")}`;
    project.set(key, (project.get(key) ?? 0) + ms);
  });
  return { components, project };
}

function table(rows: FunctionTime[], durationMs: number, by: "selfMs" | "totalMs", top: number) {
  const pct = (ms: number) => `${((ms / durationMs) * 100).toFixed(1)}%`;
  return rows
    .filter((row) => row.name !== "(root)")
    .sort((a, b) => b[by] - a[by])
    .slice(0, top)
    .map(
      (row) =>
        `| ${pct(row[by])} | ${(row[by] / 1000).toFixed(2)} s | ${by === "selfMs" ? pct(row.totalMs) : pct(row.selfMs)} | \`${row.name}\` | ${row.where} |`,
    );
}

export async function summariseCpuProfile(
  file: string,
  top: number,
  root: string,
): Promise<string> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const { times, durationMs } = functionTimes(profile, root);
  const files = new Map<string, number>();
  for (const time of times) {
    const path = time.where.replace(/:\d+$/, "") || time.name;
    files.set(path, (files.get(path) ?? 0) + time.selfMs);
  }
  const pct = (ms: number) => `${((ms / durationMs) * 100).toFixed(1)}%`;
  const { components, project } = attributedTimes(profile, root);
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => `| ${pct(ms)} | ${(ms / 1000).toFixed(2)} s | ${name} |`);
  return [
    `profile ${file}: ${(durationMs / 1000).toFixed(1)} s`,
    "",
    "Top self time:",
    "| self | | total | function | where |",
    "| ---: | ---: | ---: | --- | --- |",
    ...table(times, durationMs, "selfMs", top),
    "",
    "Top total time:",
    "| total | | self | function | where |",
    "| ---: | ---: | ---: | --- | --- |",
    ...table(times, durationMs, "totalMs", top),
    "",
    "Project functions by total time (synchronous callees included; awaited work is not):",
    "| total | | self | function | where |",
    "| ---: | ---: | ---: | --- | --- |",
    ...table(
      times.filter(
        (t) =>
          /^(shared|cli|functions)\//.test(t.where) && !t.where.startsWith("cli/detect-profile"),
      ),
      durationMs,
      "totalMs",
      top,
    ),
    "",
    "Self time by component (leaf frame's package):",
    ...ranked(components),
    "",
    "Time attributed to the nearest project function on the stack (library code it called included):",
    ...ranked(project),
    "",
    "Self time by file:",
    ...[...files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([path, ms]) => `| ${pct(ms)} | ${(ms / 1000).toFixed(2)} s | ${path} |`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      root: { type: "string", default: `${process.cwd()}/` },
    },
  });
  for (const file of positionals) {
    console.log(await summariseCpuProfile(file, Number(values.top), values.root));
  }
}
