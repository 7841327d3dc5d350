import { z } from 'zod';

/**
 * The thresholds a service is alerted on in a financial year (docs/alerts.md): 80 % and 100 % of
 * its free SMS allowance (chargeable units), and the spend threshold it has set (`spend:<amount>`).
 */
export const ALERT_KINDS = ['crossed', 'retracted'] as const;

/** One message on notify.stats-alerts.v1 (key: the service id). */
export const alertEvent = z.object({
  /** One per service, threshold, financial year and crossing: a repeat has the same id. */
  alert_id: z.string(),
  kind: z.enum(ALERT_KINDS),
  service_id: z.string(),
  financial_year: z.number().int(),
  threshold: z.string().describe('allowance_80, allowance_100 or spend:<amount>'),
  /** The London day the figure first reached the threshold (for a retraction: the day it had been). */
  crossed_on: z.iso.date(),
  figures: z.object({
    free_allowance: z.number().int(),
    chargeable_units: z.number().int(),
    spend: z.string().describe('GBP, exact: SMS beyond the free allowance plus letters'),
    spend_threshold: z.string().nullable(),
  }),
  /** When the free allowance runs out at the trailing 28 days' rate; null when it will not this year or nothing was sent. */
  forecast_exhaustion: z.iso.date().nullable(),
  detected_at: z.iso.datetime(),
});
export type AlertEvent = z.infer<typeof alertEvent>;
