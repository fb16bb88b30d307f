import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Catalogue, resolvableHostnames } from "#shared/catalogue/schema";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import {
  AWS_META,
  AWS_PREFIXES,
  CLOUDFRONT_META,
  CLOUDFRONT_PREFIXES,
  driftInput,
  feeds,
  HOSTS,
  matcher,
  NOW,
  observation,
  observedIp,
  prefix,
  RESOLVER_A,
  RESOLVER_B,
  steadyState,
  updatedFeed,
} from "#test/helpers/verdict-fixtures";

describe("evaluateDrift: resolution-failed", () => {
  const failing = (outcome: "nxdomain" | "servfail" | "timeout", consecutiveFailures: number) =>
    observation(HOSTS.pinned, {
      active: ["3.10.94.193"],
      outcome,
      consecutiveFailures,
    });

  it("stays quiet below the threshold of consecutive failures", () => {
    // Prepare
    const input = driftInput(steadyState(failing("timeout", 2)));

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports the failure at the threshold, medium, with the outcome, and removes nothing", () => {
    // Prepare
    const input = driftInput(steadyState(failing("nxdomain", 3)));

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added, e.removed])).toEqual([
      ["resolution-failed", "medium", [], []],
    ]);
    expect(events[0]?.evidence).toMatchObject({ outcome: "nxdomain", consecutiveFailures: 3 });
    expect(events[0]?.reason).toContain("NXDOMAIN");
    expect(events[0]?.action).toContain("No firewall change");
  });

  it("says when a failing host last answered, or that it never has", () => {
    // Prepare
    const never = observation(HOSTS.pinned, {
      active: [],
      outcome: "nxdomain",
      consecutiveFailures: 3,
    });

    // Act
    const [seen] = evaluateDrift(driftInput(steadyState(failing("nxdomain", 3))));
    const [unseen] = evaluateDrift(driftInput(steadyState(never)));

    // Assess
    expect(seen?.reason).toMatch(/; last answered with an address \d{4}-\d\d-\d\dT[\d:.]+Z\.$/);
    expect(unseen?.reason).toMatch(
      /3 consecutive runs; it has not answered with an address since it was first tracked\.$/,
    );
  });

  it("keeps NXDOMAIN, SERVFAIL and timeout apart: each is its own event", () => {
    // Prepare
    const outcomes = ["nxdomain", "servfail", "timeout"] as const;

    // Act
    const ids = outcomes.map(
      (outcome) => evaluateDrift(driftInput(steadyState(failing(outcome, 4))))[0]?.eventId,
    );

    // Assess
    expect(new Set(ids).size).toBe(3);
  });

  it("keeps one id for one failure streak, however many runs it lasts", () => {
    // Prepare
    const third = driftInput(steadyState(failing("servfail", 3)), { runId: "run-3" });
    const tenth = driftInput(steadyState(failing("servfail", 10)), {
      runId: "run-10",
      now: new Date(NOW.getTime() + 7 * 3_600_000),
    });

    // Act
    const [first] = evaluateDrift(third);
    const [later] = evaluateDrift(tenth);

    // Assess
    expect(later?.eventId).toBe(first?.eventId);
  });
});

describe("evaluateDrift: suspicious-answer", () => {
  const hijacked = () =>
    observation(HOSTS.pinned, {
      active: ["3.10.94.193"],
      suspicious: [
        { ip: "10.0.0.8", range: "private", resolver: RESOLVER_B },
        { ip: "127.0.0.1", range: "loopback", resolver: RESOLVER_A },
      ],
    });

  it("reports private answers as high without proposing to allow them", () => {
    // Prepare
    const input = driftInput(steadyState(hijacked()));

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
      ["suspicious-answer", "high", []],
    ]);
    expect(events[0]?.evidence.suspicious?.map((s) => s.ip)).toEqual(["10.0.0.8", "127.0.0.1"]);
    expect(events[0]?.action).toMatch(/^Do not allow 10\.0\.0\.8 and 127\.0\.0\.1/);
  });

  it("keeps the id for the same answers within a day and changes it the next day", () => {
    // Prepare
    const later = { ...hijacked(), observedAt: "2026-08-21T23:45:00.000Z" };
    const nextDay = { ...hijacked(), observedAt: "2026-08-22T00:15:00.000Z" };

    // Act
    const [first] = evaluateDrift(driftInput(steadyState(hijacked()), { runId: "a" }));
    const [second] = evaluateDrift(driftInput(steadyState(later), { runId: "b" }));
    const [third] = evaluateDrift(driftInput(steadyState(nextDay), { runId: "c" }));

    // Assess
    expect(second?.eventId).toBe(first?.eventId);
    expect(third?.eventId).not.toBe(first?.eventId);
  });
});

