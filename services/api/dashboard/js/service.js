// One service's drill-down: its volumes, costs and status mix over the page's range, from the
// per-service endpoint (/v2/stats/messaging, read with the platform client's session and
// service_id), one request per channel.
import { getJson } from './api.js';
import { COLOURS, TYPES, fillTable, renderedData } from './charts.js';
import { longDay, shortDay } from './dates.js';
import { formatCount, formatMoney, fromMicros, toMicros } from './format.js';

const Chart = globalThis.Chart;
export const BUCKETS = [
  { key: 'messagesSentDelivered', label: 'Delivered' },
  { key: 'messagesSentAccepted', label: 'Accepted' },
  { key: 'messagesSentBuffered', label: 'Buffered' },
  { key: 'messagesSentFailed', label: 'Failed' },
  { key: 'messagesSentRejected', label: 'Rejected' },
];
const sent = (p) => BUCKETS.reduce((n, b) => n + p[b.key], 0);

/**
 * The endpoint counts the London days holding `start` and the second before `end` (unix seconds).
 * Noon UTC is inside the same London day whatever the season (London is UTC or UTC+1), so noon of
 * the first day and one second past noon of the last one ask for exactly those days.
 */
export function unixWindow({ start, end }) {
  const noon = (day) => Date.parse(`${day}T12:00:00Z`) / 1000;
  return { start: noon(start), end: noon(end) + 1 };
}

export class ServicePanel {
  constructor(root, { onAuthError }) {
    this.root = root;
    this.onAuthError = onAuthError;
    this.services = new Map();
    this.chart = null;
    this.generation = 0;
    this.$ = (sel) => root.querySelector(sel);
    this.$('#service-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const typed = this.$('#service-search').value.trim();
      const id = this.idOf(typed);
      if (!id) {
        this.message(typed ? `No live service called "${typed}" in this range's list.` : 'Type a service name or id.');
        return;
      }
      void this.show(id, this.range);
    });
  }

  /** The searchable list: every live service (volumes-by-service), by name. */
  setServices(rows, range) {
    this.range = range;
    this.services = new Map(rows.map((r) => [r.service_id, r.service_name || r.service_id]));
    const list = this.$('#service-options');
    list.replaceChildren(
      ...[...this.services].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => Object.assign(document.createElement('option'), { value: name, label: id })),
    );
    // A new range redraws the service shown; the same range (a refresh) leaves a drawing in flight alone.
    const shown = this.shownRange;
    if (this.serviceId && (!shown || shown.start !== range.start || shown.end !== range.end)) void this.show(this.serviceId, range);
  }

  setRange(range) {
    this.range = range;
  }

  idOf(typed) {
    if (this.services.has(typed)) return typed;
    const lower = typed.toLowerCase();
    for (const [id, name] of this.services) if (name.toLowerCase() === lower) return id;
    return null;
  }

  message(text) {
    const el = this.$('#service-error');
    el.hidden = !text;
    el.textContent = text ?? '';
  }

  async show(serviceId, range) {
    const generation = ++this.generation;
    this.serviceId = serviceId;
    this.shownRange = { ...range };
    this.message(null);
    const body = this.$('#service-body');
    body.hidden = false;
    this.root.dataset.state = 'loading';
    this.root.dataset.serviceId = serviceId;
    const name = this.services.get(serviceId) ?? serviceId;
    this.$('#service-title').textContent = name;
    this.$('#service-search').value = name;
    try {
      const window = unixWindow(range);
      const answers = await Promise.all(
        TYPES.map(async (t) => (await getJson('/v2/stats/messaging', { service_id: serviceId, by: 'day', notification_type: t.key, ...window })).body),
      );
      if (generation !== this.generation) return;
      this.render(Object.fromEntries(TYPES.map((t, i) => [t.key, answers[i]])), range);
      this.root.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      if (generation !== this.generation) return;
      if (err.status === 401 || err.status === 403) return this.onAuthError(err);
      this.root.dataset.state = 'error';
      this.message(`Could not load this service: ${err.message}`);
    }
  }

  render(byType, range) {
    // The endpoint's dates are the peer's (a London midnight with its time); the chart's are days.
    const days = byType.sms.map((p) => p.date.slice(0, 10));
    const datasets = [
      ...TYPES.map((t) => ({ key: t.key, label: t.label, type: 'bar', stack: 'sent', yAxisID: 'y', backgroundColor: COLOURS[t.key], data: byType[t.key].map(sent) })),
      {
        key: 'costs', label: 'Cost', type: 'line', yAxisID: 'cost', borderColor: '#0b0c0c', backgroundColor: '#ffffff', borderDash: [6, 4], pointRadius: 3,
        data: days.map((_, i) => fromMicros(TYPES.reduce((n, t) => n + toMicros(byType[t.key][i].costs), 0))),
      },
    ];
    const spec = {
      type: 'bar',
      data: { labels: days, datasets },
      options: {
        scales: {
          x: { stacked: true, ticks: { callback(v) { return shortDay(this.getLabelForValue(v)); } }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'Messages sent' }, ticks: { precision: 0 } },
          cost: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'Cost' }, ticks: { callback: (v) => formatMoney(v) } },
        },
      },
      tableHead: 'Day',
    };
    if (this.chart) {
      this.chart.data = spec.data;
      this.chart.options = spec.options;
      this.chart.update();
    } else {
      this.chart = new Chart(this.$('#service-chart'), { type: spec.type, data: spec.data, options: spec.options });
    }
    const mix = BUCKETS.map((b) => ({ ...b, total: TYPES.reduce((n, t) => n + byType[t.key].reduce((m, p) => m + p[b.key], 0), 0) }));
    const cost = datasets.at(-1).data.reduce((n, c) => n + toMicros(c), 0);
    this.$('#service-mix').textContent = mix.map((b) => `${b.label}: ${formatCount(b.total)}`).join(' · ');
    this.$('#service-summary').textContent = `${longDay(range.start)} to ${longDay(range.end)}: ${formatCount(mix.reduce((n, b) => n + b.total, 0))} messages, ${formatMoney(fromMicros(cost))} charged.`;
    fillTable(this.$('#service-table'), `${this.$('#service-title').textContent}, ${range.start} to ${range.end}`, spec);
    this.root.dataset.rendered = JSON.stringify({ ...renderedData(this.chart), mix: Object.fromEntries(mix.map((b) => [b.key, b.total])) });
    this.root.dataset.start = range.start;
    this.root.dataset.end = range.end;
    this.root.dataset.state = 'ready';
  }
}
