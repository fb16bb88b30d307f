import { EXIT_SIGINT, EXIT_SIGTERM } from "#cli/exit-codes";
import { main } from "#cli/main";

/**
 * The `driftwatch` process around `main`: what bin/driftwatch.js starts, once built into dist/
 * (build/cli-build.mjs).
 */

// The CLI runs on the Node the user has; Lambda runs nodejs22.x. The SDK's notice about its
// future Node floor is for the deployment, not for every local run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// `driftwatch ... | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const code = await main(process.argv.slice(2));
// An interrupted command has closed its store: a download or lookup it abandoned must not keep
// the process alive, so it exits explicitly. Writes to files and terminals are synchronous, but
// Node documents writes to pipes as asynchronous on POSIX (they usually complete at once on Linux,
// not on macOS): exit once what was written is flushed, or after a second if a reader stalls.
if (code === EXIT_SIGINT || code === EXIT_SIGTERM) {
  setTimeout(() => process.exit(code), 1_000);
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write("", () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
process.exitCode = code;
