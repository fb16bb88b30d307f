import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { createAuditRouter } from "#shared/query/api/audit-router";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";
import type { EndpointState } from "#shared/query/state-at";
import { fakeChangeSets, fakeObservations } from "#test/helpers/query-fakes";

/**
 * The audit API of a deployment watching two catalogues: `?catalogue=ID` on /state, /changes
 * and /ips/{ip} answers from that catalogue, none from the default as before; a catalogue the
 * deployment does not watch is a 404 naming it (and never read), a malformed one a 400.
 */

const CLEARSWIFT = "clearswift-seg-5.3";
const SOPHOS = "sophos-email-appliance";

let catalogues: Map<string, Catalogue>;
beforeAll(async () => {
  const all = [
    await loadCatalogueFile(),
    await loadCatalogueFile("fixtures/catalogue/sophos-email-appliance.json"),
  ];
  catalogues = new Map(all.map((catalogue) => [catalogue.id, catalogue]));
});

/** Nothing observed yet; `loaded` records every catalogue read. */
function twoCatalogueRouter(defaultCatalogueId?: string) {
  const loaded: string[] = [];
  const deps: AuditApiDeps = {
    observations: {
      ...fakeObservations({}).queries,
      latestObservations: async () => new Map(),
      hostsForIp: async () => [],
    },
    events: {
      ...fakeChangeSets([]).pages,
      publishedChangeSets: async () => ({ changeSets: [], cursor: null }),
    },
    catalogue: async (catalogueId) => {
      loaded.push(catalogueId);
      const catalogue = catalogues.get(catalogueId);
      if (catalogue === undefined) throw new Error(`catalogue ${catalogueId} was read`);
      return catalogue;
    },
    catalogueIds: [CLEARSWIFT, SOPHOS],
    ...(defaultCatalogueId === undefined ? {} : { defaultCatalogueId }),
    now: () => new Date("2026-08-21T12:00:00.000Z"),
  };
  const route = createAuditRouter({ ...deps, logger: { error: () => undefined } });
  const get = async (path: string, query: Record<string, string> = {}) => {
    const response = await route({ method: "GET", path, query, requestId: "req-2" });
    return { status: response.statusCode, json: JSON.parse(response.body) };
  };
  return { get, loaded };
}

const endpointIds = (json: { endpoints: EndpointState[] }) =>
  json.endpoints.map((endpoint) => endpoint.endpointId);
const catalogued = (id: string) => catalogues.get(id)?.endpoints.map((endpoint) => endpoint.id);

describe("the audit API of two catalogues", () => {
  it("GET /state answers the default catalogue without ?catalogue, the one named with it", async () => {
    const { get, loaded } = twoCatalogueRouter();

    const plain = await get("/state", { limit: "1000" });
    const sophos = await get("/state", { limit: "1000", catalogue: SOPHOS });

    expect(plain.status).toBe(200);
    expect(plain.json.catalogueId).toBe(CLEARSWIFT);
    expect(endpointIds(plain.json)).toEqual(catalogued(CLEARSWIFT));
    expect(sophos.json.catalogueId).toBe(SOPHOS);
    expect(endpointIds(sophos.json)).toEqual(catalogued(SOPHOS));
    expect(loaded).toEqual([CLEARSWIFT, SOPHOS]);
  });

  it("GET /changes and /ips/{ip} read the catalogue named, the configured default otherwise", async () => {
    const { get, loaded } = twoCatalogueRouter(SOPHOS);

    const changes = await get("/changes", { from: "2026-08-01" });
    const named = await get("/changes", { from: "2026-08-01", catalogue: CLEARSWIFT });
    const ip = await get("/ips/192.0.2.1", { catalogue: CLEARSWIFT });
    const plainIp = await get("/ips/192.0.2.1");

    expect([changes.status, named.status, ip.status, plainIp.status]).toEqual([200, 200, 200, 200]);
    expect(changes.json.catalogueId).toBe(SOPHOS);
    expect(named.json.catalogueId).toBe(CLEARSWIFT);
    expect(ip.json).toMatchObject({ catalogueId: CLEARSWIFT, ip: "192.0.2.1", hosts: [] });
    expect(plainIp.json.catalogueId).toBe(SOPHOS);
    expect(loaded).toEqual([SOPHOS, CLEARSWIFT, CLEARSWIFT, SOPHOS]);
  });

  it("answers 404 naming a catalogue the deployment does not watch, without reading it", async () => {
    const { get, loaded } = twoCatalogueRouter();

    for (const [path, query] of [
      ["/state", {}],
      ["/changes", { from: "2026-08-01" }],
      ["/ips/192.0.2.1", {}],
    ] as const) {
      const answer = await get(path, { ...query, catalogue: "retired-vendor" });
      expect(answer.status, path).toBe(404);
      expect(answer.json).toMatchObject({
        error: "not-found",
        reason: "unknown-catalogue",
        catalogue: "retired-vendor",
        message: `no catalogue "retired-vendor" in this deployment: it watches ${CLEARSWIFT}, ${SOPHOS}`,
      });
    }
    expect(loaded).toEqual([]);
  });

  it.each(["", "Sophos", `${CLEARSWIFT},${SOPHOS}`])(
    "answers 400 on the parameter catalogue for %j",
    async (value) => {
      const { get, loaded } = twoCatalogueRouter();

      const answer = await get("/state", { catalogue: value });

      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: "bad-request", parameter: "catalogue" });
      expect(answer.json.message).toContain(`${JSON.stringify(value)} is not a catalogue id`);
      expect(loaded).toEqual([]);
    },
  );
});
