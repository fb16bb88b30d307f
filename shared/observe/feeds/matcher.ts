import type { FeedPrefix, FeedSnapshotMeta, RangeMatcher } from "#shared/domain/feed";
import { addressBytes, parseFeedCidr } from "./cidr";

/**
 * A binary prefix trie (one bit per level) over the network bits of each prefix, one trie per
 * family. Nodes live in typed arrays: building ~17k prefixes touches a few hundred thousand
 * nodes once, and a lookup walks at most 32 (IPv4) or 128 (IPv6) of them.
 */
class PrefixTrie {
  private zero = new Int32Array(1024);
  private one = new Int32Array(1024);
  private readonly entries: (FeedPrefix[] | undefined)[] = [];
  private nodes = 1; // node 0 is the root; 0 as a child index means "none"

  insert(bytes: readonly number[], length: number, prefix: FeedPrefix): void {
    let node = 0;
    for (let bit = 0; bit < length; bit++) {
      const set = ((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1;
      const children = set === 1 ? this.one : this.zero;
      let child = children[node] ?? 0;
      if (child === 0) {
        child = this.allocate();
        (set === 1 ? this.one : this.zero)[node] = child;
      }
      node = child;
    }
    const list = this.entries[node];
    if (list === undefined) this.entries[node] = [prefix];
    else list.push(prefix);
  }

  /** Every prefix on the path to the address, least specific first. */
  lookup(bytes: readonly number[]): FeedPrefix[] {
    const found: FeedPrefix[] = [];
    let node = 0;
    const bits = bytes.length * 8;
    for (let bit = 0; ; bit++) {
      const here = this.entries[node];
      if (here !== undefined) found.push(...here);
      if (bit === bits) break;
      const set = ((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1;
      const child = (set === 1 ? this.one : this.zero)[node] ?? 0;
      if (child === 0) break;
      node = child;
    }
    return found;
  }

  private allocate(): number {
    if (this.nodes === this.zero.length) {
      const zero = new Int32Array(this.zero.length * 2);
      zero.set(this.zero);
      this.zero = zero;
      const one = new Int32Array(this.one.length * 2);
      one.set(this.one);
      this.one = one;
    }
    return this.nodes++;
  }
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
  const tries = { 4: new PrefixTrie(), 6: new PrefixTrie() };
  for (const prefix of prefixes) {
    const check = parseFeedCidr(prefix.prefix, prefix.family);
    if (!check.ok) {
      throw new RangeError(`${meta.feed}: ${JSON.stringify(prefix.prefix)} ${check.problem}`);
    }
    tries[prefix.family].insert(check.cidr.bytes, check.cidr.length, prefix);
  }
  const all = [...prefixes];
  return {
    feed: meta.feed,
    meta,
    prefixes: all,
    contains(ip: string): FeedPrefix[] {
      const address = addressBytes(ip);
      if (address === null) throw new RangeError(`${JSON.stringify(ip)} is not an IP address`);
      return tries[address.family].lookup(address.bytes);
    },
  };
}
