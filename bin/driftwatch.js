#!/usr/bin/env node
// Entry point of the `driftwatch` CLI: runs the JavaScript build in dist/ (cli/bin.ts bundled by
// `npm run build`, which `npm ci` runs through `prepare`). A build whose sources changed since is
// rebuilt before it runs, and one that cannot be rebuilt does not run: an edit, a checkout or an
// install never runs stale code (build/cli-build.mjs).
import { builtCliEntry } from "../build/cli-build.mjs";

let entry;
try {
  entry = await builtCliEntry();
} catch (error) {
  process.stderr.write(`driftwatch: ${error.message}\n`);
  process.exit(1);
}
await import(entry);
