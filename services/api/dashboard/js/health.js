// The pipeline health panel: GET /admin/pipeline/status every few seconds.
import { ApiError, AuthError, getJson } from './api.js';
import { formatAgo, formatCount, formatInstant, utcInstant } from './format.js';

export const REFRESH_MS = 5000;
const Chart = globalThis.Chart;

// notify.notification-status.v1 -> notification-status; notify.notification-status.v1.dlq -> notification-status.dlq
const shortTopic = (t) => t.replace(/^notify\./, '').replace(/\.v\d+(?=\.|$)/, '');
const SCOPE_LABEL = { day: 'Report day', despatch: 'Despatch day', letters: 'Letters', sms_rate: 'SMS rate', letter_rate: 'Letter rate' };

export class HealthPanel {
  constructor(root, { onAuthError }) {
    this.root = root;
    this.onAuthError = onAuthError;
    this.timer = null;
    this.ticker = null;
    this.chart = null;
    this.watermark = null;
    this.running = false;
    this.$ = (sel) => root.querySelector(sel);
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.ticker = setInterval(() => this.renderAgo(), 1000);
    void this.refresh();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.chart?.destroy();
    this.chart = null;
  }

  async refresh() {
    clearTimeout(this.timer);
    if (!this.running) return;
    // A hidden tab does not poll; it catches up as soon as it is shown again.
    if (document.visibilityState !== 'hidden') {
      try {
        const { body } = await getJson('/admin/pipeline/status');
        if (!this.running) return;
        this.render(body);
      } catch (err) {
        if (!this.running) return;
        if (err instanceof AuthError) {
          this.onAuthError(err);
          return;
        }
        if (err instanceof ApiError && err.status === 503) this.unavailable(err.message);
        else this.failed(err);
      }
    }
    this.timer = setTimeout(() => void this.refresh(), REFRESH_MS);
  }

  setState(state, label) {
    this.root.dataset.state = state;
    const badge = this.$('#health-badge');
    badge.className = `badge badge-${state}`;
    if (badge.textContent !== label) badge.textContent = label;
    this.$('#health-updated').textContent = `Checked ${formatInstant(new Date().toISOString())}, every ${REFRESH_MS / 1000} s`;
  }

  /** A report reader's session: the pipeline's health is the operator's to see. */
  operatorOnly() {
    this.stop();
    this.setState('forbidden', 'Operator only');
    this.$('#health-body').hidden = true;
    const note = this.$('#health-note');
    note.hidden = false;
    note.textContent =
      'The pipeline\'s health (lag, dead letters, rollups) is for the operator: sign in with the operator client (OPERATOR_CLIENT_ID and its secret) to see it. The reports below are all here.';
  }

  unavailable(message) {
    this.setState('unavailable', 'Not available');
    this.$('#health-body').hidden = true;
    const note = this.$('#health-note');
    note.hidden = false;
    note.textContent = `Not available from this API (${message.replace(/\.$/, '')}): it runs without the ingest and rollups in its process, as the "notify-stats api" command does on its own. The reports below still work.`;
  }

  failed(err) {
    this.setState('error', 'Unreachable');
    const note = this.$('#health-note');
    note.hidden = false;
    note.textContent = `Could not read the pipeline status: ${err.message}. Retrying every ${REFRESH_MS / 1000} s.`;
  }

  /**
   * Dead letters waiting, counted as `notify-stats dlq list` counts them (one per origin, redriven
   * ones apart) when the API has that count; else the messages in the DLQ topics, which a redrive
   * never lowers.
   */
  render(status) {
    const kafka = status?.kafka ?? {};
    const rollups = status?.rollups ?? {};
    const partitions = Array.isArray(kafka.partitions) ? kafka.partitions : [];
    const { perTopic: deadLetters, total: dlqTotal, redriven } = deadLetterCounts(status);
    const totalLag = Number(kafka.totalLag ?? partitions.reduce((n, p) => n + Number(p.lag), 0));
    const pending = Number(rollups.pending ?? 0);

    const behind = totalLag > 0 || pending > 0;
    this.setState(behind ? 'behind' : 'ok', behind ? 'Catching up' : 'Up to date');
    this.$('#health-note').hidden = true;
    this.$('#health-body').hidden = false;
    Object.assign(this.root.dataset, { totalLag: String(totalLag), deadLetters: String(dlqTotal), pending: String(pending), watermark: rollups.watermark ?? '' });

    this.$('#health-lag').textContent = formatCount(totalLag);
    this.$('#health-members').textContent = `${formatCount(Number(kafka.members ?? 0))} consumer${kafka.members === 1 ? '' : 's'} in the group`;
    this.$('#health-dlq').textContent = formatCount(dlqTotal);
    this.$('#health-dlq').closest('.stat').classList.toggle('stat-warn', dlqTotal > 0);
    const withLetters = deadLetters.filter(([, n]) => Number(n) > 0);
    this.$('#health-dlq-topics').textContent =
      (withLetters.length
        ? withLetters.map(([t, n]) => `${shortTopic(t).replace(/\.dlq$/, '')}: ${formatCount(Number(n))}`).join(' · ')
        : 'none waiting in any dead-letter topic') + (redriven ? ` · ${formatCount(redriven)} redriven` : '');
    this.$('#health-pending').textContent = formatCount(pending);
    this.watermark = rollups.watermark ?? null;
    this.$('#health-watermark').textContent = this.watermark ? formatInstant(this.watermark) : 'none yet';
    this.renderAgo();

    this.renderLag(partitions);
    this.renderBuilds(Array.isArray(rollups.lastBuilds) ? rollups.lastBuilds : []);
  }

