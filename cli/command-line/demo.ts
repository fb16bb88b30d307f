import type { Command } from "commander";
import type { DemoCommandOptions } from "#cli/commands/demo";
import { processOutput } from "#cli/options";

/** `driftwatch demo` (`npm run demo`): the scripted tour of every verdict, on local fixtures. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "A self-contained tour: five detection cycles against a loopback DNS server and the shipped feed files, showing every verdict, the notifications as subscribers receive them, and the allowlist files (no network, no AWS)",
    )
    .option(
      "--keep <dir>",
      "keep the state, feeds and allowlist files in this new or empty directory",
    )
    .option(
      "--quiet",
      "per run only the summary line, the new verdicts and the notification counts",
    )
    .action(async (options: DemoCommandOptions) => {
      const { runDemoCommand } = await import("#cli/commands/demo");
      process.exitCode = await runDemoCommand(options, processOutput);
    });
}
