import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { parseAddress, parseFeedCidr } from "#shared/observe/feeds/cidr";
import { formatIpv6 } from "#shared/observe/feeds/ip-text";
import { awsSnapshot } from "#test/helpers/feed-fixtures";

/**
 * The hand-written parsers give ipaddr.js's answers. The references below are how driftwatch
 * read addresses and CIDRs with ipaddr.js alone: canonical dotted-decimal IPv4 first, then
 * `IPv6.isValid` + `parse` with IPv4-mapped addresses read as IPv4; a CIDR through `parseCIDR`,
 * canonical for IPv4, without a zone for IPv6, host bits zero.
 */

function referenceAddress(ip: string): { family: 4 | 6; words: number[] } | null {
  const parts = ip.split(".");
  if (parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256)) {
    return { family: 4, words: [parts.reduce((n, p) => n * 256 + Number(p), 0)] };
  }
  if (!ipaddr.IPv6.isValid(ip)) return null;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) {
    const [a, b, c, d] = address.toIPv4Address().octets as [number, number, number, number];
    return { family: 4, words: [((a << 24) | (b << 16) | (c << 8) | d) >>> 0] };
  }
  return { family: 6, words: wordsOf(address.parts) };
}

function wordsOf(parts: number[]): number[] {
  return [0, 1, 2, 3].map((w) => (((parts[2 * w] ?? 0) << 16) | (parts[2 * w + 1] ?? 0)) >>> 0);
}

function referenceCidr(text: string, family: 4 | 6) {
  let bytes: number[];
  let length: number;
  let normal = text;
  try {
    if (family === 4) {
      const [address, bits] = ipaddr.IPv4.parseCIDR(text);
      if (`${address.toString()}/${bits}` !== text) {
        return { ok: false, problem: "is not a canonical dotted-decimal IPv4 CIDR" };
      }
      bytes = address.toByteArray();
      length = bits;
    } else {
      const [address, bits] = ipaddr.IPv6.parseCIDR(text);
      if (address.zoneId !== undefined) return { ok: false, problem: "has a zone id" };
      normal = `${address.toRFC5952String()}/${bits}`;
      bytes = address.toByteArray();
      length = bits;
    }
  } catch {
    return { ok: false, problem: `is not a valid IPv${family} CIDR` };
  }
  const hostBitsSet = bytes.some(
    (byte, i) => (byte & (0xff >> Math.min(8, Math.max(0, length - 8 * i)))) !== 0,
  );
  if (hostBitsSet) return { ok: false, problem: `has host bits set beyond /${length}` };
  const words = [];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push(bytes.slice(i, i + 4).reduce((n, byte) => n * 256 + byte, 0));
  }
  return { ok: true, cidr: { family, text: normal, words, length } };
}

function parsed(ip: string): { family: 4 | 6; words: number[] } | null {
  const out = new Uint32Array(4);
  const family = parseAddress(ip, out);
  if (family === 0) return null;
  return { family, words: Array.from(out.subarray(0, family === 4 ? 1 : 4)) };
}

let seed = 0xc1d7;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/** Random text over the characters addresses are written with. */
function randomText(alphabet: string, maxLength: number): string {
  const length = random() % (maxLength + 1);
  return Array.from({ length }, () => alphabet[random() % alphabet.length]).join("");
}

/** Near-addresses: 1-9 groups of 0-5 hex digits between `:`, `::`, `:::` or `.`, often valid. */
function nearAddress(): string {
  const pick = (options: readonly string[]) => options[random() % options.length] as string;
  const groups = Array.from({ length: 1 + (random() % 9) }, () =>
    randomText("0123456789abcdefABCDEF00", random() % 3 === 0 ? 5 : 4),
  );
  const separators = [":", ":", ":", ":", "::", ".", ":::"];
  const body = groups.reduce((text, group) => `${text}${pick(separators)}${group}`);
  return `${pick(["", "", "", ":", "::"])}${body}${pick(["", "", "", ":", "::"])}`;
}

/** Random words with runs of zero groups, as real addresses have. */
function randomWords(): number[] {
  return [0, 1, 2, 3].map(() => {
    const high = random() % 3 === 0 ? 0 : random() & 0xffff;
    const low = random() % 3 === 0 ? 0 : random() & 0xffff;
    return ((high << 16) | low) >>> 0;
  });
}

/** An IPv6 address written in one of several valid ways, some only ipaddr.js reads. */
function written(words: number[]): string {
  const v6 = ipaddr.fromByteArray(
    words.flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]),
  ) as ipaddr.IPv6;
  const groups = v6.toNormalizedString().split(":");
  const forms = [
    v6.toRFC5952String(),
    v6.toNormalizedString(),
    groups.map((g) => g.padStart(4, "0")).join(":"),
    v6.toRFC5952String().toUpperCase(),
    `${groups.slice(0, 6).join(":")}:${v6.toByteArray().slice(12).join(".")}`,
    `${v6.toRFC5952String()}%eth0`,
  ];
  return forms[random() % forms.length] as string;
}

