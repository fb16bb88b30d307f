import { runDemoTour } from "#cli/demo/tour";
import { EXIT_ERROR } from "#cli/exit-codes";
import { type CommandOutput, describeError } from "#cli/options";

export interface DemoCommandOptions {
  keep?: string;
  quiet?: boolean;
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
