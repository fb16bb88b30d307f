import type { PublishFailure } from "./publish-pending";

/** A sweep left change sets unpublished; they stay pending and are retried. */
export class PublishSweepError extends Error {
  override readonly name = "PublishSweepError";
  constructor(readonly failures: PublishFailure[]) {
    super(
      `${failures.length} change set(s) could not be published: ` +
        failures
          .map((f) => `${f.changeSetId.slice(0, 12)} (${f.subjectKey}): ${f.error.message}`)
          .join("; "),
      { cause: failures[0]?.error },
    );
  }
}
