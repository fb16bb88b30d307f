// Fault injection for e2e tests, preloaded with `node --import` (never by the product):
// the process SIGKILLs itself right after the Nth notification file is renamed into place
// under a `notifications` folder. N comes from DRIFTWATCH_TEST_KILL_AFTER_NOTIFICATIONS.
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { basename, dirname } from "node:path";

const limit = Number(process.env.DRIFTWATCH_TEST_KILL_AFTER_NOTIFICATIONS);
if (Number.isInteger(limit) && limit > 0) {
  const rename = fsPromises.rename;
  let written = 0;
  fsPromises.rename = async (from, to) => {
    await rename(from, to);
    const target = String(to);
    if (basename(dirname(target)) === "notifications" && target.endsWith(".json")) {
      written++;
      if (written >= limit) process.kill(process.pid, "SIGKILL");
    }
  };
  syncBuiltinESMExports();
}
