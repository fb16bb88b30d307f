import { describe, expect, it } from "vitest";
import { loadNotifyConfig } from "#shared/notify/config";
import { NotifyConfigError } from "#shared/notify/errors";

const valid = {
  DRIFTWATCH_TABLE_NAME: "driftwatch-dev-Table-1A2B3C",
  DRIFTWATCH_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:driftwatch-dev-change-events",
  DRIFTWATCH_BUCKET_NAME: "driftwatch-dev-bucket-1a2b3c",
  AWS_REGION: "eu-west-1",
};

describe("loadNotifyConfig", () => {
  it("reads the table, topic, bucket and region", () => {
    // Act
    const config = loadNotifyConfig(valid);

    // Assess
    expect(config).toEqual({
      tableName: "driftwatch-dev-Table-1A2B3C",
      topicArn: "arn:aws:sns:eu-west-1:123456789012:driftwatch-dev-change-events",
      bucketName: "driftwatch-dev-bucket-1a2b3c",
      region: "eu-west-1",
    });
  });

  it("names every missing variable", () => {
    // Act
    const error = (() => {
      try {
        loadNotifyConfig({ AWS_REGION: "eu-west-1", DRIFTWATCH_BUCKET_NAME: "  " });
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(NotifyConfigError);
    expect((error as NotifyConfigError).variables).toEqual([
      "DRIFTWATCH_TABLE_NAME",
      "DRIFTWATCH_TOPIC_ARN",
      "DRIFTWATCH_BUCKET_NAME",
    ]);
    expect((error as Error).message).toContain("DRIFTWATCH_TOPIC_ARN is required");
  });

  it("names a malformed variable and shows its value", () => {
    // Act
    const run = () =>
      loadNotifyConfig({ ...valid, DRIFTWATCH_TOPIC_ARN: "driftwatch-dev-change-events" });

    // Assess
    expect(run).toThrow(NotifyConfigError);
    expect(run).toThrow(
      'DRIFTWATCH_TOPIC_ARN must be an SNS topic ARN, got "driftwatch-dev-change-events"',
    );
  });

  it("accepts a FIFO topic", () => {
    // Act
    const config = loadNotifyConfig({
      ...valid,
      DRIFTWATCH_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:driftwatch-events.fifo",
    });

    // Assess
    expect(config.topicArn.endsWith(".fifo")).toBe(true);
  });
});
