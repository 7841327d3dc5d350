// The report charts. Each definition says which report it reads, whether that report needs one
// financial year, and how its rows become a Chart.js configuration. What a chart renders is also
// written to its card (data-rendered, JSON) and to a visually hidden table, for screen readers
// and for the browser test.
import { longDay, shortDay } from './dates.js';
import { formatCount, formatMoney, formatPercent, formatSeconds, fromMicros, toCsv, toMicros } from './format.js';
import { latencyAxis, latencyLines, slowestDay } from './latency.js';

const Chart = globalThis.Chart;

export const COLOURS = {
  email: '#1d70b8',
  sms: '#00703c',
  letter: '#f47738',
  providers: ['#00703c', '#4c2c92', '#28a197', '#d53880', '#912b88'],
  postage: { first: '#d4351c', second: '#1d70b8', economy: '#28a197', europe: '#4c2c92', 'rest-of-world': '#f499be' },
  smsCost: '#00703c',
  letterCost: '#f47738',
  status: {
    delivered: '#00703c',
    'permanent-failure': '#d4351c',
    'temporary-failure': '#f47738',
    'technical-failure': '#4c2c92',
    'other-failure': '#d53880',
    cancelled: '#505a5f',
    other: '#b1b4b6',
  },
};

const POSTAGE_ORDER = ['first', 'second', 'economy', 'europe', 'rest-of-world'];
const POSTAGE_LABEL = { first: 'First class', second: 'Second class', economy: 'Economy', europe: 'Europe', 'rest-of-world': 'Rest of world' };
export const TYPES = [
  { key: 'email', label: 'Email' },
  { key: 'sms', label: 'SMS' },
  { key: 'letter', label: 'Letters' },
];
export const STATUS_SEGMENTS = [
  { key: 'delivered', label: 'Delivered' },
  { key: 'permanent-failure', label: 'Permanent failure' },
  { key: 'temporary-failure', label: 'Temporary failure' },
  { key: 'technical-failure', label: 'Technical failure' },
  { key: 'other-failure', label: 'Other failure' },
  { key: 'cancelled', label: 'Cancelled' },
  { key: 'other', label: 'Sending or other' },
];
export const PLATFORM_STATS_COLUMNS = ['total', 'delivered', 'failed', 'requested', 'technical-failure', 'temporary-failure', 'permanent-failure'];