  renderAgo() {
    const el = this.$('#health-watermark-ago');
    el.textContent = this.watermark ? formatAgo(this.watermark) : 'no complete rollup cycle yet';
  }

  renderLag(partitions) {
    const sorted = [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const labels = sorted.map((p) => `${shortTopic(p.topic)} ${p.partition}`);
    const data = sorted.map((p) => Number(p.lag));
    const lagging = sorted.filter((p) => Number(p.lag) > 0).length;
    this.$('#health-lag-caption').textContent = sorted.length === 0 ? 'no partitions yet' : lagging === 0 ? `all ${sorted.length} caught up` : `${lagging} of ${sorted.length} behind`;
    this.root.dataset.partitions = JSON.stringify(sorted.map((p) => ({ topic: p.topic, partition: p.partition, lag: Number(p.lag) })));
    if (!this.chart) {
      this.chart = new Chart(this.$('#health-lag-chart'), {
        type: 'bar',
        data: { labels, datasets: [{ label: 'Lag (messages)', data, backgroundColor: '#1d70b8', borderRadius: 2, minBarLength: 2 }] },
        options: {
          animation: false,
          plugins: { legend: { display: false } },
          scales: {
            x: { grid: { display: false }, ticks: { autoSkip: false, maxRotation: 60, minRotation: 45, font: { size: 11 } } },
            y: { beginAtZero: true, suggestedMax: 10, ticks: { precision: 0 }, title: { display: true, text: 'Lag' } },
          },
        },
      });
    } else {
      this.chart.data.labels = labels;
      this.chart.data.datasets[0].data = data;
      this.chart.update('none');
    }
    const table = this.$('#health-lag-table');
    const body = table.tBodies[0] ?? table.createTBody();
    body.replaceChildren(
      ...sorted.map((p) => {
        const row = document.createElement('tr');
        for (const v of [shortTopic(p.topic), p.partition, p.committed, p.end, p.lag]) {
          const td = document.createElement('td');
          td.textContent = typeof v === 'number' ? formatCount(v) : String(v);
          row.append(td);
        }
        return row;
      }),
    );
  }

  renderBuilds(builds) {
    const body = this.$('#health-builds tbody');
    const recent = builds.slice(0, 6);
    if (recent.length === 0) {
      const row = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 5;
      td.textContent = 'No rollups yet.';
      row.append(td);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(
      ...recent.map((b) => {
        const row = document.createElement('tr');
        const finished = utcInstant(b.finished_at);
        const cells = [SCOPE_LABEL[b.scope] ?? b.scope, b.day, finished ? `${formatInstant(finished)} (${formatAgo(finished)})` : '', formatCount(Number(b.rows)), `${formatCount(Number(b.duration_ms))} ms`];
        cells.forEach((text, i) => {
          const td = document.createElement('td');
          td.textContent = text;
          if (i >= 3) td.className = 'num';
          row.append(td);
        });
        return row;
      }),
    );
  }
}

function deadLetterCounts(status) {
  const counted = status?.deadLetters;
  if (counted && typeof counted === 'object') {
    const perTopic = Object.entries(counted).map(([t, c]) => [t, Number(c?.waiting ?? 0)]);
    return {
      perTopic,
      total: perTopic.reduce((n, [, v]) => n + v, 0),
      redriven: Object.values(counted).reduce((n, c) => n + Number(c?.redriven ?? 0), 0),
    };
  }
  const perTopic = Object.entries(status?.kafka?.deadLetters ?? {}).map(([t, v]) => [t, Number(v)]);
  return { perTopic, total: perTopic.reduce((n, [, v]) => n + v, 0), redriven: 0 };
}
