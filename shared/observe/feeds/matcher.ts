import type { FeedPrefix, FeedSnapshotMeta, RangeMatcher } from "#shared/domain/feed";
import { parseAddress, parseFeedCidr } from "./cidr";

/** The prefixes of one network (same address and length), in the order the feed lists them. */
interface PrefixGroup {
  words: readonly number[];
  length: number;
  prefixes: FeedPrefix[];
}

/**
 * A 16-way trie over the address's 4-bit nibbles (a multibit trie with controlled prefix
 * expansion), one per family. Nodes live in one typed array, two Int32s per slot so that a step
 * reads one cache line: slot `16n + v` of node n holds the child for nibble v (0: none; node 0 is
 * the root) and the most specific network seen on the way to it (1 + its index in `answers`; 0:
 * none). A network whose length is not a multiple of 4 fills every slot its last nibble allows.
 * CIDR networks are nested or disjoint, so the answer for an address is the most specific
 * network containing it plus every network containing that one: `answers` holds that list,
 * least specific first, for each network. A lookup walks at most 8 (IPv4) or 32 (IPv6) nodes,
 * allocating only the array it returns.
 */
class NibbleTrie {
  private slots = new Int32Array(2 * 16 * 256);
  private readonly answers: FeedPrefix[][] = [];
  private root = 0;
  private nodes = 1;

  /** Built from the networks of one family (words: one per 32 bits). */
  constructor(groups: readonly PrefixGroup[]) {
    const address = new Uint32Array(4);
    const byLength = [...groups].sort((a, b) => a.length - b.length);
    for (const group of byLength) {
      for (let w = 0; w < group.words.length; w++) address[w] = group.words[w] as number;
      const containing = this.longestMatch(address, group.length);
      const above = containing === 0 ? [] : (this.answers[containing - 1] as FeedPrefix[]);
      this.answers.push([...above, ...group.prefixes]);
      this.insert(address, group.length, this.answers.length);
    }
  }

  /** Every prefix containing the address, least specific first. */
  lookup(address: Uint32Array, bits: number): FeedPrefix[] {
    const found = this.longestMatch(address, bits);
    return found === 0 ? [] : (this.answers[found - 1] as FeedPrefix[]).slice();
  }

  /** 1 + the index of the most specific network containing the address; 0 when none does. */
  private longestMatch(address: Uint32Array, bits: number): number {
    let found = this.root;
    let node = 0;
    for (let level = 0; level * 4 < bits; level++) {
      const slot = ((node << 4) | nibble(address, level)) << 1;
      const network = this.slots[slot + 1] as number;
      if (network !== 0) found = network;
      node = this.slots[slot] as number;
      if (node === 0) break;
    }
    return found;
  }

  /** Marks the slots of a network, inserted after every shorter one (it overrides them). */
  private insert(address: Uint32Array, length: number, network: number): void {
    if (length === 0) {
      this.root = network;
      return;
    }
    const last = (length - 1) >> 2;
    let node = 0;
    for (let level = 0; level < last; level++) {
      const slot = ((node << 4) | nibble(address, level)) << 1;
      let child = this.slots[slot] as number;
      if (child === 0) {
        child = this.allocate();
        this.slots[slot] = child;
      }
      node = child;
    }
    const span = 1 << (4 * (last + 1) - length);
    const first = (node << 4) | (nibble(address, last) & ~(span - 1));
    for (let slot = first; slot < first + span; slot++) this.slots[2 * slot + 1] = network;
  }

  private allocate(): number {
    if ((this.nodes + 1) * 32 > this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      slots.set(this.slots);
      this.slots = slots;
    }
    return this.nodes++;
  }
}

/** Nibble `level` of the address (0: the most significant 4 bits). */
function nibble(address: Uint32Array, level: number): number {
  return ((address[level >>> 3] as number) >>> (28 - ((level & 7) << 2))) & 15;
}

/** The prefixes grouped by network, per family, in first-seen order. */
function groupByNetwork(
  feed: string,
  prefixes: readonly FeedPrefix[],
): Record<4 | 6, PrefixGroup[]> {
  const groups: Record<4 | 6, PrefixGroup[]> = { 4: [], 6: [] };
  const seen = new Map<string, PrefixGroup>();
  for (const prefix of prefixes) {
    const check = parseFeedCidr(prefix.prefix, prefix.family);
    if (!check.ok) {
      throw new RangeError(`${feed}: ${JSON.stringify(prefix.prefix)} ${check.problem}`);
    }
    const key = `${prefix.family}${check.cidr.text}`;
    const group = seen.get(key);
    if (group !== undefined) {
      group.prefixes.push(prefix);
      continue;
    }
    const created = { words: check.cidr.words, length: check.cidr.length, prefixes: [prefix] };
    seen.set(key, created);
    groups[prefix.family].push(created);
  }
  return groups;
}

/**
 * Builds the matcher of one snapshot: `contains(ip)` returns every published prefix (all
 * services, regions and border groups) that contains the IP, least specific first; an empty
 * array when none does. Throws a `RangeError` for text that is not an IP address. `prefixes`
 * lists what the matcher was built from.
 */
export function createRangeMatcher(
  meta: FeedSnapshotMeta,
  prefixes: readonly FeedPrefix[],
): RangeMatcher {
  const groups = groupByNetwork(meta.feed, prefixes);
  const tries = { 4: new NibbleTrie(groups[4]), 6: new NibbleTrie(groups[6]) };
  const all = [...prefixes];
  const address = new Uint32Array(4);
  return {
    feed: meta.feed,
    meta,
    prefixes: all,
    contains(ip: string): FeedPrefix[] {
      const family = parseAddress(ip, address);
      if (family === 4) return tries[4].lookup(address, 32);
      if (family === 6) return tries[6].lookup(address, 128);
      throw new RangeError(`${JSON.stringify(ip)} is not an IP address`);
    },
  };
}
