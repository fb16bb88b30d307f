import { z } from "zod";
import type { HostObservation } from "#shared/domain/observation";

/**
 * zod schemas of the observation contract, for reading observations back from storage (an
 * external input like any other) and for the CLI's JSON output.
 */
export const ResolutionOutcomeSchema = z.enum([
  "answered",
  "nodata",
  "nxdomain",
  "servfail",
  "refused",
  "timeout",
  "error",
]);

const TimedIp = z.object({ ip: z.string(), ttl: z.number().int().nonnegative() });

export const ResolverAnswerSchema = z.object({
  resolver: z.string(),
  outcome: ResolutionOutcomeSchema,
  cnameChain: z.array(z.string()),
  a: z.array(TimedIp),
  aaaa: z.array(TimedIp),
  detail: z.string().optional(),
  families: z.object({ a: ResolutionOutcomeSchema, aaaa: ResolutionOutcomeSchema }).optional(),
  samples: z.number().int().positive().optional(),
  untrustedNodata: z.array(z.enum(["a", "aaaa"])).optional(),
});

export const ObservedIpSchema = z.object({
  ip: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  firstSeen: z.string(),
  lastSeen: z.string(),
  timesSeen: z.number().int().nonnegative(),
  resolvers: z.array(z.string()),
  absentRuns: z.number().int().nonnegative().optional(),
  leftAt: z.string().optional(),
});

export const HostObservationSchema = z.object({
  hostname: z.string(),
  runId: z.string(),
  observedAt: z.string(),
  outcome: ResolutionOutcomeSchema,
  consecutiveFailures: z.number().int().nonnegative(),
  active: z.array(ObservedIpSchema),
  entered: z.array(z.string()),
  left: z.array(ObservedIpSchema),
  departed: z.array(ObservedIpSchema),
  trackedSince: z.string(),
  suspicious: z.array(z.object({ ip: z.string(), range: z.string(), resolver: z.string() })),
  answers: z.array(ResolverAnswerSchema),
  grace: z.object({ runs: z.number(), hours: z.number() }).optional(),
}) satisfies z.ZodType<HostObservation>;
