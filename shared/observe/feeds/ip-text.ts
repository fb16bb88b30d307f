/**
 * Hand-written parsers for the address forms the feeds and the lookups actually use, into
 * fixed-width integers: canonical dotted-decimal IPv4 (one uint32) and IPv6 made of hex groups
 * with at most one `::` (four uint32 words, most significant first). They scan the text once
 * without building strings, arrays or objects. Each accepts a subset of what ipaddr.js accepts
 * and yields the same value; anything else (an embedded IPv4 part, a zone id, a malformed text)
 * they refuse, and the caller asks ipaddr.js, so the answers stay ipaddr.js's.
 */

/**
 * `a.b.c.d` between `start` and `end`, each part 0-255 in decimal without leading zeros, as an
 * unsigned 32-bit integer; -1 when the text is anything else.
 */
export function parseDottedDecimal(text: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const first = i;
    let part = 0;
    while (i < end && i - first < 4) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      part = part * 10 + digit;
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || part > 255) return -1;
    if (digits > 1 && text.charCodeAt(first) === 48) return -1;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** Hex digit values by character code, -2 for `:`, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let code = 48; code <= 57; code++) HEX[code] = code - 48;
for (let code = 97; code <= 102; code++) {
  HEX[code] = code - 87;
  HEX[code - 32] = code - 87;
}
HEX[58] = -2;

const groups = new Uint16Array(8);

/**
 * IPv6 between `start` and `end` written as hex groups (1-4 digits, either case) separated by
 * `:`, with at most one `::` standing for one or more zero groups, into `out[0..3]`. False (and
 * `out` unspecified) for anything else, including the forms ipaddr.js also accepts: a dotted
 * IPv4 tail, a zone id.
 */
export function parseHexIpv6(text: string, start: number, end: number, out: Uint32Array): boolean {
  let count = 0;
  let gap = -1;
  let group = 0;
  let digits = 0;
  let colons = 0; // colons right before this character: 1 after a group, 2 after `::`
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (HEX[code] as number) : -1;
    if (value >= 0) {
      if (digits === 4) return false;
      group = (group << 4) | value;
      digits++;
      colons = 0;
    } else if (value === -1) {
      return false;
    } else if (digits > 0) {
      if (count === 8) return false;
      groups[count++] = group;
      group = 0;
      digits = 0;
      colons = 1;
    } else {
      // A colon after a colon (`::`), or a leading one that must start `::`.
      if (i === start) {
        if (i + 1 >= end || text.charCodeAt(i + 1) !== 58) return false;
        i++;
      } else if (colons !== 1) {
        return false;
      }
      if (gap >= 0) return false;
      gap = count;
      colons = 2;
    }
  }
  if (digits > 0) {
    if (count === 8) return false;
    groups[count++] = group;
  } else if (colons !== 2) {
    return false; // empty, or a single trailing colon
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  writeWords(count, gap < 0 ? count : gap, out);
  return true;
}

/** The parsed groups into four words: those before the `::` first, those after it last. */
function writeWords(count: number, gap: number, out: Uint32Array): void {
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let g = 0; g < count; g++) {
    const at = g < gap ? g : 8 - count + g;
    const value = groups[g] as number;
    const shifted = at & 1 ? value : value << 16;
    if (at < 2) w0 |= shifted;
    else if (at < 4) w1 |= shifted;
    else if (at < 6) w2 |= shifted;
    else w3 |= shifted;
  }
  out[0] = w0;
  out[1] = w1;
  out[2] = w2;
  out[3] = w3;
}

/**
 * RFC 5952 text of an IPv6 address given as four words: lower-case hex groups without leading
 * zeros, the longest run of two or more zero groups (the first of equal runs) as `::`, as
 * ipaddr.js's `toRFC5952String` writes it.
 */
export function formatIpv6(words: ArrayLike<number>): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    if (g < 8 && groupAt(words, g) === 0) {
      if (runStart < 0) runStart = g;
    } else if (runStart >= 0) {
      if (g - runStart > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart;
      }
      runStart = -1;
    }
  }
  let text = "";
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += "::";
      g += bestLength - 1;
      continue;
    }
    if (text !== "" && !text.endsWith(":")) text += ":";
    text += groupAt(words, g).toString(16);
  }
  return text;
}

function groupAt(words: ArrayLike<number>, g: number): number {
  const word = words[g >> 1] as number;
  return g & 1 ? word & 0xffff : word >>> 16;
}

/** True when no bit past the first `length` of an address of `count` 32-bit words is set. */
export function hostBitsZero(words: ArrayLike<number>, count: number, length: number): boolean {
  for (let w = 0; w < count; w++) {
    const kept = length - w * 32;
    if (kept >= 32) continue;
    const hostMask = kept <= 0 ? 0xffffffff : 0xffffffff >>> kept;
    if (((words[w] as number) & hostMask) !== 0) return false;
  }
  return true;
}
