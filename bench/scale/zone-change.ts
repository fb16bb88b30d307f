import { promises as dns } from "node:dns";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GeneratedEstate } from "#shared/catalogue/generate/generate-estate";
import {
  ESTATE_FILES,
  loopbackZoneText,
  rfc1035ZoneText,
} from "#shared/catalogue/generate/zone-files";

/** The DNS server a scale run asks: NSD, or the loopback server as the fallback. */
export interface DnsUnderTest {
  kind: string;
  address: string;
  zoneFile: string;
  /** Queries answered since the last call. */
  takeQueryCount(): Promise<number>;
  /** NSD: re-read the zone file. */
  reload(): Promise<void>;
  /** The loopback server: serve this zone text from now on. */
  reloadText?: (text: string) => void;
  stop(): Promise<void>;
}

/** An address no generated host is given (the last of the allocators' last block). */
const MOVED_TO = "193.30.255.200";

/**
 * The smallest real change: the first pinned host moves to an address not documented for it
 * (a `pinned` drift: one event, one allowlist to review). Rewrites both zone files and has the
 * server pick the change up.
 */
export async function changeOneHost(
  estate: GeneratedEstate,
  dir: string,
  server: DnsUnderTest,
): Promise<{ hostname: string; ip: string }> {
  const endpoint = estate.catalogue.endpoints.find((e) => e.policy === "pinned");
  const name = estate.names.find((n) => n.name === endpoint?.hostname);
  if (endpoint === undefined || name === undefined)
    throw new Error("the estate has no pinned host");
  name.a = [MOVED_TO];
  const loopback = loopbackZoneText(estate);
  await writeFile(join(dir, ESTATE_FILES.loopbackZone), loopback);
  await writeFile(join(dir, ESTATE_FILES.nsdZone), rfc1035ZoneText(estate));
  server.reloadText?.(loopback);
  await server.reload();
  return { hostname: name.name, ip: MOVED_TO };
}

/** Waits (up to 10 s) until `server` answers `ip` for `hostname`. */
export async function waitForAnswer(server: string, hostname: string, ip: string): Promise<void> {
  const resolver = new dns.Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([server]);
  for (let attempt = 0; attempt < 100; attempt++) {
    const answer = await resolver.resolve4(hostname).catch(() => [] as string[]);
    if (answer.includes(ip)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${server} still does not answer ${ip} for ${hostname}`);
}
