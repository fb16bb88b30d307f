import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderReport } from "#cli/render-report";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  type DetectionCycleDeps,
  type DetectionCycleResult,
  runDetectionCycle,
} from "#shared/detect/detection-cycle";
import { buildDetectionReport } from "#shared/detect/report";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { documentPointerKey } from "#shared/observe/vendor-document/check-vendor-document";
import { createHttpDocumentFetcher } from "#shared/observe/vendor-document/http-document-fetcher";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";
import { type FeedServer, startFeedServer } from "#test/helpers/feed-server";
import { type Delivered, drainQueue, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * The vendor's page, watched by the detection cycle against the embedded stack: a loopback HTTP
 * server serves a ports page that the tests revise, break and restore between cycles.
 */

const PAGE_V1 = `<html><head><title>Ports</title><script>var t = 1;</script></head><body>
<h1>Clearswift SECURE Email Gateway: ports and protocols</h1>
<table>
<tr><th>Service</th><th>Host</th><th>Port</th></tr>
<tr><td>Updates</td><td>products.clearswift.net</td><td>443</td></tr>
<tr><td>Licensing</td><td>applianceupdate.clearswift.com</td><td>443</td></tr>
<tr><td>Spam rules</td><td>sn60.mailshell.net</td><td>80</td></tr>
</table></body></html>`;
/** The same text in other markup (a tracking script changed, attributes added). */
const PAGE_V1_RESTYLED = PAGE_V1.replace("var t = 1;", "var t = 2;").replace(
  "<table>",
  '<table class="ports" data-rev="7">',
);
/** Issue 3.7: the spam-rules host moved and a new service appeared. */
const PAGE_V2 = PAGE_V1.replace("sn60.mailshell.net", "sn61.mailshell.net").replace(
  "</table>",
  "<tr><td>Telemetry</td><td>telemetry.clearswift.com</td><td>443</td></tr>\n</table>",
);

interface Page {
  status: number;
  body: string;
  contentType: string;
}

let stack: EmbeddedStack;
let dns: ZoneDnsServer;
let resolver: DnsResolver;
let server: FeedServer;
let page: Page;
let catalogue: Catalogue;

beforeEach(async () => {
  stack = await startTestStack();
  dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
  resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  page = { status: 200, body: PAGE_V1, contentType: "text/html; charset=utf-8" };
  server = await startFeedServer({
    "/ports": (request, response) => {
      if (page.status !== 200) {
        response.writeHead(page.status, { "content-type": "text/plain" }).end("unavailable");
        return;
      }
      const etag = `"${createHash("sha256").update(`${page.contentType}\n${page.body}`).digest("hex").slice(0, 16)}"`;
      if (request.headers["if-none-match"] === etag) {
        response.writeHead(304, { etag }).end();
        return;
      }
      response.writeHead(200, { "content-type": page.contentType, etag }).end(page.body);
    },
  });
  const shipped = await loadCatalogueFile();
  catalogue = {
    ...shipped,
    document: { ...shipped.document, source: { url: server.url("/ports") } },
  };
});
afterEach(async () => {
  resolver.close();
  await server.close();
  await dns.stop();
  await stack.stop();
});

function cycleDeps(): DetectionCycleDeps & {
  judge: ReturnType<typeof faultableCycleDeps>["judge"];
} {
  const { deps, judge } = faultableCycleDeps(stack, resolver);
  return {
    ...deps,
    documentFetcher: createHttpDocumentFetcher({ timeoutMs: 2_000, maxBytes: 64 * 1024 }),
    judge,
  };
}

/** A cycle at `minutes` after the first, with a fresh run id like the CLI (or `runId`). */
function cycle(
  deps: DetectionCycleDeps,
  minutes: number,
  options: { catalogue?: Catalogue; runId?: string } = {},
): Promise<DetectionCycleResult> {
  const now = new Date(Date.parse("2026-12-03T10:00:00Z") + minutes * 60_000);
  return runDetectionCycle(deps, {
    catalogue: options.catalogue ?? catalogue,
    runId: options.runId ?? `cli-${now.toISOString()}`,
    now,
    deadline: Date.now() + 20_000,
    feeds: [
      { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-17-05") },
      { id: "cloudfront", url: CLOUDFRONT_URL },
    ],
    feedOptions: { grace: DEFAULT_FEED_GRACE },
  });
}

function documentEvents(result: DetectionCycleResult) {
  return result.drift.changeSets
    .flatMap((set) => set.events)
    .filter((event) => event.type === "vendor-document-changed");
}

function deliveredDocumentEvents(delivered: readonly Delivered[]) {
  return delivered.flatMap(({ notification }) =>
    notification.events.filter((event) => event.type === "vendor-document-changed"),
  );
}

describe("the detection cycle watches the vendor's page the catalogue names", () => {
  it("takes a baseline, then raises one vendor-document-changed, delivered once, when the page changes", async () => {
    // Prepare
    const deps = cycleDeps();
    const queueUrl = subscribeQueue(stack, "every-change");

    // Act: baseline, unchanged (304), restyled (same text), revised, then unchanged again
    const baseline = await cycle(deps, 0);
    const atBaseline = await drainQueue(stack, queueUrl);
    const notModified = await cycle(deps, 15);
    page.body = PAGE_V1_RESTYLED;
    const restyled = await cycle(deps, 30);
    page.body = PAGE_V2;
    const revised = await cycle(deps, 45);
    const afterRevision = await drainQueue(stack, queueUrl);
    const again = await cycle(deps, 60);
    const afterwards = await drainQueue(stack, queueUrl);

    // Assess
    expect(baseline.document?.status).toBe("baseline");
    expect(deliveredDocumentEvents(atBaseline)).toEqual([]);
    expect(notModified.document?.status).toBe("not-modified");
    expect(server.requests[1]?.ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
    expect(restyled.document?.status).toBe("unchanged");
    expect(documentEvents(restyled)).toEqual([]);
    expect(revised.document?.status).toBe("changed");
    expect(documentEvents(revised)).toHaveLength(1);
    const delivered = deliveredDocumentEvents(afterRevision);
    expect(delivered).toHaveLength(1);
    expect(
      afterRevision.filter((d) => d.notification.eventTypes.includes("vendor-document-changed")),
    ).toHaveLength(1);
    const evidence = delivered[0]?.evidence.document;
    expect(evidence?.diff).toContain(
      "-Spam rules\tsn60.mailshell.net\t80\n+Spam rules\tsn61.mailshell.net\t80\n",
    );
    expect(evidence?.diff).toContain("+Telemetry\ttelemetry.clearswift.com\t443\n");
    expect(evidence).toMatchObject({ linesAdded: 2, linesRemoved: 1, truncated: false });
    expect(again.document?.status).toBe("not-modified");
    expect(deliveredDocumentEvents(afterwards)).toEqual([]);

    // Both versions are archived, content-addressed, and the pointer names the new one.
    const archive = createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName });
    const texts = await Promise.all(
      [evidence?.previousArchiveKey, evidence?.archiveKey].map(async (key) => {
        const object = await archive.get(key ?? "missing");
        return new TextDecoder().decode(object?.bytes);
      }),
    );
    expect(texts[0]).toContain("sn60.mailshell.net");
    expect(texts[1]).toContain("sn61.mailshell.net");
    expect(texts[1]).not.toContain("var t");
    const pointer = await archive.get(documentPointerKey(catalogue.id));
    expect(JSON.parse(new TextDecoder().decode(pointer?.bytes))).toMatchObject({
      version: { sha256: evidence?.sha256 },
    });
  });

  it("raises nothing for a page flapping between failures and the same content", async () => {
    // Prepare
    const deps = cycleDeps();
    const queueUrl = subscribeQueue(stack, "every-change");
    await cycle(deps, 0);
    await drainQueue(stack, queueUrl);

    // Act: 503, back, too large, back (restyled), an image, back
    const statuses: string[] = [];
    const events: unknown[] = [];
    const steps: Partial<Page>[] = [
      { status: 503 },
      { status: 200 },
      { body: `${PAGE_V1}${" ".repeat(70 * 1024)}` },
      { body: PAGE_V1_RESTYLED },
      { contentType: "image/png" },
      { contentType: "text/html" },
    ];
    for (const [i, step] of steps.entries()) {
      page = { ...page, ...step };
      const result = await cycle(deps, 15 * (i + 1));
      statuses.push(result.document?.status ?? "none");
      events.push(...documentEvents(result));
    }
    const delivered = await drainQueue(stack, queueUrl);

    // Assess
    expect(statuses).toEqual([
      "unreachable",
      "not-modified",
      "rejected",
      "unchanged",
      "rejected",
      "unchanged",
    ]);
    expect(events).toEqual([]);
    expect(deliveredDocumentEvents(delivered)).toEqual([]);
  });

  it("raises a change once when a retry finds it again (crash before the pointer moved, redelivered run)", async () => {
    // Prepare: a baseline; the pointer as it was before the change
    const deps = cycleDeps();
    const queueUrl = subscribeQueue(stack, "every-change");
    await cycle(deps, 0);
    await drainQueue(stack, queueUrl);
    const archive = createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName });
    const before = await archive.get(documentPointerKey(catalogue.id));
    page.body = PAGE_V2;

    // Act: the compare step fails once (nothing committed), the next cycle commits the change;
    // then the pointer is put back as a crash after the commit would have left it, and the same
    // run is redelivered.
    deps.judge.arm();
    const crashed = await cycle(deps, 15).catch((error: unknown) => error);
    const committed = await cycle(deps, 30);
    await archive.putIfChanged(
      documentPointerKey(catalogue.id),
      before?.bytes ?? new Uint8Array(),
      "application/json",
    );
    const redelivered = await cycle(deps, 30);
    const delivered = await drainQueue(stack, queueUrl);

    // Assess
    expect(crashed).toMatchObject({ message: expect.stringMatching(/injected/) });
    expect(documentEvents(committed)).toHaveLength(1);
    expect(redelivered.document?.status).toBe("changed");
    expect(documentEvents(redelivered)).toEqual([]);
    expect(deliveredDocumentEvents(delivered).map((e) => e.eventId)).toEqual(
      documentEvents(committed).map((e) => e.eventId),
    );
  });

  it("reports an offline URL as a status in the run's output, with no event and the exit code unchanged", async () => {
    // Prepare: nothing listens on the catalogue's URL
    const deps = cycleDeps();
    const offline: Catalogue = {
      ...catalogue,
      document: {
        ...catalogue.document,
        source: { url: `http://127.0.0.1:${await closedLoopbackPort()}/ports` },
      },
    };
    const locations = {
      mode: "embedded" as const,
      allowlists: "a",
      history: "h",
      notifications: "n",
    };

    // Act
    const first = await cycle(deps, 0, { catalogue: offline });
    const second = await cycle(deps, 15, { catalogue: offline });
    const withoutSource = await cycle(deps, 30, {
      catalogue: { ...offline, document: { ...catalogue.document, source: undefined } },
    });

    // Assess
    for (const result of [first, second]) {
      expect(result.document).toMatchObject({
        status: "unreachable",
        reason: expect.stringContaining("ECONNREFUSED"),
      });
      expect(documentEvents(result)).toEqual([]);
    }
    const report = buildDetectionReport(second, locations);
    const baselineReport = buildDetectionReport(withoutSource, locations);
    expect(report.document).toMatchObject({ status: "unreachable" });
    expect(report.exit).toEqual(baselineReport.exit);
    expect(report.events.filter((e) => e.type === "vendor-document-changed")).toEqual([]);
    const text = renderReport(report);
    expect(text).toMatch(
      /Vendor document\n {2}STATUS +VERSION +CHANGES +URL +REASON\n {2}unreachable +none yet +- +http:\/\/127\.0\.0\.1:\d+\/ports +ECONNREFUSED/,
    );
    expect(renderReport(baselineReport)).not.toContain("Vendor document");
  });
});