describe("evaluateDrift: documented-ip-unused", () => {
  it("reports a documented IP no answer has carried since tracking began, once the grace is over", () => {
    // Prepare: the host answers with another address, tracked for 36 h (grace 24 h)
    const input = driftInput(
      steadyState(
        observation(HOSTS.pinned, {
          active: ["3.10.94.200"],
          trackedSince: "2026-08-20T00:00:00Z",
        }),
      ),
    );

    // Act
    const events = evaluateDrift(input).filter((e) => e.type === "documented-ip-unused");

    // Assess
    expect(events.map((e) => [e.severity, e.subject.key, e.evidence.unusedSince])).toEqual([
      [
        "low",
        "endpoint:appliance-online-help/clearswifhelp.clearswift.com",
        "2026-08-20T00:00:00Z",
      ],
    ]);
    expect(events[0]?.action).toContain("Keep the allow rule for 3.10.94.193");
  });

  it("waits for the grace period, counted from the last sighting", () => {
    // Prepare: last seen 6 h ago
    const departed = observedIp("3.10.94.193", { lastSeen: "2026-08-21T06:00:00.000Z" });
    const input = driftInput(
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.200"], departed: [departed] })),
    );

    // Act
    const events = evaluateDrift(input).filter((e) => e.type === "documented-ip-unused");

    // Assess
    expect(events).toEqual([]);
  });

  it("says nothing about a host that does not answer: a failure proves nothing", () => {
    // Prepare
    const input = driftInput(
      steadyState(observation(HOSTS.pinned, { outcome: "timeout", consecutiveFailures: 1 })),
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("keeps one id while the IP stays unused, so it is notified once", () => {
    // Prepare
    const host = observation(HOSTS.pinned, { active: ["3.10.94.200"] });

    // Act
    const first = evaluateDrift(driftInput(steadyState(host), { runId: "r1" }));
    const later = evaluateDrift(
      driftInput(steadyState(host), { runId: "r9", now: new Date(NOW.getTime() + 86_400_000) }),
    );

    // Assess
    const id = (events: typeof first) =>
      events.find((e) => e.type === "documented-ip-unused")?.eventId;
    expect(id(later)).toBe(id(first));
  });

  it("judges pool IPs across the pool's hosts: used by one host is used", () => {
    // Prepare: each host serves one of the two pool IPs
    const input = driftInput([
      ...steadyState().filter((o) => o.hostname !== HOSTS.pool1 && o.hostname !== HOSTS.pool2),
      observation(HOSTS.pool1, { active: ["185.155.104.24"] }),
      observation(HOSTS.pool2, { active: ["70.33.161.213"] }),
    ]);

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports a pool IP none of the pool's hosts serves once per pool and group", () => {
    // Prepare
    const input = driftInput([
      ...steadyState().filter((o) => o.hostname !== HOSTS.pool1 && o.hostname !== HOSTS.pool2),
      observation(HOSTS.pool1, { active: ["185.155.104.24"] }),
      observation(HOSTS.pool2, { active: ["185.155.104.24"] }),
    ]);

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.subject.key, e.evidence.ips?.[0]?.ip])).toEqual([
      ["documented-ip-unused", "pool:av-update-mirrors:av-update-mirrors", "70.33.161.213"],
    ]);
    expect(events[0]?.endpoints.map((e) => e.id)).toEqual([
      "avira-av-updates/aav-update-1.clearswift.net",
      "avira-av-updates/aav-update-2.clearswift.net",
    ]);
    expect(events[0]?.endpoint).toBeNull();
    expect(events[0]?.group).toBe("av-update-mirrors");
  });
});

