import { describe, expect, it } from "vitest";
import { abridgeNotification, renderAllowlistExcerpt } from "#cli/demo/render";
import { DemoDeliveryError, matchesExactFilter, parseDelivery } from "#cli/demo/subscribers";

const NOTIFICATION = {
  schemaVersion: 1,
  eventId: "a".repeat(64),
  changeSetId: "b".repeat(64),
  part: 1,
  partCount: 1,
  sequence: 2,
  subject: {
    kind: "endpoint",
    key: "endpoint:x/host.example.net",
    endpointId: "x/host.example.net",
  },
  catalogueId: "clearswift-seg-5.3",
  runId: "demo-1",
  detectedAt: "2026-08-22T09:15:00.000Z",
  severity: "high",
  group: "license-validation",
  eventTypes: ["ip-added"],
  hostnames: ["host.example.net"],
  ports: [443],
  protocols: ["tcp"],
  summary: "host.example.net (license-validation): ip-added +198.51.100.7",
  allowlist: null,
  events: [
    {
      eventId: "c".repeat(64),
      type: "ip-added",
      severity: "high",
      added: ["198.51.100.7"],
      removed: [],
      evidence: { observedAt: "2026-08-22T09:15:00.000Z", ips: [] },
      reason: "host.example.net now resolves to 198.51.100.7.",
      action: "Allow 198.51.100.7.",
      warnings: [],
    },
  ],
};
const STRUCTURE = JSON.stringify({
  default: JSON.stringify(NOTIFICATION),
  email: "driftwatch: 1 change for host.example.net",
});

describe("demo subscribers: reading what a queue received", () => {
  it("reads the JSON and the e-mail text out of an SNS envelope (fauxqs, no raw delivery)", () => {
    // Prepare
    const body = JSON.stringify({
      Type: "Notification",
      Subject: "driftwatch HIGH: ip-added - host.example.net",
      Message: STRUCTURE,
    });

    // Act
    const delivery = parseDelivery(body);

    // Assess
    expect(delivery.notification.sequence).toBe(2);
    expect(delivery.email).toEqual({
      subject: "driftwatch HIGH: ip-added - host.example.net",
      text: "driftwatch: 1 change for host.example.net",
    });
    expect(Object.keys(delivery.json)[0]).toBe("schemaVersion");
  });

  it("reads a raw delivery of the whole structure (fauxqs) and of the default variant alone (AWS)", () => {
    // Act
    const fromFauxqs = parseDelivery(STRUCTURE);
    const fromAws = parseDelivery(JSON.stringify(NOTIFICATION));

    // Assess
    expect(fromFauxqs.notification.eventId).toBe(NOTIFICATION.eventId);
    expect(fromFauxqs.email?.subject).toBe("(no subject)");
    expect(fromAws.notification.eventId).toBe(NOTIFICATION.eventId);
    expect(fromAws.email).toBeUndefined();
  });

  it("rejects a message that is not a driftwatch notification", () => {
    // Act
    const parse = () => parseDelivery(JSON.stringify({ hello: "world" }));

    // Assess
    expect(parse).toThrow(DemoDeliveryError);
  });

  it("matches a filter on a String attribute and on any element of a String.Array attribute", () => {
    // Prepare
    const policy = { group: ["license-validation", "ntp"], eventType: ["ip-removed", "ip-added"] };
    const attributes = {
      group: "license-validation",
      eventType: JSON.stringify(["ip-added", "ip-outside-published-ranges"]),
    };

    // Act
    const matching = matchesExactFilter(policy, attributes);
    const otherGroup = matchesExactFilter(policy, { ...attributes, group: "rss-feed" });
    const missingKey = matchesExactFilter({ ...policy, severity: ["high"] }, attributes);

    // Assess
    expect([matching, otherGroup, missingKey]).toEqual([true, false, false]);
  });
});

describe("demo text", () => {
  it("abridges a notification: ids shortened, evidence named but left out, action dropped", () => {
    // Act
    const abridged = JSON.stringify(abridgeNotification(NOTIFICATION));

    // Assess
    expect(abridged).toContain(`"eventId":"aaaaaaaaaaaa…"`);
    expect(abridged).toContain(`"evidence":"{observedAt, ips} omitted"`);
    expect(abridged).not.toContain("Allow 198.51.100.7.");
    expect(abridged).not.toContain("catalogueId");
  });

  it("shows what an allowlist version added and dropped, not its first lines", () => {
    // Prepare
    const header = "# driftwatch allowlist for firewall group g\n# ports: tcp/443 out\n";
    const before = `${header}192.0.2.1\n192.0.2.2\n192.0.2.3\n`;
    const after = `${header}192.0.2.1\n192.0.2.3\n192.0.2.9\n`;

    // Act
    const text = renderAllowlistExcerpt("allowlists/g.txt", after, before);

    // Assess
    expect(text.split("\n")).toEqual([
      "  allowlists/g.txt  (+1 -1)",
      "    # driftwatch allowlist for firewall group g",
      "    # ports: tcp/443 out",
      "    + 192.0.2.9",
      "    - 192.0.2.2",
      "      (2 other entries unchanged)",
    ]);
  });
});
