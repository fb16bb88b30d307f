import type { FeedPrefix, FeedSnapshotMeta, RangeMatcher } from "#shared/domain/feed";
import { feedCidrNetwork, parseAddress, parseFeedCidr } from "./cidr";

/** The prefixes of one family with their networks: `words` from `i * width`, `lengths[i]`. */
interface ParsedPrefixes {
  width: 1 | 4;
  prefixes: FeedPrefix[];
  words: Uint32Array;
  lengths: Uint8Array;
}

/**
 * A 16-way trie over the address's 4-bit nibbles (a multibit trie with controlled prefix
 * expansion), one per family. Nodes live in one typed array, two numbers per slot so that a step
 * reads one cache line: slot `16n + v` of node n holds the child for nibble v (0: none; node 0 is
 * the root) and the most specific network seen on the way to it (1 + its index; 0: none). A
 * network whose length is not a multiple of 4 fills every slot its last nibble allows. CIDR
 * networks are nested or disjoint, so the answer for an address is the most specific network
 * containing it plus every network containing that one: that list, least specific first, is
 * kept for each network. A lookup walks at most 8 (IPv4) or 32 (IPv6) nodes and copies one
 * list, allocating only the array it returns.
 */
class NibbleTrie {
  private slots: Int32Array | Uint16Array = new Int32Array(2 * 16 * 256);
  /** While building: each network's answer, and its length. */
  private answers: FeedPrefix[][] = [];
  private lengths: number[] = [];
  /** Built: the answers one after another, network i's from `spans[2i]` to `spans[2i + 1]`. */
  private flat: FeedPrefix[] = [];
  private spans = new Int32Array(0);
  private root = 0;
  private nodes = 1;

  /**
   * Inserts the networks shortest first, so each finds the networks containing it already in
   * place; a network listed again (another service, region or border group) joins its answer.
   */
  constructor({ width, prefixes, words, lengths }: ParsedPrefixes) {
    const address = new Uint32Array(4);
    for (const i of byLength(lengths, width * 32)) {
      for (let w = 0; w < width; w++) address[w] = words[i * width + w] as number;
      const length = lengths[i] as number;
      const prefix = prefixes[i] as FeedPrefix;
      const containing = this.longestMatch(address, length);
      if (containing !== 0 && this.lengths[containing - 1] === length) {
        (this.answers[containing - 1] as FeedPrefix[]).push(prefix);
        continue;
      }
      const answer = containing === 0 ? [] : (this.answers[containing - 1] as FeedPrefix[]).slice();
      answer.push(prefix);
      this.answers.push(answer);
      this.lengths.push(length);
      this.insert(address, length, this.answers.length);
    }
    this.compact();
  }

  /**
   * The slots as 16-bit numbers when every node and network index fits (a feed has a few
   * thousand nodes and about as many networks as prefixes): a node is then 64 bytes, one cache
   * line, and the whole trie a few hundred KB. The answers in one array: a lookup reads one span
   * and copies it, instead of following an array of arrays.
   */
  private compact(): void {
    if (this.nodes <= 0xffff && this.answers.length <= 0xffff) {
      this.slots = Uint16Array.from(this.slots.subarray(0, this.nodes * 32));
    }
    this.spans = new Int32Array(2 * this.answers.length);
    this.answers.forEach((answer, i) => {
      this.spans[2 * i] = this.flat.length;
      for (const prefix of answer) this.flat.push(prefix);
      this.spans[2 * i + 1] = this.flat.length;
    });
    this.answers = [];
    this.lengths = [];
  }

  /** Every prefix containing the address, least specific first. */
  lookup(address: Uint32Array, bits: number): FeedPrefix[] {
    const found = this.longestMatch(address, bits);
    if (found === 0) return [];
    const at = 2 * (found - 1);
    return this.flat.slice(this.spans[at] as number, this.spans[at + 1] as number);
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

/** Indices of `lengths` ordered by length, in their order among equals (a counting sort). */
function byLength(lengths: Uint8Array, max: number): Int32Array {
  const starts = new Int32Array(max + 2);
  for (const length of lengths) starts[length + 1] = (starts[length + 1] as number) + 1;
  for (let length = 1; length <= max + 1; length++) {
    starts[length] = (starts[length] as number) + (starts[length - 1] as number);
  }
  const order = new Int32Array(lengths.length);
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i] as number;
    order[starts[length] as number] = i;
    starts[length] = (starts[length] as number) + 1;
  }
  return order;
}

/**
 * The prefixes of each family with their networks parsed, in their order; a `RangeError` for the
 * first invalid one.
 */
function parseFamilies(feed: string, all: readonly FeedPrefix[]): Record<4 | 6, ParsedPrefixes> {
  const empty = (family: 4 | 6): ParsedPrefixes => {
    const count = all.filter((prefix) => prefix.family === family).length;
    const width = family === 4 ? 1 : 4;
    const words = new Uint32Array(count * width);
    return { width, prefixes: [], words, lengths: new Uint8Array(count) };
  };
  const parsed = { 4: empty(4), 6: empty(6) };
  for (const prefix of all) {
    const into = parsed[prefix.family];
    const i = into.prefixes.length;
    const length = feedCidrNetwork(prefix.prefix, prefix.family, into.words, i * into.width);
    if (length < 0) {
      const check = parseFeedCidr(prefix.prefix, prefix.family);
      const problem = check.ok ? "is not a valid CIDR" : check.problem;
      throw new RangeError(`${feed}: ${JSON.stringify(prefix.prefix)} ${problem}`);
    }
    into.lengths[i] = length;
    into.prefixes.push(prefix);
  }
  return parsed;
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
  const parsed = parseFamilies(meta.feed, prefixes);
  const tries = { 4: new NibbleTrie(parsed[4]), 6: new NibbleTrie(parsed[6]) };
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
