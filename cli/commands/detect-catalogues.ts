import { renderReport } from "#cli/render-report";
import { assertUniqueGroups } from "#shared/catalogue/deployment-groups";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { CataloguesReport } from "#shared/detect/catalogue-reports";
import type { DetectionReport } from "#shared/detect/report";

/** `driftwatch detect` over one catalogue or several: the catalogues it reads, what it prints. */

/** `--json` and `--quiet` of `driftwatch detect`. */
interface ReportFormat {
  json?: boolean | undefined;
  quiet?: boolean | undefined;
}

/** The report as printed: one catalogue's, or each catalogue's in turn and the run's exit. */
export function detectReportText(
  report: DetectionReport | CataloguesReport,
  options: ReportFormat,
): string {
  return "catalogues" in report
    ? cataloguesReportText(report, options)
    : reportText(report, options);
}

/** Several catalogues: `--json` as one document, otherwise each catalogue's report in turn. */
function cataloguesReportText(report: CataloguesReport, options: ReportFormat): string {
  if (options.json) return `${JSON.stringify(report, null, 2)}\n`;
  const parts = report.catalogues.map((part) => reportText(part, options));
  const ids = report.catalogues.map((part) => part.catalogue.id).join(", ");
  const head = `driftwatch · ${report.catalogues.length} catalogues (${ids}) · run ${report.runId}\n\n`;
  return `${options.quiet ? "" : head}${parts.join("\n")}\nexit ${report.exit.code}: ${report.exit.reason}\n`;
}

/**
 * The catalogue files, each read and validated; a catalogue given twice, or a group name two of
 * them share (deployment-groups.ts), is an error before anything is opened.
 */
export async function loadDetectCatalogues(
  files: string | readonly string[],
): Promise<Catalogue[]> {
  const paths = typeof files === "string" ? [files] : files;
  const catalogues: Catalogue[] = [];
  for (const path of paths) {
    const catalogue = await loadCatalogueFile(path);
    if (catalogues.some((other) => other.id === catalogue.id)) {
      throw new RangeError(`--catalogue ${path}: catalogue ${catalogue.id} is given twice`);
    }
    catalogues.push(catalogue);
  }
  if (catalogues.length === 0) throw new RangeError("--catalogue: no catalogue given");
  assertUniqueGroups(catalogues);
  return catalogues;
}

/** `--json`: the report; `--quiet`: its summary line and exit reason; otherwise all of it. */
function reportText(report: DetectionReport, options: ReportFormat): string {
  if (options.json) return `${JSON.stringify(report, null, 2)}\n`;
  if (options.quiet) {
    const lines = renderReport(report).split("\n");
    return `${[lines[2], lines.at(-2)].join("\n")}\n`;
  }
  return renderReport(report);
}
