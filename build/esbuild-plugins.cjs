// esbuild plugins for the Lambda bundles, loaded by serverless-esbuild (`custom.esbuild.plugins`
// in serverless.yml). CommonJS because serverless-esbuild `require`s this file.
const { readFile, writeFile } = require("node:fs/promises");
const { basename, dirname, extname, join, relative, resolve, sep } = require("node:path");

/**
 * zod v4 exports every locale (`z.locales`, `z.core.locales`: ~267 KB minified, a quarter of a
 * bundle), and the `z` namespace keeps all of its exports alive, so tree shaking cannot drop
 * them. The functions only speak English (zod's default, configured from `locales/en.js`
 * directly), so the locales index is replaced by one that re-exports `en` alone. Another locale
 * imported by name then fails the build instead of shipping silently.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ },
      (args) => ({
        contents: 'export { default as en } from "./en.js";\n',
        loader: "js",
        resolveDir: dirname(args.path),
      }),
    );
  },
};

/**
 * esbuild writes each source map's `sources` relative to the output folder (serverless-esbuild's
 * work folder, `.esbuild/.build/functions/`), so a stack trace in Lambda pointed at
 * `/var/task/functions/../../../shared/…`. Rewritten relative to the entry point's own folder in
 * the repository, as if the bundle sat next to its source: the zip keeps the repository layout
 * (`functions/<name>.mjs`), so a frame reads `/var/task/shared/notify/publish-pending.ts:42`.
 */
const sourcesRelativeToEntry = {
  name: "sources-relative-to-entry",
  setup(build) {
    const options = build.initialOptions;
    const root = options.absWorkingDir ?? process.cwd();
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || !options.sourcemap || !options.outdir) return;
      const entries = Array.isArray(options.entryPoints) ? options.entryPoints : [];
      for (const entry of entries) {
        const path = typeof entry === "string" ? entry : entry.in;
        const extension = options.outExtension?.[".js"] ?? ".js";
        const map = join(
          resolve(root, options.outdir),
          `${basename(path, extname(path))}${extension}.map`,
        );
        const sourceMap = JSON.parse(await readFile(map, "utf8"));
        const from = dirname(resolve(root, path));
        sourceMap.sources = sourceMap.sources.map((source) =>
          relative(from, resolve(dirname(map), source))
            .split(sep)
            .join("/"),
        );
        await writeFile(map, JSON.stringify(sourceMap));
      }
    });
  },
};

module.exports = [zodEnglishOnly, sourcesRelativeToEntry];
