import type { DetectionReport } from "#shared/detect/report";
import type { DemoStep } from "./scenario";
import type { Delivery, DemoSubscriber } from "./subscribers";

/** One step of the tour as it ran: its report, what each subscriber got, the files rewritten. */
export interface DemoRun {
  number: number;
  step: DemoStep;
  now: Date;
  report: DetectionReport;
  /** Messages the filtered "firewall automation" queue received in this run. */
  automation: Delivery[];
  /** Messages the unfiltered "security team inbox" queue received in this run. */
  inbox: Delivery[];
  /** Allowlist EDL files rewritten by this run, with their new text. */
  allowlists: { key: string; text: string }[];
}

/** The tour's two queues on the SNS topic. */
export interface DemoSubscribers {
  automation: DemoSubscriber;
  inbox: DemoSubscriber;
}
