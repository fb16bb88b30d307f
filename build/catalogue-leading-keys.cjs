"use strict";

/**
 * `${file(./build/catalogue-leading-keys.cjs):leadingKeys}` in serverless.yml: the DynamoDB
 * partition keys (`CATALOGUE#<id>`) of every catalogue the deployment watches, from the
 * `catalogueIds` parameter (a comma list, DRIFTWATCH_CATALOGUE_IDS), for the
 * `dynamodb:LeadingKeys` condition of a role that reads only those catalogues' partitions.
 *
 * CloudFormation has no intrinsic that prefixes each item of a list, and a malformed id must stop
 * the package rather than deploy a policy that matches nothing, so the list is built here, at
 * package time, with the ids checked as shared/config/catalogue-ids.ts checks them at run time.
 */

const CATALOGUE_ID = /^[a-z0-9][a-z0-9./_-]*$/;

/**
 * The partition keys of a comma list of catalogue ids; an empty, malformed or repeated id throws,
 * and so does a list without `primary` (catalogueId: the catalogue the audit API and the firewall
 * feed's versions read).
 */
function catalogueLeadingKeys(list, primary) {
  const ids = String(list)
    .split(",")
    .map((id) => id.trim());
  const seen = new Set();
  for (const id of ids) {
    if (!CATALOGUE_ID.test(id)) {
      throw new Error(
        `param catalogueIds: catalogue id ${JSON.stringify(id)} is not a lower-case slug`,
      );
    }
    if (seen.has(id))
      throw new Error(`param catalogueIds lists catalogue ${JSON.stringify(id)} twice`);
    seen.add(id);
  }
  if (!seen.has(primary)) {
    throw new Error(`param catalogueIds must list catalogueId ${JSON.stringify(primary)}`);
  }
  return ids.map((id) => `CATALOGUE#${id}`);
}

module.exports = {
  catalogueLeadingKeys,
  leadingKeys: async ({ resolveVariable }) =>
    catalogueLeadingKeys(
      await resolveVariable("param:catalogueIds"),
      await resolveVariable("param:catalogueId"),
    ),
};
