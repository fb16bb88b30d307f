import { readFile } from "node:fs/promises";
import type { SNSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { InvalidEventError } from "#functions/commons/events";
import { ingestTrigger } from "#functions/commons/ingest-trigger";
import { scheduledEvent } from "#test/helpers/lambda-events";

const NOW = new Date("2026-08-21T22:05:30Z");
const SNS_EVENT_FILE = new URL(
  "../../../../fixtures/events/amazon-ip-space-changed.json",
  import.meta.url,
);

/** Records what the trigger logged as errors (none when it accepted the event). */
function errorLog() {
  const lines: string[] = [];
  return { lines, logger: { error: (message: string) => void lines.push(message) } };
}

async function snsEvent(): Promise<SNSEvent> {
  return JSON.parse(await readFile(SNS_EVENT_FILE, "utf8")) as SNSEvent;
}

/** The fixture's one record, announcing `synctoken` instead. */
function announcing(record: SNSEvent["Records"][number], synctoken: string) {
  const message = { ...JSON.parse(record.Sns.Message), synctoken };
  return { ...record, Sns: { ...record.Sns, Message: JSON.stringify(message) } };
}

describe("ingestTrigger", () => {
  it("names a schedule's run after its scheduled minute, whenever it is delivered", () => {
    // Prepare
    const { lines, logger } = errorLog();
    const event = scheduledEvent("2026-08-21T22:05:00Z", "driftwatch-ingest");

    // Act
    const trigger = ingestTrigger(event, () => NOW, logger);

    // Assess
    expect(trigger).toEqual({ trigger: "schedule", runId: "feeds-2026-08-21T22:05Z" });
    expect(lines).toEqual([]);
  });

  it("names a notification's run after the syncToken it announces", async () => {
    // Prepare
    const { logger } = errorLog();

    // Act
    const trigger = ingestTrigger(await snsEvent(), () => NOW, logger);

    // Assess
    expect(trigger).toMatchObject({
      trigger: "notification",
      runId: "feeds-sync-1787347025",
      notification: { syncToken: "1787347025", md5: "93379c652a994e45f983f9715b02db58" },
    });
  });

  it("takes the newest notification of a batch of several", async () => {
    // Prepare
    const { logger } = errorLog();
    const [record] = (await snsEvent()).Records;
    if (record === undefined) throw new Error("the fixture has no record");
    const event = { Records: [announcing(record, "1787350000"), announcing(record, "1787340000")] };

    // Act
    const trigger = ingestTrigger(event, () => NOW, logger);

    // Assess
    expect(trigger.runId).toBe("feeds-sync-1787350000");
  });

  it("rejects a notification whose message is not JSON, logging it once", async () => {
    // Prepare
    const { lines, logger } = errorLog();
    const [record] = (await snsEvent()).Records;
    if (record === undefined) throw new Error("the fixture has no record");
    const event = { Records: [{ ...record, Sns: { ...record.Sns, Message: "not json" } }] };

    // Act
    const outcome = (() => {
      try {
        return ingestTrigger(event, () => NOW, logger);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(outcome).toBeInstanceOf(InvalidEventError);
    expect((outcome as InvalidEventError).field).toBe("Records[0].Sns.Message");
    expect(lines).toEqual(["invalid event rejected"]);
  });
});
