import { z } from "zod";
import { CATALOGUE_ID_PATTERN } from "#shared/config/catalogue-ids";
import { EventTypeField, HostnameField, IpAddressField, WhenField } from "../query-fields";
import { ApiParameterError } from "./api-errors";

/**
 * The audit API's parameters, validated with the fields the CLI uses (hostname syntax, IP by
 * ipaddr.js, `YYYY-MM-DD` or ISO 8601 with a zone), plus the page size and the cursor. A query
 * string parameter a route does not take is refused too: a misspelt `sinse` must not silently
 * widen the answer.
 */

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
const MAX_CURSOR_LENGTH = 2048;

const PageSize = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return DEFAULT_PAGE_SIZE;
    const size = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (size >= 1 && size <= MAX_PAGE_SIZE) return size;
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(text)} is not a page size (a whole number from 1 to ${MAX_PAGE_SIZE})`,
    });
    return z.NEVER;
  });

const Cursor = z
  .string()
  .refine((text) => text.length <= MAX_CURSOR_LENGTH && /^[A-Za-z0-9_-]+$/.test(text), {
    error: (issue) =>
      `${JSON.stringify(String(issue.input).slice(0, 80))} is not a cursor a previous page returned`,
  });

/** `catalogue=ID`: one of the deployment's catalogues (checked by the route: 404 otherwise). */
const CatalogueParameter = z
  .string()
  .max(128)
  .regex(CATALOGUE_ID_PATTERN, {
    error: (issue) =>
      `${JSON.stringify(String(issue.input).slice(0, 80))} is not a catalogue id (a lower-case slug)`,
  });

/** `type=ip-added,ip-removed` (API Gateway joins a repeated parameter with commas). */
const EventTypes = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text === "" ? [] : text.split(",")))
  .pipe(z.array(EventTypeField));

export const HistoryParameters = z
  .strictObject({
    hostname: HostnameField,
    at: WhenField.optional(),
    from: WhenField.optional(),
    to: WhenField.optional(),
    limit: PageSize,
    cursor: Cursor.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.at !== undefined && (input.from ?? input.to ?? input.cursor) !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["at"],
        message: "cannot be combined with from, to or cursor (at asks for one point in time)",
      });
    }
    if (input.from !== undefined && input.to !== undefined && input.from.start > input.to.end) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: `${input.from.value} is after to ${input.to.value}`,
      });
    }
  });

export const IpParameters = z.strictObject({
  ip: IpAddressField,
  catalogue: CatalogueParameter.optional(),
});

export const EventsParameters = z
  .strictObject({
    since: WhenField.optional(),
    until: WhenField.optional(),
    type: EventTypes,
    limit: PageSize,
    cursor: Cursor.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.since !== undefined && input.until !== undefined) {
      if (input.since.start > input.until.end) {
        ctx.addIssue({
          code: "custom",
          path: ["since"],
          message: `${input.since.value} is after until ${input.until.value}`,
        });
      }
    }
  });

export const StateParameters = z.strictObject({
  at: WhenField.optional(),
  catalogue: CatalogueParameter.optional(),
  limit: PageSize,
  cursor: Cursor.optional(),
});

export const ChangesParameters = z
  .strictObject({
    from: WhenField,
    to: WhenField.optional(),
    catalogue: CatalogueParameter.optional(),
    limit: PageSize,
    cursor: Cursor.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.to !== undefined && input.from.start > input.to.end) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: `${input.from.value} is after to ${input.to.value}`,
      });
    }
  });

export const NotificationsParameters = z.strictObject({
  since: WhenField.optional(),
  limit: PageSize,
  cursor: Cursor.optional(),
});

/** `parameters` as `schema` reads them; the first problem as an `ApiParameterError`. */
export function parseParameters<S extends z.ZodType>(
  schema: S,
  parameters: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(parameters);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  if (issue?.code === "unrecognized_keys") {
    const [name = ""] = issue.keys;
    throw new ApiParameterError(name, "is not a parameter of this route");
  }
  const name = String(issue?.path[0] ?? "request");
  const problem =
    issue?.code === "invalid_type" && issue.input === undefined
      ? "is required"
      : (issue?.message ?? "is invalid");
  throw new ApiParameterError(name, problem, { cause: parsed.error });
}
