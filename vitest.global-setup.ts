import { builtCliEntry } from "./build/cli-build.mjs";

/**
 * The tests that start `driftwatch` as a user does (bin/driftwatch.js) run the build in dist/:
 * built here, once before any test file, when it is missing or older than its sources, so test
 * files started together do not each rebuild it. The bin checks again at every start, so a source
 * edited while the suite runs is rebuilt, never run stale. A build that fails here (a source being
 * edited) fails only the tests that start the bin, with the bin's own message: not the whole run.
 */
export default async function buildTheCli(): Promise<void> {
  try {
    await builtCliEntry();
  } catch (error) {
    process.stderr.write(`vitest global setup: the CLI did not build: ${String(error)}\n`);
  }
}
