import { access } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runDemoTour } from "#cli/demo/tour";

describe("the demo tour, interrupted", () => {
  it("stops on SIGINT and removes its temporary directory", async () => {
    // Prepare: interrupt as soon as the tour has printed where its directory is
    const listeners = process.listenerCount("SIGINT");
    let directory: string | undefined;
    const write = (text: string) => {
      const match = /\/\S*driftwatch-demo-\S+/.exec(text);
      if (match && directory === undefined) {
        directory = match[0];
        setImmediate(() => process.emit("SIGINT"));
      }
    };

    // Act
    const touring = runDemoTour({ write });

    // Assess
    await expect(touring).rejects.toThrow("interrupted");
    expect(directory).toBeDefined();
    await expect(access(directory as string)).rejects.toThrow("ENOENT");
    expect(process.listenerCount("SIGINT")).toBe(listeners);
  });
});
