import { describe, expect, it } from "vitest";
import {
  type AddressRecords,
  type CaresLookup,
  caresAnswer,
  needsChainConfirmation,
} from "#shared/observe/dns/c-ares-answer";
import { RUN_DEADLINE } from "#shared/observe/dns/resolver";

const SERVER = "192.0.2.53:53";
const HOST = "products.example.net";
const records = (...ips: string[]): AddressRecords => ({
  ok: true,
  value: ips.map((address) => ({ address, ttl: 60 })),
});
const NODATA: AddressRecords = { ok: false, outcome: "nodata", detail: "AAAA ENODATA" };

function lookup(extra: Partial<CaresLookup>): CaresLookup {
  return {
    hostname: HOST,
    server: SERVER,
    a: records("13.32.1.10"),
    aaaa: NODATA,
    walk: { chain: [], broken: undefined },
    confirmed: {},
    ...extra,
  };
}

describe("the answer of a c-ares lookup", () => {
  it("takes the records of each family, NODATA as an absence", () => {
    expect(caresAnswer(lookup({}))).toEqual({
      resolver: SERVER,
      outcome: "answered",
      cnameChain: [],
      a: [{ ip: "13.32.1.10", ttl: 60 }],
      aaaa: [],
      families: { a: "answered", aaaa: "nodata" },
    });
  });

  it("believes a NODATA the end of the CNAME chain confirms", () => {
    const walk = { chain: ["edge.example.net"], broken: undefined };

    const answer = caresAnswer(
      lookup({ walk, confirmed: { aaaa: { ok: false, outcome: "nodata", detail: "x" } } }),
    );

    expect(needsChainConfirmation(NODATA, walk)).toBe(true);
    expect(answer.families).toEqual({ a: "answered", aaaa: "nodata" });
    expect(answer.detail).toBeUndefined();
  });

  it("does not believe either family's NODATA when the chain's end has records of one", () => {
    const walk = { chain: ["edge.example.net"], broken: undefined };

    const answer = caresAnswer(
      lookup({
        a: records(),
        aaaa: NODATA,
        walk,
        confirmed: { a: { ok: true, value: ["x"] }, aaaa: { ok: true, value: [] } },
      }),
    );

    expect(answer.families).toEqual({ a: "error", aaaa: "error" });
    expect(answer.outcome).toBe("error");
    expect(answer.detail).toBe(
      `A NODATA for ${HOST}, but the end of its CNAME chain, edge.example.net, has A records`,
    );
  });

  it("turns NODATA on a broken chain into an error that says why", () => {
    const broken = `CNAME loop: ${HOST} → edge.example.net → ${HOST}`;
    const walk = { chain: ["edge.example.net"], broken };

    const answer = caresAnswer(lookup({ a: records(), walk }));

    expect(needsChainConfirmation(NODATA, walk)).toBe(false);
    expect(answer.families).toEqual({ a: "error", aaaa: "error" });
    expect(answer.detail).toBe(broken);
  });

  it("says only 'run deadline' when the deadline is all that failed", () => {
    const late: AddressRecords = { ok: false, outcome: "timeout", detail: RUN_DEADLINE };

    const answer = caresAnswer(lookup({ a: late, aaaa: late }));

    expect(answer).toMatchObject({ outcome: "timeout", a: [], detail: RUN_DEADLINE });
  });

  it("needs no confirmation of records, of a failure, or without a chain", () => {
    const walk = { chain: ["edge.example.net"], broken: undefined };

    expect(needsChainConfirmation(records("13.32.1.10"), walk)).toBe(false);
    expect(
      needsChainConfirmation({ ok: false, outcome: "servfail", detail: "A ESERVFAIL" }, walk),
    ).toBe(false);
    expect(needsChainConfirmation(NODATA, { chain: [], broken: undefined })).toBe(false);
  });
});
