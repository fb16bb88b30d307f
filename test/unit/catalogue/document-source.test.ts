import { describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { Catalogue } from "#shared/catalogue/schema";

describe("the catalogue's document.source", () => {
  it("is optional, and takes an http or https URL", async () => {
    const shipped = await loadCatalogueFile();
    expect(shipped.document.source).toBeUndefined();
    for (const url of ["https://vendor.example/ports.html", "http://127.0.0.1:8080/ports"]) {
      const parsed = Catalogue.safeParse({
        ...shipped,
        document: { ...shipped.document, source: { url } },
      });
      expect(parsed.success, url).toBe(true);
    }
  });

  it("names a URL it does not take", async () => {
    const shipped = await loadCatalogueFile();
    for (const url of ["ftp://vendor.example/ports", "not a url"]) {
      const parsed = Catalogue.safeParse({
        ...shipped,
        document: { ...shipped.document, source: { url } },
      });
      expect(parsed.error?.issues[0]).toMatchObject({
        path: ["document", "source", "url"],
        message: `${JSON.stringify(url)} is not an http or https URL`,
      });
    }
  });
});
