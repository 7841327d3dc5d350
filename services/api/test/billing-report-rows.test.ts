import { describe, expect, it } from 'vitest';
import { billingReport } from '../src/routes/billing-report.ts';

// Which services the billing report lists (reports.md section 3: sms_cost > 0 or letter_cost > 0),
// on rows as the queries hand them over, without an engine.
const ids = (rows: ReturnType<typeof billingReport>) => rows.map((r) => r.service_id);

describe('billingReport rows', () => {
  it('lists a service only when something costs more than nothing, however the zero is written', () => {
    const sms = [
      { service_id: 'zero', sms_chargeable_units: 0, sms_cost: '0.0000' },
      { service_id: 'tiny', sms_chargeable_units: 1, sms_cost: '0.0001' },
    ];
    const letters = [
      { service_id: 'free-letters', postage: 'second', rate: '0', letters: 3, cost: '0.00', service_cost: '0.00' },
      { service_id: 'letters', postage: 'second', rate: '0.45', letters: 2, cost: '0.90', service_cost: '0.90' },
    ];
    expect(ids(billingReport(sms, letters, [])).sort()).toEqual(['letters', 'tiny']);
  });
});
