import { describe, expect, it } from "vitest";
import type { DriftEvent } from "#shared/compare/drift-event";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import {
  catalogue,
  driftInput,
  feeds,
  HOSTS,
  observation,
  POOL_IPS,
  steadyState,
} from "#test/helpers/verdict-fixtures";

function withHost(hostname: string, replacement: ReturnType<typeof observation>) {
  return steadyState().map((o) => (o.hostname === hostname ? replacement : o));
}

function summary(events: DriftEvent[]) {
  return events.map((e) => ({
    type: e.type,
    severity: e.severity,
    subject: e.subject.key,
    added: e.added,
    removed: e.removed,
  }));
}

describe("evaluateDrift: expectation policies", () => {
  it("reports nothing when every host serves what its policy expects", () => {
    // Prepare
    const input = driftInput(steadyState());

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  describe("pinned", () => {
    it("reports an undocumented IP entering as ip-added, high", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.pinned,
          observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(summary(events)).toEqual([
        {
          type: "ip-added",
          severity: "high",
          subject: "endpoint:appliance-online-help/clearswifhelp.clearswift.com",
          added: ["3.10.94.200"],
          removed: [],
        },
      ]);
      const [event] = events;
      expect(event?.endpoint).toEqual({
        id: "appliance-online-help/clearswifhelp.clearswift.com",
        hostname: HOSTS.pinned,
        group: "online-help",
        service: "Appliance online help",
        policy: "pinned",
        ports: [{ protocol: "tcp", port: 80, direction: "out" }],
      });
      expect(event?.action).toBe(
        "Allow 3.10.94.200 in firewall rule online-help (tcp/80 out) for clearswifhelp.clearswift.com " +
          "once the vendor confirms the address, and add it to the catalogue: " +
          "allowlists/online-help.txt lists documented IPs only.",
      );
      expect(event?.evidence.ips?.[0]).toMatchObject({
        ip: "3.10.94.200",
        firstSeen: "2026-08-21T12:00:00.000Z",
        ttl: 300,
        resolvers: ["192.0.2.53:53"],
      });
    });

    it("says nothing when a documented IP (re-)enters", () => {
      // Prepare
      const input = driftInput(
        withHost(HOSTS.pinned, observation(HOSTS.pinned, { entered: ["3.10.94.193"] })),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events).toEqual([]);
    });

    it("reports an undocumented IP leaving as ip-removed, low, and a documented one not at all", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.pinned,
          observation(HOSTS.pinned, {
            active: ["3.10.94.193"],
            left: ["3.10.94.200"],
          }),
        ),
      );
      const documentedLeaves = driftInput(
        withHost(
          HOSTS.pinned,
          observation(HOSTS.pinned, { active: ["3.10.94.200"], left: ["3.10.94.193"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);
      const documentedEvents = evaluateDrift(documentedLeaves);

      // Assess
      expect(summary(events)).toEqual([
        {
          type: "ip-removed",
          severity: "low",
          subject: "endpoint:appliance-online-help/clearswifhelp.clearswift.com",
          added: [],
          removed: ["3.10.94.200"],
        },
      ]);
      expect(documentedEvents.filter((e) => e.type === "ip-removed")).toEqual([]);
    });
  });

  describe("pool", () => {
    it("accepts any IP of the pool, whichever host of the pool serves it", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.pool1,
          observation(HOSTS.pool1, { active: ["185.155.104.24"], entered: ["70.33.161.213"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events).toEqual([]);
    });

    it("reports an IP outside the pool as ip-added, high", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.pool2,
          observation(HOSTS.pool2, { active: POOL_IPS, entered: ["185.155.104.99"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(summary(events)).toEqual([
        {
          type: "ip-added",
          severity: "high",
          subject: "endpoint:avira-av-updates/aav-update-2.clearswift.net",
          added: ["185.155.104.99"],
          removed: [],
        },
      ]);
      expect(events[0]?.reason).toContain("pool av-update-mirrors");
    });

    it("reports a retired pool IP served again as retired-ip-seen, high, and not also as ip-added", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.pool1,
          observation(HOSTS.pool1, { active: POOL_IPS, entered: ["184.72.245.1"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(summary(events)).toEqual([
        {
          type: "retired-ip-seen",
          severity: "high",
          subject: "endpoint:avira-av-updates/aav-update-1.clearswift.net",
          added: ["184.72.245.1"],
          removed: [],
        },
      ]);
      expect(events[0]?.evidence.retired).toEqual([
        { ip: "184.72.245.1", retiredOn: "2018-11-22", note: "Change History 2.3" },
      ]);
    });
  });

  describe.each([
    {
      policy: "cloudfront",
      host: HOSTS.cloudfront,
      inside: "52.84.7.7",
      outside: "203.0.113.9",
      stays: "13.32.1.10",
    },
    {
      policy: "aws-ip-ranges",
      host: HOSTS.aws,
      inside: "18.130.4.4",
      outside: "198.18.0.1",
      stays: "3.8.1.20",
    },
  ])("$policy", ({ host, inside, outside, stays }) => {
    it("accepts an entering IP inside the published ranges: the range rule covers it", () => {
      // Prepare
      const input = driftInput(withHost(host, observation(host, { entered: [inside] })));

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events).toEqual([]);
    });

    it("reports an IP outside every published range as ip-outside-published-ranges and ip-added, both high", () => {
      // Prepare
      const input = driftInput(withHost(host, observation(host, { entered: [outside] })));

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
        ["ip-added", "high", [outside]],
        ["ip-outside-published-ranges", "high", [outside]],
      ]);
      expect(events[1]?.evidence.feed?.sha256).toMatch(/^[ac]{64}$/);
    });

    it("reports an entering IP as ip-added, medium, when no feed snapshot exists to judge it", () => {
      // Prepare
      const input = driftInput(withHost(host, observation(host, { entered: [inside] })), {
        feeds: feeds([], []),
      });

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
        ["ip-added", "medium", [inside]],
      ]);
      expect(events[0]?.reason).toContain("no ");
    });

    it("says nothing when an IP inside the ranges leaves and the listed ranges stay", () => {
      // Prepare: the IP that stays is published in the same region (EC2 eu-west-2)
      const input = driftInput(
        withHost(host, observation(host, { active: [stays], left: [inside] })),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events).toEqual([]);
    });
  });

  describe("rotating and hostname-only: the observed set is the allowlist", () => {
    it("reports IPs entering and leaving a rotating name with lower severity", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.rotating,
          observation(HOSTS.rotating, {
            active: ["162.159.200.1"],
            entered: ["162.159.200.123"],
            left: ["162.159.200.99"],
          }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(summary(events)).toEqual([
        {
          type: "ip-added",
          severity: "medium",
          subject: "endpoint:ntp-server/0.rhel.pool.ntp.org",
          added: ["162.159.200.123"],
          removed: [],
        },
        {
          type: "ip-removed",
          severity: "low",
          subject: "endpoint:ntp-server/0.rhel.pool.ntp.org",
          added: [],
          removed: ["162.159.200.99"],
        },
      ]);
    });

    it("reports IPs entering and leaving a hostname-only name as high and medium", () => {
      // Prepare
      const input = driftInput(
        withHost(
          HOSTS.hostnameOnly,
          observation(HOSTS.hostnameOnly, { entered: ["41.92.10.21"], left: ["41.92.10.20"] }),
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events.map((e) => [e.type, e.severity, e.added, e.removed])).toEqual([
        ["ip-added", "high", ["41.92.10.21"], []],
        ["ip-removed", "medium", [], ["41.92.10.20"]],
      ]);
    });
  });

  describe("first sighting of a rotating or hostname-only name", () => {
    it("takes the first observed set as the baseline, without ip-added", () => {
      // Prepare: nothing was observed before this run
      const input = driftInput(
        steadyState().map((o) =>
          o.hostname === HOSTS.rotating || o.hostname === HOSTS.hostnameOnly
            ? observation(o.hostname, { entered: o.active.map((ip) => ip.ip) })
            : o,
        ),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      expect(events).toEqual([]);
    });

    it("still reports a pinned host's undocumented first answer", () => {
      // Prepare
      const input = driftInput(
        withHost(HOSTS.pinned, observation(HOSTS.pinned, { entered: ["3.10.94.200"] })),
      );

      // Act
      const events = evaluateDrift(input);

      // Assess
      const added = events.filter((e) => e.type === "ip-added");
      expect(added.map((e) => [e.severity, e.added])).toEqual([["high", ["3.10.94.200"]]]);
    });
  });

  it("judges nothing for any-destination and internal rows", () => {
    // Prepare: the two rows have no hostname; give the run an observation named like them anyway
    const input = driftInput([
      ...steadyState(),
      observation("any.example.com", { entered: ["1.1.1.1"] }),
    ]);

    // Act
    const events = evaluateDrift(input);

    // Assess
    const judged = new Set(events.flatMap((e) => e.endpoints.map((ref) => ref.policy)));
    expect(judged.has("any-destination")).toBe(false);
    expect(judged.has("internal")).toBe(false);
    expect(events).toEqual([]);
    expect(catalogue.endpoints.filter((e) => e.hostname === null)).toHaveLength(2);
  });
});
