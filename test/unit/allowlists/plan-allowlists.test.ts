import { describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { holdAllowlists } from "#shared/allowlists/held";
import { planAllowlists } from "#shared/allowlists/plan-allowlists";
import { evaluateDriftAndPlan } from "#shared/compare/evaluate-drift";
import {
  AWS_META,
  AWS_PREFIXES,
  CLOUDFRONT_META,
  CLOUDFRONT_PREFIXES,
  catalogue,
  driftInput,
  feeds,
  HOSTS,
  matcher,
  observation,
  steadyState,
  updatedFeed,
} from "#test/helpers/verdict-fixtures";

describe("planAllowlists: this cycle's allowlists, planned once", () => {
  it("is the built allowlists with the groups on an unreadable feed held", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.123"] }),
    );
    const input = driftInput(observations, {
      feeds: {
        results: [],
        matchers: new Map([["cloudfront", matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES)]]),
        unreadable: ["aws-ip-ranges"],
      },
    });

    // Act
    const plan = planAllowlists({ ...input, written: new Map() });

    // Assess
    const built = buildAllowlists({
      catalogue,
      observations,
      matchers: input.feeds.matchers,
      withdrawals: new Map(),
      written: new Map(),
    });
    const held = holdAllowlists(built, {
      catalogue,
      unreadable: ["aws-ip-ranges"],
      written: new Map(),
    });
    expect(plan.allowlists).toEqual(held.allowlists);
    expect(plan.held).toEqual(held.held);
    expect([...plan.held.keys()]).toEqual(["service-availability"]);
  });

  it("carries this run's feed withdrawals", () => {
    // Prepare
    const withdrawn = AWS_PREFIXES.slice(0, 1);
    const diffed = updatedFeed("aws-ip-ranges", { added: [], removed: withdrawn });
    const input = driftInput(steadyState(), { feeds: feeds([diffed]) });

    // Act
    const plan = planAllowlists(input);

    // Assess
    expect([...plan.withdrawals.keys()]).toEqual(["aws-ip-ranges"]);
    expect(plan.withdrawals.get("aws-ip-ranges")).toMatchObject({
      from: "0".repeat(64),
      to: AWS_META.sha256,
    });
  });

  it("is what evaluateDriftAndPlan hands on with its verdicts", () => {
    // Prepare
    const input = driftInput(steadyState());

    // Act
    const evaluation = evaluateDriftAndPlan(input);

    // Assess
    expect(evaluation.allowlists).toEqual(planAllowlists(input));
  });
});
