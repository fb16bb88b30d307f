import { z } from "zod";
import type { HostObservation, ObservedIp } from "#shared/domain/observation";
import type { IpSighting } from "#shared/observe/dns/observation-store";
import { hostPk, ipPk } from "./observation-keys";
import { ObservationStoreError } from "./observation-store-error";

/** The IP index item (`IP#<ip>` / `HOST#<hostname>`) and back: pure mapping, no I/O. */

const IpSightingItem = z.object({
  ip: z.string(),
  hostname: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  firstSeen: z.string(),
  runId: z.string(),
});

/** The index item of an IP that entered the hostname's observed set in this observation's run. */
export function ipSightingItem(
  observation: HostObservation,
  ip: ObservedIp,
): Record<string, unknown> {
  return {
    pk: ipPk(ip.ip),
    sk: hostPk(observation.hostname),
    kind: "dns-ip-sighting",
    ip: ip.ip,
    hostname: observation.hostname,
    family: ip.family,
    firstSeen: ip.firstSeen,
    runId: observation.runId,
  };
}

export function parseIpSighting(item: Record<string, unknown>): IpSighting {
  const parsed = IpSightingItem.safeParse(item);
  if (!parsed.success) {
    throw new ObservationStoreError(`stored IP sighting ${String(item.pk)} is malformed`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