describe("evaluateDrift: feeds", () => {
  it("reports CloudFront changes to the groups with cloudfront endpoints, high when prefixes are added", () => {
    // Prepare
    const result = updatedFeed("cloudfront", {
      added: [prefix("18.64.0.0/14", "CLOUDFRONT_GLOBAL")],
      removed: [prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL")],
    });
    const input = driftInput(steadyState(), { feeds: feeds([result]) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.subject.key, e.added, e.removed])).toEqual([
      [
        "feed-ranges-changed",
        "high",
        "feed:cloudfront:product-updates",
        ["18.64.0.0/14"],
        ["52.84.0.0/15"],
      ],
    ]);
    expect(events[0]?.evidence.feed).toMatchObject({
      feed: "cloudfront",
      sha256: CLOUDFRONT_META.sha256,
      previousSha256: "0".repeat(64),
    });
    expect(events[0]?.action).toContain("allowlists/product-updates.txt");
  });

  it("reports only the AWS services and regions where catalogued hosts resolve", () => {
    // Prepare: services1 resolves to 3.8.1.20 (EC2, eu-west-2)
    const result = updatedFeed("aws-ip-ranges", {
      added: [
        prefix("3.9.0.0/16", "EC2", "eu-west-2"),
        prefix("3.9.0.0/16", "AMAZON", "eu-west-2"),
        prefix("44.192.0.0/11", "EC2", "us-east-1"),
        prefix("15.230.0.0/16", "S3", "eu-west-2"),
      ],
      removed: [prefix("35.71.0.0/17", "EC2", "ap-southeast-3")],
    });
    const input = driftInput(steadyState(), { feeds: feeds([result]) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.subject.key, e.added, e.removed])).toEqual([
      ["feed-ranges-changed", "feed:aws-ip-ranges:service-availability", ["3.9.0.0/16"], []],
    ]);
    expect(events[0]?.evidence.prefixes).toEqual([
      { ...prefix("3.9.0.0/16", "EC2", "eu-west-2"), change: "added" },
    ]);
    expect(events[0]?.reason).toContain("EC2 in eu-west-2");
  });

  it("reports removals alone as medium", () => {
    // Prepare
    const result = updatedFeed("cloudfront", {
      added: [],
      removed: [prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL")],
    });

    // Act
    const events = evaluateDrift(driftInput(steadyState(), { feeds: feeds([result]) }));

    // Assess
    expect(events.map((e) => e.severity)).toEqual(["medium"]);
  });

  it("reports a damped removal that came due while the feed itself is unchanged", () => {
    // Prepare
    const due = {
      feed: "cloudfront" as const,
      status: "unchanged" as const,
      current: CLOUDFRONT_META,
      diff: {
        feed: "cloudfront" as const,
        from: CLOUDFRONT_META,
        to: CLOUDFRONT_META,
        added: [],
        removed: [prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL")],
      },
    };

    // Act
    const events = evaluateDrift(driftInput(steadyState(), { feeds: feeds([due]) }));

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.removed])).toEqual([
      ["feed-ranges-changed", "medium", ["52.84.0.0/15"]],
    ]);
    expect(events[0]?.evidence.feed?.status).toBe("unchanged");
  });

  it("treats the first snapshot of a feed as the baseline, not as a change", () => {
    // Prepare
    const result = updatedFeed("cloudfront", { added: CLOUDFRONT_PREFIXES, removed: [] }, null);

    // Act
    const events = evaluateDrift(driftInput(steadyState(), { feeds: feeds([result]) }));

    // Assess
    expect(events).toEqual([]);
  });

  it("notifies a rejection once while it persists, even when its numbers vary per attempt", () => {
    // Prepare
    const rejectedWith = (reason: string) => ({
      feed: "aws-ip-ranges" as const,
      status: "rejected" as const,
      reason,
      current: AWS_META,
    });

    // Act
    const [first] = evaluateDrift(
      driftInput(steadyState(), {
        feeds: feeds([rejectedWith("truncated JSON: unexpected end after 1048576 bytes")]),
      }),
    );
    const [later] = evaluateDrift(
      driftInput(steadyState(), {
        feeds: feeds([rejectedWith("truncated JSON: unexpected end after 998001 bytes")]),
        runId: "another-run",
      }),
    );
    const [other] = evaluateDrift(
      driftInput(steadyState(), { feeds: feeds([rejectedWith("HTML page instead of JSON")]) }),
    );

    // Assess
    expect(later?.eventId).toBe(first?.eventId);
    expect(other?.eventId).not.toBe(first?.eventId);
  });

  it("reports a rejected download per group that relies on the feed, once per reason and snapshot", () => {
    // Prepare
    const rejected = {
      feed: "aws-ip-ranges" as const,
      status: "rejected" as const,
      reason: "aws-ip-ranges: md5 mismatch (notification 5d41..., body 7d79...)",
      current: AWS_META,
    };

    // Act
    const first = evaluateDrift(driftInput(steadyState(), { feeds: feeds([rejected]) }));
    const again = evaluateDrift(
      driftInput(steadyState(), { feeds: feeds([rejected]), runId: "another-run" }),
    );

    // Assess
    expect(first.map((e) => [e.type, e.severity, e.subject.key])).toEqual([
      ["feed-rejected", "medium", "feed:aws-ip-ranges:service-availability"],
    ]);
    expect(first[0]?.evidence.feed).toMatchObject({
      status: "rejected",
      reason: rejected.reason,
      sha256: AWS_META.sha256,
      syncToken: AWS_META.syncToken,
    });
    expect(again[0]?.eventId).toBe(first[0]?.eventId);
  });

  it("ignores a feed that could not be reached (no verification failed)", () => {
    // Prepare
    const unreachable = {
      feed: "cloudfront" as const,
      status: "unreachable" as const,
      reason: "cloudfront: getaddrinfo ENOTFOUND",
      current: null,
    };

    // Act
    const events = evaluateDrift(driftInput(steadyState(), { feeds: feeds([unreachable]) }));

    // Assess
    expect(events).toEqual([]);
  });
});

