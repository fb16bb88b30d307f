import type { PublishCommandInput } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import type { DriftEvent, EndpointRef } from "#shared/compare/drift-event";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import { buildNotifications } from "#shared/notify/build-notifications";
import { SNS_MAX_PUBLISH_BYTES, toPublishInput } from "#shared/notify/sns-encoding";
import { type ChangeSet, changeSetIdOf } from "#shared/record/change-set";
import { expectValidNotifications, notificationSchemaErrors } from "#test/helpers/notify-schema";
import { driftInput, feeds, HOSTS, NOW, observation, RUN_ID } from "#test/helpers/verdict-fixtures";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:driftwatch-events";

/**
 * What SNS documents for one Publish (API_Publish, API_MessageAttributeValue,
 * sns-message-attributes): at most 10 attributes (more are discarded for raw SQS delivery);
 * names of A-Za-z0-9 _ - . up to 256 characters, not starting or ending with a period, no two in
 * a row, not starting with AWS. or Amazon.; name, type and value never empty; a String.Array
 * value is a JSON array of strings, numbers, booleans or nulls; message, subject and every
 * attribute's name, type and value together at most 256 KiB; with `MessageStructure: json`, a
 * JSON object of strings with a `default` key; an e-mail subject of printable ASCII, at most 100
 * characters, starting with a letter, number or punctuation mark.
 */
function snsPublishViolations(input: PublishCommandInput): string[] {
  const violations: string[] = [];
  const attributes = Object.entries(input.MessageAttributes ?? {});
  if (attributes.length > 10) violations.push(`${attributes.length} message attributes`);
  let bytes = Buffer.byteLength(input.Message ?? "") + Buffer.byteLength(input.Subject ?? "");
  for (const [name, value] of attributes) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? "");
    bytes += Buffer.byteLength(value.StringValue ?? "");
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws|amazon)\./i.test(name)
    ) {
      violations.push(`attribute name ${name}`);
    }
    if (!["String", "String.Array", "Number", "Binary"].includes(value.DataType ?? "")) {
      violations.push(`${name}: data type ${value.DataType}`);
    }
    if (!value.StringValue) violations.push(`${name}: empty value`);
    if (value.DataType === "String.Array") {
      const parsed: unknown = JSON.parse(value.StringValue ?? "null");
      if (
        !Array.isArray(parsed) ||
        parsed.some((v) => v !== null && !["string", "number", "boolean"].includes(typeof v))
      ) {
        violations.push(`${name}: not an array of strings, numbers, booleans or nulls`);
      }
    }
  }
  if (bytes > SNS_MAX_PUBLISH_BYTES) violations.push(`${bytes} bytes`);
  if (input.MessageStructure === "json") {
    const structure = JSON.parse(input.Message ?? "null") as Record<string, unknown>;
    if (typeof structure?.default !== "string") violations.push("no default message");
    for (const [key, value] of Object.entries(structure ?? {})) {
      if (typeof value !== "string") violations.push(`${key}: not a string`);
    }
  }
  const subject = input.Subject ?? "";
  if (subject.length > 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
    violations.push(`subject ${JSON.stringify(subject)}`);
  }
  return violations;
}

