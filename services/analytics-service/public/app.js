// The dashboard's script: reads the service's JSON reports and draws them with Chart.js (the global `Chart`,
// from the UMD build the page loads first). Each chart's <figure> carries data-state — loading, ready, empty
// or error — and every failure is shown in the page's alert box with the service's own explanation. The page
// picked is kept in the address (?page=…), so a view can be bookmarked or shared.
/* global document, window, getComputedStyle, Chart */

const TOP_PAGES = 100; // listed in the picker
const TOP_CHARTED = 10; // drawn as bars
const RELOAD_MS = 60_000; // the daily view refreshes every minute, by default

const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#2563eb';
const secondary =
  getComputedStyle(document.documentElement).getPropertyValue('--secondary').trim() || '#0d9488';

const elements = {
  error: document.getElementById('error'),
  freshness: document.getElementById('freshness'),
  picker: document.getElementById('picker'),
  select: document.getElementById('page-select'),
  input: document.getElementById('page-input'),
  hourlyPage: document.getElementById('hourly-page'),
  topDay: document.getElementById('top-day'),
};

const errors = new Map(); // which part failed (hourly, top) → the message shown

let pickedPage = new URLSearchParams(window.location.search).get('page') ?? '';
let hourlyChart;
let chartedHours = []; // what the hourly chart shows, for its tooltips
let topChart;

// --- talking to the service -------------------------------------------------------------------------------

async function getJson(url) {
  let response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch {
    throw new Error('the analytics service cannot be reached');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.detail ?? `the service answered ${response.status}`);
  return body;
}

function showError(part, message) {
  if (message) errors.set(part, message);
  else errors.delete(part);
  elements.error.replaceChildren(
    ...[...errors.values()].map((message) => {
      const line = document.createElement('p');
      line.textContent = message;
      return line;
    }),
  );
  elements.error.hidden = errors.size === 0;
}

// --- rendering ----------------------------------------------------------------------------------------------

/** `note` stands in the chart's place in the empty and error states. */
function setState(figureId, state, note = '') {
  const figure = document.getElementById(figureId);
  figure.dataset.state = state;
  const placeholder = figure.querySelector('.placeholder');
  placeholder.textContent = note;
  placeholder.hidden = state !== 'empty' && state !== 'error';
  if (state === 'error') fillTable(`${figureId}-table`, []); // no numbers left over from before
}

/** A page name short enough for a message. */
function shortened(page) {
  return page.length > 60 ? `${page.slice(0, 60)}…` : page;
}

function fillTable(tableId, rows) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        td.textContent = String(cell);
        row.append(td);
      }
      return row;
    }),
  );
}

function baseOptions() {
  return {
    animation: false, // the numbers are what matters; it also makes a drawn chart final at once
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: false } },
  };
}

function drawHourly(page, hours) {
  const labels = hours.map((hour) => hour.h.slice(11, 16));
  const views = hours.map((hour) => hour.v);
  chartedHours = hours;
  const total = views.reduce((sum, value) => sum + value, 0);
  elements.hourlyPage.textContent = page;
  document.getElementById('hourly').dataset.page = page;
  fillTable(
    'hourly-table',
    hours.map((hour) => [`${hour.h.slice(0, 10)} ${hour.h.slice(11, 16)}`, hour.v]),
  );
  if (total === 0) {
    setState('hourly', 'empty', `No views of ${page} in the last 24 hours.`);
    return;
  }
  const peak = hours.reduce((best, hour) => (hour.v > best.v ? hour : best));
  const canvas = document.getElementById('hourly-chart');
  canvas.setAttribute(
    'aria-label',
    `Views per hour of ${page}: ${total} in the last 24 hours, most (${peak.v}) at ${peak.h.slice(11, 16)} UTC`,
  );
  const dataset = { label: 'views', data: views, backgroundColor: accent, borderRadius: 3 };
  if (hourlyChart) {
    hourlyChart.data.labels = labels;
    hourlyChart.data.datasets = [dataset];
  } else {
    hourlyChart = new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [dataset] },
      options: {
        ...baseOptions(),
        scales: {
          x: { title: { display: true, text: 'hour (UTC)' }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'views' } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: { title: (items) => `${chartedHours[items[0].dataIndex]?.h.slice(0, 13)}:00 UTC` },
          },
        },
      },
    });
  }
  setState('hourly', 'ready');
  hourlyChart.update();
}

