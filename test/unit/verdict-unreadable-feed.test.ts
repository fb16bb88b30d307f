import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import {
  AWS_META,
  AWS_PREFIXES,
  driftInput,
  feeds,
  HOSTS,
  matcher,
  observation,
  steadyState,
} from "#test/helpers/verdict-fixtures";

/** Only the ip-ranges.json matcher: the CloudFront list has none this run. */
const withoutCloudFront = () => feeds([], [matcher(AWS_META, AWS_PREFIXES)]);

describe("evaluateDrift: an IP leaving a feed endpoint while its feed has no matcher", () => {
  it("reports no removal when the feed's snapshot is unreadable: coverage is unknown", () => {
    // Prepare: 13.32.5.5 lies in the CloudFront list, which cannot be read this run.
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], left: ["13.32.5.5"] }),
    );
    const input = driftInput(observations, {
      feeds: { ...withoutCloudFront(), unreadable: ["cloudfront"] },
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports no removal before the feed's first snapshot either", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.aws, { active: ["3.8.1.20"], left: ["18.130.4.4"] }),
    );
    const input = driftInput(observations, { feeds: feeds([], []) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("still reports an IP outside the published ranges leaving when the feed can judge it", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], left: ["203.0.113.9"] }),
    );

    // Act
    const events = evaluateDrift(driftInput(observations));

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.removed])).toEqual([
      ["ip-removed", "low", ["203.0.113.9"]],
    ]);
  });
});
