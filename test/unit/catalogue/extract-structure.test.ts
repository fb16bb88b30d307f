import { describe, expect, it } from "vitest";
import { extractCatalogueDraft } from "#shared/catalogue/extract/extract-catalogue-draft";
import { normaliseText } from "#shared/catalogue/extract/normalise-text";
import { portsInProse, servicePorts } from "#shared/catalogue/extract/ports-in-prose";
import { alignedTablesAsTabs } from "#shared/catalogue/extract/space-aligned-tables";
import { splitSections } from "#shared/catalogue/extract/split-sections";

const ports = (list: { protocol: string; port: number; direction: string }[]) =>
  list.map((p) => `${p.protocol}/${p.port}/${p.direction}`);

describe("reading a document's structure", () => {
  it("turns a multi-line HTML table into one tab row per <tr>, keeping the line count", () => {
    // Prepare
    const html = [
      "<h2>Cloud</h2>",
      "<table>",
      "<tr>",
      "  <td>Updates</td>",
      "  <td>a.example.com<br>b.example.com</td>",
      "</tr>",
      "<tr><td>Time</td><td>t.example.com</td></tr>",
      "</table>",
      "<ul><li>c.example.com</li></ul>",
    ].join("\n");

    // Act
    const lines = normaliseText(html).split("\n");

    // Assess
    expect(lines).toHaveLength(9);
    expect(lines[0]?.trim()).toBe("## Cloud");
    expect(lines[2]).toBe("Updates\ta.example.com b.example.com");
    expect(lines.slice(3, 6).every((l) => l.trim() === "")).toBe(true);
    expect(lines[6]).toBe("Time\tt.example.com");
    expect(lines[8]?.trim()).toBe("- c.example.com");
  });

  it("reads a space-aligned table by column, a continuation row starting with empty cells", () => {
    // Prepare
    const text = [
      "Service     Port   Host",
      "----------  -----  ----------------",
      "Updates     80     a.example.com",
      "                   b.example.com",
      "",
      "Prose with  two spaces  stays prose.",
    ];

    // Act
    const rows = alignedTablesAsTabs(text);

    // Assess
    expect(rows).toEqual([
      "Service\tPort\tHost",
      "",
      "Updates\t80\ta.example.com",
      "\t\tb.example.com",
      "",
      "Prose with  two spaces  stays prose.",
    ]);
  });

  it("takes a short title above a bullet list as a heading, with the ports it names", () => {
    // Prepare
    const lines = [
      "Updates (TCP 80, outbound)",
      "- a.example.com",
      "",
      "123 UDP",
      "- ntp.example.com",
      "The servers listed here are reached over the following names:",
      "- c.example.com",
    ];

    // Act
    const sections = splitSections(lines, "Document");

    // Assess
    expect(sections.map((s) => [s.title, s.line, ports(s.headingPorts)])).toEqual([
      ["Updates (TCP 80, outbound)", 1, ["tcp/80/out"]],
      ["123 UDP", 4, ["udp/123/out"]],
    ]);
    expect(sections[1]?.blocks.map((b) => b.line)).toEqual([5, 6, 7]);
  });

  it("reads 123 UDP, UDP/TCP 53 and service words", () => {
    expect(ports(portsInProse("123 UDP and UDP/TCP 53")).sort()).toEqual([
      "tcp/53/out",
      "udp/123/out",
      "udp/53/out",
    ]);
    expect(ports(servicePorts("Portal (https), time (ntp), reached over HTTP"))).toEqual([
      "tcp/443/out",
      "udp/123/out",
      "tcp/80/out",
    ]);
    expect(servicePorts("access over HTTP/S")).toEqual([]);
  });

  it("takes a host's ports from host:port, its URL (always TCP) or its heading, and flags a bare guess", () => {
    // Prepare
    const text = [
      "# Hosts",
      "",
      "Downloads (UDP 69)",
      "- tftp.example.com:69",
      "- https://portal.example.com",
      "- http://mirror.example.com:8080",
      "",
      "Other",
      "- other.example.com:9000",
    ].join("\n");

    // Act
    const draft = extractCatalogueDraft(text, { vendor: "V", product: "P" });
    const byHost = new Map(draft.endpoints.map((e) => [e.hostname, e]));

    // Assess
    expect(ports(byHost.get("tftp.example.com")?.ports ?? [])).toEqual(["udp/69/out"]);
    expect(ports(byHost.get("portal.example.com")?.ports ?? [])).toEqual(["tcp/443/out"]);
    expect(ports(byHost.get("mirror.example.com")?.ports ?? [])).toEqual(["tcp/8080/out"]);
    expect(ports(byHost.get("other.example.com")?.ports ?? [])).toEqual(["tcp/9000/out"]);
    expect(draft.reviewFlags).toEqual([
      expect.objectContaining({
        subject: expect.stringContaining("other.example.com"),
        line: 9,
        reason: "port 9000 written without a protocol; tcp assumed",
      }),
    ]);
  });
});
