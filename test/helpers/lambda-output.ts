import { vi } from "vitest";

/** A Powertools log line (JSON) as a function writes it. */
export type LogLine = { level: string; message: string } & Record<string, unknown>;

/** The value of each metric in Powertools' EMF documents, by name (the last one written). */
export type EmittedMetrics = Record<string, unknown>;

/**
 * Records what a handler writes to stdout and stderr (Powertools' logger and EMF metrics) instead
 * of printing it. Restore with `vi.restoreAllMocks()`.
 */
export function captureLambdaOutput() {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((line) => line.startsWith("{")),
    );
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(record);
  vi.spyOn(process.stderr, "write").mockImplementation(record);
  const documents = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    logs: (): LogLine[] => documents().filter((doc) => !("_aws" in doc)) as LogLine[],
    metrics: (): EmittedMetrics =>
      Object.assign(
        {},
        ...documents()
          .filter((doc) => "_aws" in doc)
          .map((doc) => {
            const names = (
              doc._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
            ).CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((m) => m.Name));
            return Object.fromEntries(names.map((name) => [name, doc[name]]));
          }),
      ),
  };
}
