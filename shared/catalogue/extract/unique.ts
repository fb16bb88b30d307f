import type { PortSpec } from "#shared/catalogue/schema";

/** The values once each, in first-seen order. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The ports once each (protocol, port and direction), in first-seen order. */
export function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.protocol}/${p.port}/${p.direction}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
