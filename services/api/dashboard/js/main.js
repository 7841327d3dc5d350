// The dashboard page: sign-in, the date range, the report charts and the pipeline panel.
import { ApiError, AuthError, downloadReportCsv, getJson, saveFile } from './api.js';
import { DEFAULT_CLIENT_ID, currentSession, forgetSession, signIn as startSession, signOut as endSession, webCryptoMissing } from './auth.js';
import { CHARTS, configureChartDefaults, fillTable, renderedData } from './charts.js';
import { PRESETS, clampToOneFinancialYear, isIsoDay, longDay, presetRange } from './dates.js';
import { formatInstant } from './format.js';
import { byMonth } from './grouping.js';
import { HealthPanel } from './health.js';
import { ServicePanel } from './service.js';

const $ = (sel) => document.querySelector(sel);
const Chart = globalThis.Chart;

const state = {
  range: null,
  preset: null,
  /** Bumped at every load, so that answers to an older range are dropped. */
  generation: 0,
  charts: new Map(),
  cards: new Map(),
  /** X-Data-As-Of of the numbers on screen. */
  dataAsOf: null,
  /** 'day' or 'month': how the daily reports are grouped on the charts. */
  grouping: 'day',
};

// Sign in / out ---------------------------------------------------------------------------------

function showLogin(message) {
  health.stop();
  for (const chart of state.charts.values()) chart.destroy();
  state.charts.clear();
  $('#dashboard').hidden = true;
  $('#session').hidden = true;
  $('#login').hidden = false;
  const error = $('#login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  const secret = $('#secret');
  secret.value = '';
  (message ? $('#login-title') : $('#secret')).focus();
  if (message) secret.setAttribute('aria-invalid', 'true');
  else secret.removeAttribute('aria-invalid');
}

/** A refused token anywhere forgets the session and asks for the secret again, with the API's reason. */
function authFailed(err) {
  forgetSession();
  showLogin(`The API refused the credentials (${err.status}): ${err.message}`);
}

const ROLE_LABEL = { reader: 'report reader', operator: 'operator' };

function showDashboard() {
  const session = currentSession();
  $('#login').hidden = true;
  $('#dashboard').hidden = false;
  $('#session').hidden = false;
  $('#session-client').textContent = session?.clientId ?? '';
  $('#session-role').textContent = session ? `(${ROLE_LABEL[session.role] ?? session.role})` : '';
  // The pipeline's health is the operator's: a report reader sees why it is not shown.
  if (session?.canOperate) health.start();
  else health.operatorOnly();
  applyRange(state.range ?? initialRange(), state.preset);
}

async function signIn(event) {
  event.preventDefault();
  const clientId = $('#client-id').value.trim();
  const secret = $('#secret').value;
  const error = $('#login-error');
  if (!clientId || !secret) {
    error.hidden = false;
    error.textContent = !clientId ? 'Enter the client id.' : 'Enter the secret.';
    (!clientId ? $('#client-id') : $('#secret')).focus();
    return;
  }
  // The secret leaves the form at once: it signs one token below and is dropped.
  $('#secret').value = '';
  const button = $('#sign-in');
  button.disabled = true;
  button.textContent = 'Signing in…';
  try {
    await startSession(clientId, secret);
    showDashboard();
    $('#dashboard-title').focus();
  } catch (err) {
    if (err instanceof AuthError) authFailed(err);
    else {
      forgetSession();
      showLogin(`Could not sign in: ${err.message}`);
    }
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
}

async function signOut() {
  health.stop();
  await endSession();
  showLogin();
}

// Date range ------------------------------------------------------------------------------------

function initialRange() {
  // A range in the address (#start_date=...&end_date=...) survives a reload.
  const params = new URLSearchParams(location.hash.slice(1));
  const start = params.get('start_date');
  const end = params.get('end_date');
  if (isIsoDay(start) && isIsoDay(end) && start <= end) {
    state.preset = presetOf({ start, end });
    return { start, end };
  }
  state.preset = 'last-7-days';
  return presetRange('last-7-days');
}

/** The preset a range equals today, if any (typed dates that match one light its button too). */
function presetOf({ start, end }) {
  return (
    PRESETS.find((p) => {
      const r = presetRange(p);
      return r.start === start && r.end === end;
    }) ?? null
  );
}

function rangeError(message) {
  const el = $('#range-error');
  el.hidden = !message;
  el.textContent = message ?? '';
}

function onRangeSubmit(event) {
  event.preventDefault();
  const start = $('#start-date').value;
  const end = $('#end-date').value;
  if (!isIsoDay(start) || !isIsoDay(end)) {
    rangeError('Enter both dates.');
    (!isIsoDay(start) ? $('#start-date') : $('#end-date')).focus();
    return;
  }
  if (start > end) {
    rangeError('The start date must be on or before the end date.');
    $('#start-date').focus();
    return;
  }
  applyRange({ start, end }, presetOf({ start, end }));
}

function onPreset(event) {
  const button = event.target.closest('[data-preset]');
  if (!button) return;
  applyRange(presetRange(button.dataset.preset), button.dataset.preset);
}

const rangeText = (range) => `Showing ${longDay(range.start)}${range.end === range.start ? '' : ` to ${longDay(range.end)}`} (London).`;

function applyRange(range, preset) {
  rangeError(null);
  state.range = range;
  state.preset = preset;
  $('#start-date').value = range.start;
  $('#end-date').value = range.end;
  for (const b of document.querySelectorAll('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === preset));
  history.replaceState(null, '', `#start_date=${range.start}&end_date=${range.end}`);
  const dashboard = $('#dashboard');
  dashboard.dataset.start = range.start;
  dashboard.dataset.end = range.end;
  $('#range-summary').textContent = rangeText(range);
  void loadCharts();
}

// Charts ----------------------------------------------------------------------------------------

function buildCards() {
  const template = $('#chart-card');
  const container = $('#charts');
  for (const def of CHARTS) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.id = `chart-${def.id}`;
    card.dataset.chart = def.id;
    card.dataset.report = def.report;
    const titleId = `chart-${def.id}-title`;
    const descriptionId = `chart-${def.id}-description`;
    card.setAttribute('aria-labelledby', titleId);
    const title = card.querySelector('.card-title');
    title.id = titleId;
    title.textContent = def.title;
    const description = card.querySelector('.card-description');
    description.id = descriptionId;
    description.textContent = def.description;
    const canvas = card.querySelector('canvas');
    canvas.setAttribute('aria-label', `${def.title}. The numbers are in the table that follows.`);
    canvas.setAttribute('aria-describedby', descriptionId);
    const csv = card.querySelector('.csv');
    csv.setAttribute('aria-label', `Download ${def.title.toLowerCase()} as CSV`);
    csv.addEventListener('click', () => void downloadCsv(def, card));
    container.append(card);
    state.cards.set(def.id, card);
  }
}

/** The range a chart's report is asked for: one financial year for the reports that need it. */
function chartRange(def) {
  return def.oneFinancialYear ? clampToOneFinancialYear(state.range) : { ...state.range, clamped: false };
}

/** The drill-down's searchable list: every live service of the range (volumes-by-service). */
async function loadServices(generation) {
  const range = { ...state.range };
  service.setRange(range);
  try {
    const { body } = await getJson('/platform-stats/volumes-by-service', { start_date: range.start, end_date: range.end });
    if (generation === state.generation) service.setServices(body, range);
  } catch (err) {
    if (err instanceof AuthError) authFailed(err);
  }
}

/** Draws one chart for the page's range; resolves to its report's X-Data-As-Of, if it was drawn. */
async function loadChart(def, generation) {
  const card = state.cards.get(def.id);
  const range = chartRange(def);
  card.dataset.state = 'loading';
  card.setAttribute('aria-busy', 'true');
  try {
    const { body, dataAsOf } = await getJson(def.report, { start_date: range.start, end_date: range.end });
    if (generation !== state.generation) return null;
    render(def, card, body, range);
    return dataAsOf;
  } catch (err) {
    if (generation !== state.generation) return null;
    if (err instanceof AuthError) {
      authFailed(err);
      return null;
    }
    showCardError(card, err);
    return null;
  } finally {
    if (generation === state.generation) card.removeAttribute('aria-busy');
  }
}

async function loadCharts() {
  const generation = ++state.generation;
  void loadServices(generation);
  const asOf = await Promise.all(CHARTS.map((def) => loadChart(def, generation)));
  const latestAsOf = asOf.reduce((oldest, a) => (a && (!oldest || a < oldest) ? a : oldest), null);
  if (generation === state.generation && latestAsOf) {
    state.dataAsOf = latestAsOf;
    $('#range-summary').textContent = `${rangeText(state.range)} Numbers include every event produced before ${formatInstant(latestAsOf)}.`;
  }
}

/** How often the page asks whether the numbers moved (one cached report, whatever the range). */
const DATA_POLL_MS = 15_000;

/**
 * Redraws the charts when the API vouches for newer data (`X-Data-As-Of` moved): the reports are
 * cached per facts version, so a poll that finds nothing new costs one cached answer. A report
 * that was not ready yet (503, such as delivery latency while the rollups count history) is asked
 * for again at each poll until it is.
 */
async function pollDataAsOf() {
  if ($('#dashboard').hidden || !state.range || document.visibilityState !== 'visible') return;
  try {
    const { dataAsOf } = await getJson('/platform-stats', { start_date: state.range.end, end_date: state.range.end });
    if (dataAsOf && state.dataAsOf && dataAsOf !== state.dataAsOf) await loadCharts();
    else await Promise.all(CHARTS.filter((def) => state.cards.get(def.id).dataset.state === 'unavailable').map((def) => loadChart(def, state.generation)));
  } catch (err) {
    if (err instanceof AuthError) authFailed(err);
    // Anything else: the charts keep their numbers and the next poll tries again.
  }
}

function render(def, card, body, range) {
  const monthly = state.grouping === 'month' && def.dayField;
  const spec = def.build(monthly ? byMonth(body, def.dayField) : body);
  if (def.id === 'top-services') {
    // A bar is a service: clicking it opens the drill-down (the search field does the same by keyboard).
    spec.options.onClick = (_event, elements) => {
      const index = elements[0]?.index;
      if (index !== undefined) void service.show(spec.data.labelKeys[index], state.range);
    };
    spec.options.onHover = (event, elements) => (event.native.target.style.cursor = elements.length ? 'pointer' : 'default');
  }
  card.dataset.grouping = monthly ? 'month' : 'day';
  const note = card.querySelector('.card-note');
  note.hidden = !range.clamped;
  note.textContent = range.clamped
    ? `This report covers one financial year at a time, so it shows ${longDay(range.start)} to ${longDay(range.end)}: the part of the range in the financial year of its last day.`
    : '';
  let chart = state.charts.get(def.id);
  if (chart) {
    chart.data = spec.data;
    chart.options = spec.options;
    chart.update();
  } else {
    chart = new Chart(card.querySelector('canvas'), { type: spec.type, data: spec.data, options: spec.options });
    state.charts.set(def.id, chart);
  }
  const empty = spec.data.labels.length === 0 || (def.id === 'status-mix' && spec.data.totals.every((t) => t === 0));
  const overlay = card.querySelector('.card-overlay');
  overlay.hidden = !empty;
  overlay.textContent = empty ? 'Nothing for these days.' : '';
  card.querySelector('.card-summary').textContent = empty ? '' : spec.summary;
  fillTable(card.querySelector('.card-table'), `${def.title}, ${range.start} to ${range.end}`, spec);
  card.dataset.start = range.start;
  card.dataset.end = range.end;
  card.dataset.rendered = JSON.stringify(renderedData(chart));
  card.dataset.state = 'ready';
  // The last JSON body, for a CSV written in the page (reports the API has no CSV for).
  card.lastBody = { start: range.start, end: range.end, body };
}

function showCardError(card, err) {
  const chart = state.charts.get(card.dataset.chart);
  chart?.destroy();
  state.charts.delete(card.dataset.chart);
  // 503: the report is not ready yet, and the API says why; the page asks again at its next poll.
  const unavailable = err instanceof ApiError && err.status === 503;
  card.dataset.state = unavailable ? 'unavailable' : 'error';
  delete card.dataset.rendered;
  const overlay = card.querySelector('.card-overlay');
  overlay.hidden = false;
  overlay.textContent = unavailable ? err.message : `Could not load this report: ${err.message}`;
  card.querySelector('.card-summary').textContent = '';
  card.querySelector('.card-table').replaceChildren();
}

async function downloadCsv(def, card) {
  const button = card.querySelector('.csv');
  const range = chartRange(def);
  const filename = `${def.report.split('/').pop()}_${range.start}_${range.end}.csv`;
  button.disabled = true;
  try {
    if (def.csv) {
      const last = card.lastBody;
      const body = last && last.start === range.start && last.end === range.end
        ? last.body
        : (await getJson(def.report, { start_date: range.start, end_date: range.end })).body;
      saveFile(def.csv(body), filename);
    } else {
      await downloadReportCsv(def.report, { start_date: range.start, end_date: range.end }, filename);
    }
  } catch (err) {
    if (err instanceof AuthError) authFailed(err);
    else showCardError(card, err);
  } finally {
    button.disabled = false;
  }
}

// Start -----------------------------------------------------------------------------------------

const health = new HealthPanel($('#health'), { onAuthError: authFailed });
const service = new ServicePanel($('#service-panel'), { onAuthError: authFailed });

function start() {
  if (!Chart) {
    document.body.dataset.error = 'chart.js';
    $('#login').hidden = false;
    showLogin('Chart.js did not load (/dashboard/vendor/chart.umd.js); the dashboard cannot draw its charts.');
    return;
  }
  configureChartDefaults();
  buildCards();
  $('#login-form').addEventListener('submit', (e) => void signIn(e));
  $('#sign-out').addEventListener('click', () => void signOut());
  $('#range-form').addEventListener('submit', onRangeSubmit);
  document.querySelector('.presets').addEventListener('click', onPreset);
  for (const input of document.querySelectorAll('input[name="grouping"]')) {
    input.addEventListener('change', () => {
      state.grouping = input.value;
      // Redrawn from the bodies already fetched: grouping asks the API for nothing new.
      for (const def of CHARTS) {
        const card = state.cards.get(def.id);
        if (card.lastBody && card.dataset.state === 'ready') render(def, card, card.lastBody.body, { start: card.lastBody.start, end: card.lastBody.end, clamped: card.querySelector('.card-note').hidden === false });
      }
    });
  }
  setInterval(() => void pollDataAsOf(), DATA_POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !$('#dashboard').hidden) void health.refresh();
  });

  const noCrypto = webCryptoMissing();
  if (noCrypto) {
    showLogin(noCrypto);
    $('#sign-in').disabled = true;
    return;
  }
  // Nothing is kept across a reload: every page load signs in.
  $('#client-id').value = DEFAULT_CLIENT_ID;
  showLogin();
  document.body.dataset.ready = 'true';
}

start();