describe("evaluateDrift: event ids", () => {
  const moved = () =>
    steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }));

  it("gives a retry of the same run identical events", () => {
    // Prepare
    const input = driftInput(moved());

    // Act
    const first = evaluateDrift(input);
    const retry = evaluateDrift(driftInput(moved()));

    // Assess
    expect(retry).toEqual(first);
    expect(first[0]?.eventId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same kind of change in another run another id", () => {
    // Prepare
    const later = driftInput(moved(), { runId: "run-2026-08-21T12:15Z" });

    // Act
    const [first] = evaluateDrift(driftInput(moved()));
    const [second] = evaluateDrift(later);

    // Assess
    expect(second?.eventId).not.toBe(first?.eventId);
  });

  it("gives the same change of a hostname in another catalogue another id", () => {
    // Prepare
    const other = driftInput(moved(), { catalogue: { ...driftInput([]).catalogue, id: "other" } });

    // Act
    const [first] = evaluateDrift(driftInput(moved()));
    const [second] = evaluateDrift(other);

    // Assess
    expect(second?.type).toBe(first?.type);
    expect(second?.eventId).not.toBe(first?.eventId);
  });
});

/** A run in which the CloudFront list gained `count` IPv4 prefixes (54.i.0.0/16). */
function cloudfrontGrownBy(count: number) {
  const added = Array.from({ length: count }, (_, i) =>
    prefix(`54.${i}.0.0/16`, "CLOUDFRONT_GLOBAL"),
  );
  return driftInput(steadyState(), {
    feeds: feeds(
      [updatedFeed("cloudfront", { added, removed: [] })],
      [
        matcher(CLOUDFRONT_META, [...CLOUDFRONT_PREFIXES, ...added]),
        matcher(AWS_META, AWS_PREFIXES),
      ],
    ),
  });
}