const uniqueSorted = (values) => [...new Set(values)].sort();
const dayTicks = { callback(value) { return shortDay(this.getLabelForValue(value)); }, maxRotation: 0, autoSkipPadding: 12 };
const countAxis = (title) => ({ beginAtZero: true, title: { display: true, text: title }, ticks: { precision: 0, callback: (v) => formatCount(v) } });
const moneyAxis = (title) => ({ beginAtZero: true, title: { display: true, text: title }, ticks: { callback: (v) => formatMoney(v) } });
const countTooltip = { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatCount(ctx.parsed.y ?? 0)}`, title: (items) => items[0]?.label ?? '' } };

/** Shared by every chart: the page's type, quiet grids, legends under the plot. */
export function configureChartDefaults() {
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.font.size = 13;
  Chart.defaults.color = '#0b0c0c';
  Chart.defaults.borderColor = '#e5e6e7';
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.position = 'bottom';
  Chart.defaults.plugins.legend.labels.boxWidth = 14;
  Chart.defaults.plugins.tooltip.mode = 'index';
  Chart.defaults.plugins.tooltip.intersect = false;
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) Chart.defaults.animation = false;
  else Chart.defaults.animation.duration = 300;
}

/** Every chart on the page; `report` is the API path its numbers (and CSV) come from. */
export const CHARTS = [
  {
    id: 'volumes',
    title: 'Daily volumes per channel',
    description: 'Billable notifications created each London day, by channel.',
    report: '/platform-stats/daily-volumes-report',
    oneFinancialYear: false,
    dayField: 'day',
    build(rows) {
      const labels = rows.map((r) => r.day);
      const dataset = (key, label, field, colour) => ({ key, label, data: rows.map((r) => r[field]), backgroundColor: colour, borderRadius: 2 });
      return {
        type: 'bar',
        data: {
          labels,
          datasets: [
            dataset('email', 'Email', 'email_totals', COLOURS.email),
            dataset('sms', 'SMS', 'sms_totals', COLOURS.sms),
            dataset('letter', 'Letters', 'letter_totals', COLOURS.letter),
          ],
        },
        options: { scales: { x: { ticks: dayTicks, grid: { display: false } }, y: countAxis('Notifications') }, plugins: { tooltip: countTooltip } },
        summary: `${formatCount(rows.reduce((n, r) => n + r.email_totals, 0))} emails, ${formatCount(rows.reduce((n, r) => n + r.sms_totals, 0))} SMS, ${formatCount(rows.reduce((n, r) => n + r.letter_totals, 0))} letters.`,
        tableHead: 'Day',
      };
    },
  },
  {
    id: 'sms-providers',
    title: 'SMS per provider, with cost',
    description: 'Text messages sent through each provider per day (bars) and their gross cost (lines, right axis).',
    report: '/platform-stats/daily-sms-provider-volumes-report',
    oneFinancialYear: false,
    dayField: 'day',
    build(rows) {
      const labels = uniqueSorted(rows.map((r) => r.day));
      const providers = uniqueSorted(rows.map((r) => r.provider));
      const cell = (day, provider) => rows.find((r) => r.day === day && r.provider === provider);
      const datasets = [];
      providers.forEach((p, i) => {
        const colour = COLOURS.providers[i % COLOURS.providers.length];
        datasets.push({ key: `sms_totals:${p}`, label: `${p} messages`, type: 'bar', yAxisID: 'y', order: 2, backgroundColor: colour, borderRadius: 2, data: labels.map((d) => cell(d, p)?.sms_totals ?? 0) });
      });
      providers.forEach((p, i) => {
        const colour = COLOURS.providers[i % COLOURS.providers.length];
        datasets.push({
          key: `sms_cost:${p}`, label: `${p} cost`, type: 'line', yAxisID: 'cost', order: 1, borderColor: colour, backgroundColor: '#ffffff',
          borderDash: [6, 4], borderWidth: 2, pointRadius: 3, pointBorderWidth: 2, data: labels.map((d) => cell(d, p)?.sms_cost ?? 0),
        });
      });
      const cost = fromMicros(rows.reduce((n, r) => n + toMicros(r.sms_cost), 0));
      return {
        type: 'bar',
        data: { labels, datasets },
        options: {
          scales: {
            x: { ticks: dayTicks, grid: { display: false } },
            y: { ...countAxis('Messages'), position: 'left' },
            cost: { ...moneyAxis('Cost'), position: 'right', grid: { drawOnChartArea: false } },
          },
          plugins: {
            // Legend in dataset order (messages, then costs), not in drawing order.
            legend: { labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } },
            tooltip: {
              callbacks: {
                label: (ctx) => `${ctx.dataset.label}: ${ctx.dataset.yAxisID === 'cost' ? formatMoney(ctx.parsed.y ?? 0) : formatCount(ctx.parsed.y ?? 0)}`,
              },
            },
          },
        },
        summary: `${formatCount(rows.reduce((n, r) => n + r.sms_totals, 0))} messages through ${providers.length} provider${providers.length === 1 ? '' : 's'}, ${formatMoney(cost)} gross.`,
        tableHead: 'Day',
      };
    },
  },
  {
    id: 'letters',
    title: 'Letters per postage',
    description: 'Letters despatched by DVLA each day (by despatch day, not creation day), by postage.',
    report: '/platform-stats/data-for-dvla-billing-report',
    dayField: 'date',
    oneFinancialYear: true,
    build(rows) {
      const labels = uniqueSorted(rows.map((r) => r.date));
      const present = new Set(rows.map((r) => r.postage));
      const postages = [...POSTAGE_ORDER.filter((p) => present.has(p)), ...uniqueSorted([...present].filter((p) => !POSTAGE_ORDER.includes(p)))];
      const letters = (day, postage) => rows.filter((r) => r.date === day && r.postage === postage).reduce((n, r) => n + r.letters, 0);
      const cost = fromMicros(rows.reduce((n, r) => n + toMicros(r.cost), 0));
      return {
        type: 'bar',
        data: {
          labels,
          datasets: postages.map((p) => ({
            key: p, label: POSTAGE_LABEL[p] ?? p, backgroundColor: COLOURS.postage[p] ?? '#505a5f', borderRadius: 2, data: labels.map((d) => letters(d, p)),
          })),
        },
        options: {
          scales: { x: { stacked: true, ticks: dayTicks, grid: { display: false } }, y: { ...countAxis('Letters'), stacked: true } },
          plugins: { tooltip: countTooltip },
        },
        summary: `${formatCount(rows.reduce((n, r) => n + r.letters, 0))} letters despatched, ${formatMoney(cost)}.`,
        tableHead: 'Despatch day',
      };
    },
  },
  {
    id: 'top-services',
    title: 'Top services by cost',
    description: 'The ten services that cost the most: SMS after the free allowance plus letters.',
    report: '/platform-stats/data-for-billing-report',
    oneFinancialYear: true,
    build(rows) {
      const total = (r) => toMicros(r.sms_cost) + toMicros(r.letter_cost);
      const top = [...rows]
        .sort((a, b) => total(b) - total(a) || a.service_name.localeCompare(b.service_name) || a.service_id.localeCompare(b.service_id))
        .slice(0, 10);
      const name = (r) => r.service_name || `Service ${r.service_id.slice(0, 8)}`;
      const organisations = top.map((r) => r.organisation_name || 'No organisation');
      const sum = fromMicros(rows.reduce((n, r) => n + total(r), 0));
      return {
        type: 'bar',
        data: {
          labels: top.map(name),
          labelKeys: top.map((r) => r.service_id),
          datasets: [
            { key: 'sms_cost', label: 'SMS cost', backgroundColor: COLOURS.smsCost, data: top.map((r) => r.sms_cost) },
            { key: 'letter_cost', label: 'Letter cost', backgroundColor: COLOURS.letterCost, data: top.map((r) => r.letter_cost) },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: {
            x: { ...moneyAxis('Cost'), stacked: true },
            y: { stacked: true, grid: { display: false }, ticks: { autoSkip: false, callback(v) { const l = this.getLabelForValue(v); return l.length > 32 ? `${l.slice(0, 30)}…` : l; } } },
          },
          plugins: {
            tooltip: {
              mode: 'index', axis: 'y',
              callbacks: {
                title: (items) => (items[0] ? [items[0].label, organisations[items[0].dataIndex]] : ''),
                label: (ctx) => `${ctx.dataset.label}: ${formatMoney(ctx.parsed.x ?? 0)}`,
                footer: (items) => `Total: ${formatMoney(items.reduce((n, i) => n + (i.parsed.x ?? 0), 0))}`,
              },
            },
          },
        },
        summary: `${formatCount(rows.length)} service${rows.length === 1 ? '' : 's'} with costs, ${formatMoney(sum)} in all${rows.length > 10 ? '; the top ten shown' : ''}.`,
        tableHead: 'Service',
      };
    },
  },
  {
    id: 'status-mix',
    title: 'Status mix and failures',
    description: 'What became of the notifications created in the range, as a share of each channel.',
    report: '/platform-stats',
    oneFinancialYear: false,
    // /platform-stats is not a list report, so the API has no CSV of it: the page writes one
    // from the JSON body, one row per channel with the API's own field names.
    csv: (body) => toCsv(['notification_type', ...PLATFORM_STATS_COLUMNS], TYPES.map((t) => [t.key, ...PLATFORM_STATS_COLUMNS.map((c) => body[t.key]?.[c] ?? 0)])),
    build(body) {
      const counts = TYPES.map((t) => statusCounts(body[t.key]));
      const share = (n, total) => (total > 0 ? (100 * n) / total : 0);
      const datasets = STATUS_SEGMENTS.map((s) => ({
        key: s.key,
        label: s.label,
        backgroundColor: COLOURS.status[s.key],
        counts: counts.map((c) => c[s.key]),
        data: counts.map((c) => share(c[s.key], c.total)),
      }));
      const summary = TYPES.map((t, i) => {
        const c = counts[i];
        const failed = c.total - c.delivered - c.cancelled - c.other;
        return `${t.label}: ${formatCount(c.total)}, ${formatPercent(share(c.delivered, c.total))} delivered, ${formatPercent(share(failed, c.total))} failed.`;
      }).join(' ');
      return {
        type: 'bar',
        data: { labels: TYPES.map((t) => t.label), labelKeys: TYPES.map((t) => t.key), totals: counts.map((c) => c.total), datasets },
        options: {
          indexAxis: 'y',
          scales: {
            x: { stacked: true, min: 0, max: 100, title: { display: true, text: 'Share of notifications' }, ticks: { callback: (v) => `${v}%` } },
            y: { stacked: true, grid: { display: false } },
          },
          plugins: {
            tooltip: {
              mode: 'index', axis: 'y',
              filter: (item) => item.dataset.counts[item.dataIndex] > 0,
              callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatCount(ctx.dataset.counts[ctx.dataIndex])} (${formatPercent(ctx.parsed.x ?? 0)})` },
            },
          },
        },
        summary,
        tableHead: 'Channel',
        tableValues: (dataset) => dataset.counts,
      };
    },
  },
  {
    id: 'delivery-latency',
    title: 'Delivery latency by provider',
    description: 'How long 95 % of delivered notifications took from creation to delivery, per London day of creation and provider (log scale). Always by day: percentiles do not add up to months.',
    report: '/platform-stats/delivery-latency-report',
    oneFinancialYear: false,
    // No dayField: monthly grouping sums a month's rows, and percentiles do not add up.
    build(rows) {
      const shaped = latencyLines(rows);
      const axis = latencyAxis(shaped.lines);
      const slowest = slowestDay(shaped);
      const delivered = rows.reduce((n, r) => n + r.delivered, 0);
      const datasets = shaped.lines.map((line, i) => {
        const colour = COLOURS.providers[i % COLOURS.providers.length];
        return {
          key: line.key, label: line.label, data: line.data, counts: line.counts, rows: line.rows,
          borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 3, spanGaps: false,
        };
      });
      return {
        type: 'line',
        data: { labels: shaped.labels, datasets },
        options: {
          scales: {
            // offset: the first and last days' points clear of the plot's edges.
            x: { offset: true, ticks: dayTicks, grid: { display: false } },
            y: {
              type: 'logarithmic',
              min: axis.min,
              max: axis.max,
              title: { display: true, text: 'p95 latency (log scale)' },
              // Round durations only (1 s, 1 min, 1 h...), not the axis's powers of ten.
              afterBuildTicks: (scale) => { scale.ticks = axis.ticks.map((value) => ({ value })); },
              ticks: { callback: (v) => formatSeconds(v) },
            },
          },
          plugins: {
            tooltip: {
              filter: (item) => item.parsed.y !== null && !Number.isNaN(item.parsed.y),
              callbacks: {
                title: (items) => (items[0] ? longDay(items[0].label) : ''),
                label: (ctx) => `${ctx.dataset.label}: p95 ${formatSeconds(ctx.parsed.y)}`,
                afterLabel: (ctx) => {
                  const r = ctx.dataset.rows[ctx.dataIndex];
                  return r ? `  ${formatCount(r.delivered)} delivered; p50 ${formatSeconds(r.p50_seconds)}, p90 ${formatSeconds(r.p90_seconds)}, p99 ${formatSeconds(r.p99_seconds)}` : '';
                },
              },
            },
          },
        },
        summary: slowest
          ? `${formatCount(delivered)} delivered notifications timed across ${datasets.length} provider${datasets.length === 1 ? '' : 's'}; the slowest day's p95 was ${formatSeconds(slowest.seconds)} (${slowest.label}, ${longDay(slowest.day)}).`
          : '',
        tableHead: 'Day',
        tableFormat: (_dataset, v) => (v === null ? '–' : formatSeconds(v)),
      };
    },
  },
];

