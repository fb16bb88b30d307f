import ipaddr from "ipaddr.js";
import { z } from "zod";
import { CHANGE_EVENT_TYPES, type DriftEventType } from "#shared/compare/drift-event";
import { parseWhen } from "./when";

/**
 * The fields an auditor's query is asked with, validated and normalised (whoever asks: the CLI's
 * history, ip and events commands). Each issue's message names the value and what was expected;
 * the caller prefixes the field's name as its user knows it (`--at`, `HOSTNAME`).
 */

const WHEN_HINT = "YYYY-MM-DD or an ISO 8601 instant with its zone, e.g. 2026-08-21T12:00:00Z";

/** A `When` (see when.ts) from its text. */
export const WhenField = z.string().transform((text, ctx) => {
  const when = parseWhen(text.trim());
  if (when === null) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(text)} is not a date (${WHEN_HINT})`,
    });
    return z.NEVER;
  }
  return when;
});

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A fully qualified hostname, lower-cased, without the trailing dot. */
export const HostnameField = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/\.$/, ""))
  .refine((name) => HOSTNAME.test(name), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a fully qualified hostname (e.g. applianceupdate.clearswift.com)`,
  });

/** An IPv4 address in dotted-decimal or an IPv6 address; canonical (RFC 5952) out. */
export const IpAddressField = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.parse(trimmed).toString();
  if (ipaddr.IPv6.isValid(trimmed) && !trimmed.includes("%")) {
    // An IPv4-mapped IPv6 address is the IPv4 address driftwatch records.
    return ipaddr.process(trimmed).toString();
  }
  ctx.addIssue({
    code: "custom",
    message: `${JSON.stringify(text)} is not an IP address (IPv4 dotted-decimal like 185.155.104.24, or IPv6)`,
  });
  return z.NEVER;
});

function isDriftEventType(type: string): type is DriftEventType {
  return (CHANGE_EVENT_TYPES as readonly string[]).includes(type);
}

/** One of `CHANGE_EVENT_TYPES`. */
export const EventTypeField = z.string().refine(isDriftEventType, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an event type (one of ${CHANGE_EVENT_TYPES.join(", ")})`,
});
