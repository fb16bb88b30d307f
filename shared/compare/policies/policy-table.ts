import type { ExpectationPolicy } from "#shared/catalogue/schema";
import { anyDestination } from "./any-destination";
import { awsIpRanges } from "./aws-ip-ranges";
import { cloudfront } from "./cloudfront";
import { hostnameOnly } from "./hostname-only";
import { internal } from "./internal";
import { pinned } from "./pinned";
import type { Policy } from "./policy";
import { pool } from "./pool";
import { rotating } from "./rotating";
import { wildcardDomain } from "./wildcard-domain";

/** Every expectation policy's verdict rules, by name: the verdicts look an endpoint's up here. */
export const POLICY_TABLE: Record<ExpectationPolicy, Policy> = {
  pinned,
  pool,
  cloudfront,
  "aws-ip-ranges": awsIpRanges,
  rotating,
  "hostname-only": hostnameOnly,
  "any-destination": anyDestination,
  internal,
  "wildcard-domain": wildcardDomain,
};
