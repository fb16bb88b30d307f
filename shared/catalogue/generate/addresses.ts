import ipaddr from "ipaddr.js";

/**
 * Address allocators for a generated zone: each hands out distinct public addresses in order
 * from its blocks, so no address is served for unrelated hostnames by accident (the observer
 * would read that as a sinkhole, see shared/observe/dns/sinkhole.ts).
 */
export interface AddressAllocator {
  next(): string;
}

export class AddressSpaceExhaustedError extends Error {
  override name = "AddressSpaceExhaustedError";
}

/** IPv4 addresses from `blocks` (CIDRs), in order, skipping each /24's .0 and .255. */
export function ipv4Allocator(name: string, blocks: readonly string[]): AddressAllocator {
  const ranges = blocks.map((block) => {
    const [base, length] = ipaddr.IPv4.parseCIDR(block);
    const first = base.toByteArray().reduce((value, byte) => value * 256 + byte, 0);
    return { first, size: 2 ** (32 - length) };
  });
  let range = 0;
  let offset = 0;
  return {
    next() {
      for (;;) {
        const current = ranges[range];
        if (current === undefined) {
          throw new AddressSpaceExhaustedError(`the ${name} IPv4 blocks are used up`);
        }
        if (offset >= current.size) {
          range++;
          offset = 0;
          continue;
        }
        const value = current.first + offset++;
        const last = value % 256;
        if (last === 0 || last === 255) continue;
        return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, last].join(".");
      }
    },
  };
}

/** IPv6 addresses `<prefix>:<n / 65536>::<n % 65536>` (n from 65537), canonical. */
export function ipv6Allocator(prefix: string): AddressAllocator {
  let n = 65_536;
  return {
    next() {
      n++;
      if (n % 65_536 === 0) n++;
      const high = Math.floor(n / 65_536).toString(16);
      const low = (n % 65_536).toString(16);
      return ipaddr.parse(`${prefix}:${high}::${low}`).toString();
    },
  };
}

/**
 * The allocators of one generated estate. The CloudFront and EC2 blocks are inside the ranges
 * the shipped feed fixtures publish (fixtures/feeds/), so `cloudfront` and `aws-ip-ranges`
 * endpoints answer inside their feed; the others are ordinary public unicast space.
 */
export function estateAllocators() {
  return {
    hosted: ipv4Allocator("hosted", [
      "81.2.0.0/16",
      "88.198.0.0/16",
      "95.216.0.0/16",
      "135.181.0.0/16",
      "185.12.0.0/16",
      "193.30.0.0/16",
    ]),
    hostedV6: ipv6Allocator("2a01:4f8:c0c"),
    cloudfront: ipv4Allocator("CloudFront", ["13.32.0.0/15", "18.160.0.0/15", "108.156.0.0/14"]),
    ec2: ipv4Allocator("EC2 us-east-1", ["44.192.0.0/11"]),
    ec2V6: ipv6Allocator("2600:1f18:4a00"),
  };
}
export type EstateAllocators = ReturnType<typeof estateAllocators>;
