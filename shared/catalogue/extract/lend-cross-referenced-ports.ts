import type { Section } from "#shared/catalogue/extract/split-sections";

/**
 * Port-only rows that name another section ("see Spam Rule updates") lend their ports to it and
 * make no endpoint of their own (`consumed`); a row whose label starts with the first word (5+
 * letters) of a section's title lends them to it too.
 */
export function lendCrossReferencedPorts(sections: Section[]): void {
  const squash = (s: string) => s.toLowerCase().replace(/\s+/g, " ");
  for (const section of sections) {
    for (const block of section.blocks) {
      const named = block.hostnames.length + block.wildcards.length + block.ips.length;
      if (block.ports.length === 0 || named + block.ranges.length > 0) continue;
      for (const target of sections) {
        if (target === section || target.history) continue;
        const label = block.item ?? block.text;
        if (target.title.length >= 6 && squash(block.text).includes(squash(target.title))) {
          target.lentPorts.push({ ports: block.ports, from: label, line: block.line });
          block.consumed = true;
          continue;
        }
        const firstWord = target.title.split(/\s+/)[0] ?? "";
        const itemWord = block.item?.split(/\s+/)[0] ?? "";
        if (firstWord.length >= 5 && firstWord.toLowerCase() === itemWord.toLowerCase()) {
          target.lentPorts.push({ ports: block.ports, from: label, line: block.line });
        }
      }
    }
  }
}