const EDGE_ADDRESSES = [
  "",
  ":",
  "::",
  ":::",
  "::1",
  "1::",
  ":1",
  "1:",
  "1::2::3",
  "1:::2",
  "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7::",
  "::1:2:3:4:5:6:7",
  "::1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7:8::",
  "12345::",
  "0000:0000::",
  "abcd:EF01::",
  "g::",
  "::ffff:1.2.3.4",
  "::ffff:102:304",
  "::1.2.3.4",
  "::ffff:01.2.3.4",
  "64:ff9b::1.2.3.4",
  "fe80::1%eth0",
  "1.2.3.4",
  "01.2.3.4",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "255.255.255.255",
  "0.0.0.0",
  " 1.2.3.4",
  "1.2.3.4 ",
  "１.2.3.4",
];

describe("reading an address for a lookup", () => {
  it("reads edge cases as ipaddr.js does", () => {
    for (const ip of EDGE_ADDRESSES) expect([ip, parsed(ip)]).toEqual([ip, referenceAddress(ip)]);
  });

  it("reads random text over the address alphabet as ipaddr.js does", () => {
    const texts = [
      ...Array.from({ length: 10_000 }, () => randomText("0123456789abcdefABCDEF:", 14)),
      ...Array.from({ length: 25_000 }, nearAddress),
      ...Array.from({ length: 3_000 }, () => randomText("0123456789.:f%", 16)),
      ...Array.from({ length: 3_000 }, () => randomText("0123456789.", 15)),
    ];

    const references = texts.map(referenceAddress);
    const differing = texts.filter(
      (ip, i) => JSON.stringify(parsed(ip)) !== JSON.stringify(references[i]),
    );

    expect(references.filter((reference) => reference !== null).length).toBeGreaterThan(1_200);
    expect(differing).toEqual([]);
  });

  it("reads random addresses in every way they are written as ipaddr.js does", () => {
    const texts = Array.from({ length: 20_000 }, () => written(randomWords()));

    const differing = texts.filter(
      (ip) => JSON.stringify(parsed(ip)) !== JSON.stringify(referenceAddress(ip)),
    );

    expect(differing).toEqual([]);
  });
});

describe("checking a published CIDR", () => {
  it("gives every real prefix the normal form, network and length ipaddr.js gives", async () => {
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");

    const differing = snapshot.prefixes.filter(
      (p) =>
        JSON.stringify(parseFeedCidr(p.prefix, p.family)) !==
        JSON.stringify(referenceCidr(p.prefix, p.family)),
    );

    expect(differing).toEqual([]);
  });

  it("accepts, normalises and rejects random CIDRs as ipaddr.js does, with the same problem", () => {
    const cidrs: [string, 4 | 6][] = [];
    for (let i = 0; i < 20_000; i++) {
      const words = randomWords();
      const length = random() % 3 === 0 ? random() % 140 : 16 * (random() % 9);
      const network = random() % 4 === 0 ? words : words.map((w, at) => keep(w, length - 32 * at));
      const lengthText = random() % 10 === 0 ? `0${length}` : String(length);
      cidrs.push([`${written(network)}/${lengthText}`, 6]);
      const v4 = [24, 16, 8, 0].map((s) => ((words[0] as number) >>> s) & 255).join(".");
      cidrs.push([`${v4}/${random() % 36}`, 4], [`${v4}/${lengthText}`, random() % 2 ? 4 : 6]);
    }
    cidrs.push(["3.4.12.0/024", 4], ["03.4.12.0/24", 4], ["3.4.12.0/", 4], ["/24", 4]);

    const references = cidrs.map(([text, family]) => referenceCidr(text, family));
    const differing = cidrs.filter(
      ([text, family], i) =>
        JSON.stringify(parseFeedCidr(text, family)) !== JSON.stringify(references[i]),
    );

    expect(references.filter((reference) => reference.ok).length).toBeGreaterThan(5_000);
    expect(differing).toEqual([]);
  });
});

function keep(word: number, bits: number): number {
  if (bits >= 32) return word;
  if (bits <= 0) return 0;
  return (word & ~(0xffffffff >>> bits)) >>> 0;
}

describe("writing an IPv6 address", () => {
  it("writes it as ipaddr.js's toRFC5952String does", () => {
    const words = [
      [0, 0, 0, 0],
      [0, 0, 0, 1],
      [0x00010000, 0, 0, 0],
      [0x00010000, 0x00000001, 0, 0x00010000],
      ...Array.from({ length: 20_000 }, randomWords),
    ];

    const reference = words.map((w) =>
      (
        ipaddr.fromByteArray(
          w.flatMap((x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]),
        ) as ipaddr.IPv6
      ).toRFC5952String(),
    );

    expect(words.map(formatIpv6)).toEqual(reference);
  });
});