function drawTop(report) {
  elements.topDay.textContent = report.day;
  elements.freshness.textContent = report.refreshedAt
    ? `Daily totals as of ${report.refreshedAt.slice(0, 16).replace('T', ' ')} UTC`
    : 'Daily totals have not been computed yet; the first refresh is on its way.';
  fillSelect(report.data.map((row) => row.page));
  const charted = report.data.slice(0, TOP_CHARTED);
  fillTable(
    'top-table',
    charted.map((row) => [row.page, row.views]),
  );
  if (charted.length === 0) {
    setState('top', 'empty', report.refreshedAt ? 'No page views today yet.' : 'No daily totals yet.');
    return;
  }
  const canvas = document.getElementById('top-chart');
  canvas.setAttribute(
    'aria-label',
    `Today's top pages: ${charted.map((row) => `${row.page} ${row.views}`).join(', ')}`,
  );
  const labels = charted.map((row) => row.page);
  const dataset = {
    label: 'views',
    data: charted.map((row) => row.views),
    backgroundColor: secondary,
    borderRadius: 3,
    maxBarThickness: 28,
  };
  if (topChart) {
    topChart.data.labels = labels;
    topChart.data.datasets = [dataset];
  } else {
    topChart = new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [dataset] },
      options: {
        ...baseOptions(),
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: (_event, bars) => {
          const page = topChart.data.labels[bars[0]?.index];
          if (page !== undefined) pick(page);
        },
      },
    });
  }
  setState('top', 'ready');
  topChart.update();
}

function fillSelect(pages) {
  const options = pages.map((page) => {
    const option = document.createElement('option');
    option.value = page;
    option.textContent = page;
    return option;
  });
  elements.select.replaceChildren(elements.select.options[0], ...options);
  elements.select.value = pages.includes(pickedPage) ? pickedPage : '';
}

// --- loading ------------------------------------------------------------------------------------------------

async function loadTop() {
  try {
    const report = await getJson(`/reports/top?limit=${TOP_PAGES}`);
    showError('top', null);
    drawTop(report);
    return report;
  } catch (error) {
    setState('top', 'error', 'The top pages could not be loaded (see the message above).');
    showError('top', `Today's top pages: ${error.message}`);
    return null;
  }
}

async function loadHourly() {
  if (pickedPage === '') {
    elements.hourlyPage.textContent = '';
    setState('hourly', 'empty', 'No page picked: there are no views today yet. Type a page above.');
    return;
  }
  const page = pickedPage;
  try {
    const report = await getJson(`/report/${encodeURIComponent(page)}`);
    if (page !== pickedPage) return; // another page was picked meanwhile
    showError('hourly', null);
    drawHourly(page, report.data);
  } catch (error) {
    if (page !== pickedPage) return;
    elements.hourlyPage.textContent = shortened(page);
    setState('hourly', 'error', 'The views per hour could not be loaded (see the message above).');
    showError('hourly', `Views per hour of ${shortened(page)}: ${error.message}`);
  }
}

function pick(page) {
  pickedPage = page;
  elements.input.value = page;
  elements.select.value = [...elements.select.options].some((option) => option.value === page) ? page : '';
  const address = new URL(window.location.href);
  address.searchParams.set('page', page);
  window.history.replaceState(null, '', address);
  void loadHourly();
}

async function loadAll() {
  const top = await loadTop();
  if (pickedPage === '' && top?.data[0]) {
    pick(top.data[0].page);
    return;
  }
  elements.input.value = pickedPage;
  await loadHourly();
}

elements.select.addEventListener('change', () => {
  if (elements.select.value !== '') pick(elements.select.value);
});
elements.picker.addEventListener('submit', (event) => {
  event.preventDefault();
  const page = elements.input.value.trim();
  if (page !== '') pick(page);
});

void loadAll();
window.setInterval(() => void loadAll(), RELOAD_MS);