describe("evaluateDrift: allowlist size warnings", () => {
  it("warns when a hostname resolves to more addresses than an FQDN object holds", () => {
    // Prepare: 33 addresses for a rotating name
    const ips = Array.from({ length: 33 }, (_, i) => `162.159.200.${i + 1}`);
    const input = driftInput(
      steadyState(
        observation(HOSTS.rotating, { active: ips.slice(0, 32), entered: [ips[32] ?? ""] }),
      ),
    );

    // Act
    const [event] = evaluateDrift(input);

    // Assess
    expect(event?.warnings.map((w) => [w.kind, w.scope, w.size, w.limit])).toEqual([
      ["fqdn-object-addresses", HOSTS.rotating, 33, 32],
    ]);
  });

  it("warns when a group's allowlist needs more security-group rules than the quota", () => {
    // Prepare: the CloudFront list grows from 2 to 61 IPv4 prefixes (one port: 61 rules)
    const input = cloudfrontGrownBy(59);

    // Act
    const [event] = evaluateDrift(input);

    // Assess
    expect(event?.type).toBe("feed-ranges-changed");
    expect(event?.warnings.map((w) => [w.kind, w.scope, w.size, w.limit])).toEqual([
      ["security-group-rules", "product-updates", 61, 60],
    ]);
  });

  it("warns per target past each one's limit: prefix list, WAF IP set, Network Firewall", () => {
    // Prepare: 61 IPv4 prefixes against lowered limits (the defaults are 1,000, 10,000, 1,000,000)
    const grown = cloudfrontGrownBy(59);
    const input = {
      ...grown,
      options: {
        ...grown.options,
        limits: { prefixListEntries: 50, wafIpSetAddresses: 61, networkFirewallIpSetCidrs: 60 },
      },
    };

    // Act
    const [event] = evaluateDrift(input);

    // Assess: the WAF IP set holds exactly 61 IPv4 entries, so no warning for it
    expect(event?.warnings.map((w) => [w.kind, w.scope, w.size, w.limit])).toEqual([
      ["security-group-rules", "product-updates", 61, 60],
      ["prefix-list-entries", "product-updates", 61, 50],
      // Network Firewall counts both families: 61 IPv4 plus the list's IPv6 prefix.
      ["network-firewall-ip-set-cidrs", "product-updates", 62, 60],
    ]);
    expect(event?.warnings[1]?.message).toContain("61 IPv4 entries");
    expect(event?.warnings[1]?.message).toContain("aggregate");
  });

  it("does not warn at the limit", () => {
    // Prepare: 60 IPv4 prefixes, one port
    const input = cloudfrontGrownBy(58);

    // Act
    const [event] = evaluateDrift(input);

    // Assess
    expect(event?.warnings).toEqual([]);
  });
});

describe("evaluateDrift on the shipped catalogue", () => {
  const shipped = Catalogue.parse(
    JSON.parse(
      readFileSync(
        fileURLToPath(
          new URL("../../../fixtures/catalogue/clearswift-seg-5.3.json", import.meta.url),
        ),
        "utf8",
      ),
    ),
  );

  it("reports no removal and no stale document on a machine without network, only failures", () => {
    // Prepare: every hostname has timed out for three runs; IPs seen before stay in the state
    const offline = resolvableHostnames(shipped).map((hostname) =>
      observation(hostname, {
        active: hostname === "clearswifhelp.clearswift.com" ? ["3.10.94.193"] : [],
        outcome: "timeout",
        consecutiveFailures: 3,
      }),
    );

    // Act
    const events = evaluateDrift(driftInput(offline, { catalogue: shipped, feeds: feeds([], []) }));

    // Assess
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["resolution-failed"]));
    const failedEndpoints = shipped.endpoints.filter((e) => e.hostname !== null);
    expect(events).toHaveLength(failedEndpoints.length);
  });
});
