import { builtCliEntry } from "./build/cli-build.mjs";

/**
 * The tests that start `driftwatch` as a user does (bin/driftwatch.js) run the build in dist/:
 * built here, once before any test file, when it is missing or older than its sources. The bin
 * checks again at every start, so a source edited while the suite runs is rebuilt, never run stale.
 */
export default async function buildTheCli(): Promise<void> {
  await builtCliEntry();
}
