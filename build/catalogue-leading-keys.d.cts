// Types of build/catalogue-leading-keys.cjs for the TypeScript that imports it (its unit test).

/** `CATALOGUE#<id>` for each id of the comma list, which must hold `primary`; throws otherwise. */
export function catalogueLeadingKeys(list: string, primary: string): string[];

/** The serverless.yml variable resolver (`${file(...):leadingKeys}`). */
export function leadingKeys(context: {
  resolveVariable: (variable: string) => Promise<string>;
}): Promise<string[]>;
