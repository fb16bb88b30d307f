import type { Command } from "commander";
import { runDemoTour } from "#cli/demo/tour";
import { EXIT_ERROR } from "#cli/exit-codes";
import { type CommandOutput, describeError, processOutput } from "#cli/options";

export interface DemoCommandOptions {
  keep?: string;
  quiet?: boolean;
}

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
      process.exitCode = await runDemoCommand(options, processOutput);
    });
}

/** Plays the tour; 0 when it went as scripted, 1 otherwise. */
export async function runDemoCommand(
  options: DemoCommandOptions,
  output: CommandOutput,
): Promise<number> {
  try {
    const result = await runDemoTour({
      write: output.stdout,
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
      ...(options.quiet ? { quiet: true } : {}),
    });
    return result.exitCode;
  } catch (error) {
    output.stderr(`driftwatch demo: ${describeError(error)}\n`);
    return EXIT_ERROR;
  }
}
