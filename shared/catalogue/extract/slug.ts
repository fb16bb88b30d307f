/** Lower-case, dash-separated, at most 60 characters (dots kept with `keepDots`): for ids. */
export function slug(text: string, keepDots = false): string {
  const pattern = keepDots ? /[^a-z0-9.]+/g : /[^a-z0-9]+/g;
  return text
    .toLowerCase()
    .replace(pattern, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 60)
    .replace(/[-.]+$/, "");
}
