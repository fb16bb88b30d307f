// For e2e tests, preloaded with `node --import` (never by the product): appends the URL of every
// module the process loads through the ES module loader (its own files, dist/ chunks, packages
// imported from them) to the file DRIFTWATCH_TEST_LOADED_MODULES names, one per line.
import { register } from "node:module";

const hooks = `
import { appendFileSync } from "node:fs";
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.DRIFTWATCH_TEST_LOADED_MODULES, url + "\\n");
  return nextLoad(url, context);
}
`;
if (process.env.DRIFTWATCH_TEST_LOADED_MODULES) {
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