/** A rotating name's new addresses, with its rule widened to `hosts` hostnames and `ports` ports. */
function wideChangeSet(addresses: number, hosts: number, ports: number): ChangeSet {
  const entered = Array.from({ length: addresses }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.7`);
  const [event] = evaluateDrift(
    driftInput([observation(HOSTS.rotating, { active: ["162.159.200.1"], entered })], {
      feeds: feeds([], []),
    }),
  ).filter((e) => e.type === "ip-added");
  if (event === undefined) throw new Error("no ip-added event");
  const [rule] = event.endpoints as [EndpointRef];
  const endpoints: EndpointRef[] = Array.from({ length: hosts }, (_, h) => ({
    ...rule,
    id: `${rule.id}-${h}`,
    hostname: `mirror-${h}.updates.example-vendor.com`,
    ports: Array.from({ length: ports }, (_, p) => ({
      protocol: p % 2 === 0 ? "tcp" : "udp",
      port: 8000 + p,
      direction: "out",
    })),
  }));
  const wide: DriftEvent = { ...event, endpoints };
  return {
    changeSetId: changeSetIdOf(wide.subject.key, [wide.eventId]),
    subject: wide.subject,
    group: wide.group,
    sequence: 1,
    runId: RUN_ID,
    catalogueId: "clearswift-seg-5.3",
    createdAt: NOW.toISOString(),
    events: [wide],
  };
}

describe("SNS publish limits", () => {
  it.each([
    [50, 1],
    [1, 30],
  ])(
    "publishes an event touching %i hostnames and %i ports within SNS's attribute rules",
    (hosts, ports) => {
      // Prepare
      const changeSet = wideChangeSet(3, hosts, ports);

      // Act
      const messages = buildNotifications(changeSet);

      // Assess
      expect(messages).toHaveLength(1);
      expectValidNotifications(messages.map((m) => m.body));
      const input = toPublishInput(TOPIC, messages[0] as (typeof messages)[number]);
      expect(snsPublishViolations(input)).toEqual([]);
      expect(JSON.parse(input.MessageAttributes?.hostname?.StringValue ?? "[]")).toHaveLength(
        hosts,
      );
      expect(JSON.parse(input.MessageAttributes?.port?.StringValue ?? "[]")).toHaveLength(ports);
    },
  );

  it("splits a large change set of a wide rule into parts that each pass SNS's limits, envelope and attributes included", () => {
    // Prepare: 6,000 new addresses for a rule of 50 hostnames with 2 ports each
    const changeSet = wideChangeSet(6000, 50, 2);

    // Act
    const messages = buildNotifications(changeSet);

    // Assess
    expect(messages.length).toBeGreaterThan(1);
    expectValidNotifications(messages.map((m) => m.body));
    for (const message of messages) {
      expect(snsPublishViolations(toPublishInput(TOPIC, message))).toEqual([]);
      expect(snsPublishViolations(toPublishInput(`${TOPIC}.fifo`, message))).toEqual([]);
    }
    const added = messages.flatMap((m) => m.body.events.flatMap((e) => e.added));
    expect(added).toEqual(changeSet.events[0]?.added);
  });
});

describe("the notification JSON Schema", () => {
  const [valid] = buildNotifications(wideChangeSet(2, 1, 1)).map((m) => m.body);
  const mutations: [string, (message: Record<string, unknown>) => void][] = [
    ["without schemaVersion", (m) => delete m.schemaVersion],
    ["with another schemaVersion", (m) => Object.assign(m, { schemaVersion: 2 })],
    ["with an unknown property", (m) => Object.assign(m, { extra: true })],
    ["with an eventId that is not a sha256", (m) => Object.assign(m, { eventId: "abc" })],
    ["with part 0", (m) => Object.assign(m, { part: 0 })],
    ["with sequence 0", (m) => Object.assign(m, { sequence: 0 })],
    ["with an unknown severity", (m) => Object.assign(m, { severity: "critical" })],
    ["with an unknown event type", (m) => Object.assign(m, { eventTypes: ["ip-moved"] })],
    ["with no events", (m) => Object.assign(m, { events: [] })],
    ["with port 70000", (m) => Object.assign(m, { ports: [70000] })],
    ["with a detectedAt that is not a date-time", (m) => Object.assign(m, { detectedAt: "today" })],
    [
      "with an event added address that is not an address",
      (m) => {
        const [event] = m.events as Record<string, unknown>[];
        Object.assign(event ?? {}, { added: ["not-an-ip"] });
      },
    ],
    [
      "with an event missing its evidence",
      (m) => {
        const [event] = m.events as Record<string, unknown>[];
        delete event?.evidence;
      },
    ],
  ];

  it("accepts the unmutated message", () => {
    expect(notificationSchemaErrors(valid)).toEqual([]);
  });

  it.each(mutations)("rejects a message %s", (_, mutate) => {
    // Prepare
    const message = structuredClone(valid) as unknown as Record<string, unknown>;

    // Act
    mutate(message);

    // Assess
    expect(notificationSchemaErrors(message)).not.toEqual([]);
  });
});
