#!/usr/bin/env node
// Entry point of the `driftwatch` CLI: runs the JavaScript build in dist/ (cli/bin.ts bundled by
// `npm run build`, which `npm ci` runs through `prepare`). A build older than any file it was
// built from is rebuilt before it runs, so an edit, a checkout or an install never runs stale
// code (build/cli-build.mjs).
import { builtCliEntry } from "../build/cli-build.mjs";

let entry;
try {
  entry = await builtCliEntry();
} catch (error) {
  process.stderr.write(
    `driftwatch: cannot build the CLI into dist/ (npm ci installs esbuild and builds it): ${error.message}\n`,
  );
  process.exit(1);
}
await import(entry);