/** One channel of /platform-stats split into segments that add up to its total. */
export function statusCounts(t) {
  const n = (k) => t?.[k] ?? 0;
  const total = n('total');
  const cancelled = total - n('requested');
  const named = n('permanent-failure') + n('temporary-failure') + n('technical-failure');
  return {
    total,
    delivered: n('delivered'),
    'permanent-failure': n('permanent-failure'),
    'temporary-failure': n('temporary-failure'),
    'technical-failure': n('technical-failure'),
    'other-failure': n('failed') - named,
    cancelled,
    other: total - n('delivered') - n('failed') - cancelled,
  };
}

/** What a chart shows, as plain data (read back from the Chart.js instance). */
export function renderedData(chart) {
  const { labels, labelKeys, totals, datasets } = chart.data;
  return {
    labels: [...labels],
    ...(labelKeys ? { labelKeys: [...labelKeys] } : {}),
    ...(totals ? { totals: [...totals] } : {}),
    datasets: datasets.map((d) => ({ key: d.key, label: d.label, data: [...d.data], ...(d.counts ? { counts: [...d.counts] } : {}) })),
  };
}

/** The numbers as a table (visually hidden; screen readers and the test read it). */
export function fillTable(table, caption, spec) {
  const values = spec.tableValues ?? ((d) => d.data);
  const isMoney = (d) => d.key === 'sms_cost' || d.key === 'letter_cost' || d.key === 'costs' || String(d.key).startsWith('sms_cost:');
  const format = spec.tableFormat ?? ((d, v) => (isMoney(d) ? formatMoney(v) : formatCount(v)));
  const cell = (tag, text, scope) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (scope) el.scope = scope;
    return el;
  };
  table.replaceChildren();
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  head.append(cell('th', spec.tableHead, 'col'), ...spec.data.datasets.map((d) => cell('th', d.label, 'col')));
  const body = table.createTBody();
  spec.data.labels.forEach((label, i) => {
    const row = body.insertRow();
    row.append(cell('th', label, 'row'), ...spec.data.datasets.map((d) => cell('td', format(d, values(d)[i]))));
  });
}
