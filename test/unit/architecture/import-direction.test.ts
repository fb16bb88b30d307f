import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The source folders in data-path order: a module imports only from its own layer or the layers
 * before it, and the import graph has no cycle. docs/architecture.md explains the order.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["shared/config"],
  ["shared/domain"],
  ["shared/catalogue"],
  ["shared/observe"],
  ["shared/allowlists"],
  ["shared/compare"],
  ["shared/record"],
  ["shared/notify"],
  ["shared/query"],
  ["shared/detect"],
  ["shared/adapters"],
  ["functions", "cli"],
];

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const SOURCE_ROOTS = ["shared", "functions", "cli"];
const ALIASES: Record<string, string> = {
  "#shared/": "shared/",
  "#functions/": "functions/",
  "#cli/": "cli/",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module `file` imports or re-exports from, as repository paths (`shared/x/y.ts`). */
function importsOf(file: string, source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\b[^"';]*?\bfrom\s*"([^"]+)"/gm),
    ...source.matchAll(/^\s*import\s*"([^"]+)"/gm),
    ...source.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((match) => match[1] ?? "");
  return specifiers.flatMap((specifier) => {
    const alias = Object.keys(ALIASES).find((prefix) => specifier.startsWith(prefix));
    if (alias) return [`${ALIASES[alias]}${specifier.slice(alias.length)}.ts`];
    if (specifier.startsWith(".")) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      return [target.endsWith(".ts") ? target : `${target}.ts`];
    }
    return [];
  });
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex((folders) =>
    folders.some((folder) => file === folder || file.startsWith(`${folder}/`)),
  );
  return index;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCE_ROOTS.flatMap(sourceFiles)) {
    graph.set(file, importsOf(file, readFileSync(join(REPO_ROOT, file), "utf8")));
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = graph.get(node)?.includes(node) ?? false;
      if (component.length > 1 || selfImport) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Where a test of `test/<kind>/<folder>/…` points: the source folder it mirrors. */
function mirroredFolder(testFile: string): string | undefined {
  const [, kind, ...rest] = testFile.split("/");
  if (!kind || !["unit", "integration", "fault", "e2e"].includes(kind) || rest.length < 2) {
    return undefined;
  }
  const folders = rest.slice(0, -1);
  const [top] = folders;
  if (top === "architecture" || top === "deploy") return top;
  if (top === "functions" || top === "cli") return folders.join("/");
  return `shared/${folders.join("/")}`;
}

describe("the source import graph", () => {
  const graph = importGraph();

  it("places every source file in a layer", () => {
    const unplaced = [...graph.keys()].filter((file) => layerOf(file) < 0);
    expect(unplaced).toEqual([]);
  });

  it("imports only from the same layer or the layers before it on the data path", () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it("resolves every import to a source file", () => {
    const missing = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`),
    );
    expect(missing).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(cycles(graph).map((component) => component.join(" <-> "))).toEqual([]);
  });

  it("catches an upward import and a cycle when they are introduced", () => {
    const broken = new Map(graph);
    broken.set("shared/domain/canonical.ts", ["shared/compare/evaluate-drift.ts"]);
    broken.set("shared/compare/evaluate-drift.ts", [
      ...(graph.get("shared/compare/evaluate-drift.ts") ?? []),
      "shared/domain/canonical.ts",
    ]);
    expect(layerOf("shared/compare/evaluate-drift.ts")).toBeGreaterThan(
      layerOf("shared/domain/canonical.ts"),
    );
    expect(cycles(broken).some((c) => c.includes("shared/domain/canonical.ts"))).toBe(true);
    expect(
      importsOf("shared/x/a.ts", 'import { b } from "./b";\nexport * from "#shared/y/c";'),
    ).toEqual(["shared/x/b.ts", "shared/y/c.ts"]);
  });
});

describe("the test layout", () => {
  it("mirrors the source: test/<kind>/<source folder>/…", () => {
    const tests = sourceFiles("test").filter((file) => file.endsWith(".test.ts"));
    const misplaced = tests.filter((file) => {
      const folder = mirroredFolder(file);
      if (folder === undefined) return true;
      if (folder === "architecture" || folder === "deploy") return false;
      return !existsSync(join(REPO_ROOT, folder));
    });
    expect(tests.length).toBeGreaterThan(50);
    expect(misplaced).toEqual([]);
  });

  it("refuses a test outside a mirrored folder", () => {
    expect(mirroredFolder("test/unit/verdict-events.test.ts")).toBeUndefined();
    expect(mirroredFolder("test/unit/compare/verdict-events.test.ts")).toBe("shared/compare");
    expect(mirroredFolder("test/misc/compare/x.test.ts")).toBeUndefined();
  });
});
