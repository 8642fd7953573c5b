// The page's "Server" panel: this instance's hub once a second (GET /stats/events).
// The last 60 seconds of streams open and events published per second are charted,
// with a red mark on top for each second in which streams refused frames (drops).

const $ = (selector) => document.querySelector(selector);

/** How many seconds the charts show. */
const HISTORY = 60;

/**
 * Opens the panel's stream on `panel` (the page's `StreamPanel` for `#server`)
 * and draws what it sends. While the stream is away (reconnecting, refused,
 * closed) the broker badge says `unknown`: the last state it saw is stale.
 * The seconds it missed are a gap in the charts, not joined samples.
 */
export function startServerPanel(panel) {
  /** Snapshots, oldest first; `null` for a second the panel did not see. */
  const history = [];
  let away = false;
  let last;
  const push = (entry) => {
    history.push(entry);
    if (history.length > HISTORY) history.shift();
  };
  panel.open('/stats/events', {
    stats: (snapshot) => {
      // A stream that joins gets the last snapshot again: one it may have drawn already.
      if (last && snapshot.at <= last.at) return;
      let entry = { ...snapshot, droppedNow: last ? Math.max(0, snapshot.dropped - last.dropped) : 0 };
      if (away && last) {
        const missed = Math.round((Date.parse(snapshot.at) - Date.parse(last.at)) / 1000) - 1;
        for (let i = 0; i < Math.min(Math.max(missed, 1), HISTORY); i++) push(null);
        // The first rate after a reconnection may compare readings a moment apart: not drawn.
        entry = { ...entry, eventsPerSecond: null, droppedNow: 0 };
      }
      away = false;
      last = snapshot;
      push(entry);
      showStats(history, snapshot);
    },
  });
  const client = panel.client;
  client.onState(({ state }) => {
    if (state === 'reconnecting' || state === 'closed') {
      away = true;
      showBrokerUnknown();
    }
  });
  client.closed.then(() => showBrokerUnknown());
}

function showBrokerUnknown() {
  const badge = $('#broker-state');
  badge.dataset.broker = 'unknown';
  badge.textContent = 'broker unknown';
  badge.title = 'The stats stream is away: the state of the broker is not known.';
}

function showStats(history, { streams, eventsPerSecond, deliveredPerSecond, dropped, slowClientDisconnects, broker }) {
  $('#stats-streams').textContent = streams;
  $('#stats-events').textContent = eventsPerSecond.toFixed(1);
  $('#stats-delivered').textContent = deliveredPerSecond.toFixed(1);
  $('#stats-dropped').textContent = dropped;
  $('#stats-slow').textContent = slowClientDisconnects;
  const badge = $('#broker-state');
  badge.dataset.broker = broker.state;
  badge.textContent = `broker ${broker.state}`;
  badge.title = "The hub's broker (its details are in the server's log, not on a public page)";
  const streamsMax = drawChart(
    $('#stats-streams-chart'),
    history.map((s) => s?.streams ?? null),
    'line',
    '#2f8a55',
  );
  const eventsMax = drawChart(
    $('#stats-events-chart'),
    history.map((s) => s?.eventsPerSecond ?? null),
    'bars',
    '#3567d6',
    history.map((s) => (s?.droppedNow ?? 0) > 0),
  );
  // The largest value seen in the window (the chart's top is rounded up from it).
  $('#stats-streams-max').textContent = `max ${streamsMax}`;
  $('#stats-events-max').textContent = `max ${eventsMax}`;
}

/**
 * Draws `values` (oldest first, one a second; `null`: a gap) on `canvas`,
 * newest at the right edge, scaled to a round top above their maximum, which
 * it returns: `line` as a line over a filled area (broken at gaps), `bars` as
 * one bar a second. `marks`: seconds to mark in red at the top (drops).
 * Sharp on high-DPI screens.
 */
function drawChart(canvas, values, kind, color, marks = []) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const seen = values.filter((value) => value !== null);
  const observed = Math.max(0, ...seen);
  const top = roundUp(Math.max(1, observed));
  const slot = width / HISTORY;
  const x = (i) => width - (values.length - i) * slot;
  const y = (value) => height - 2 - (value / top) * (height - 6);
  // Grid: the baseline and the half line.
  context.strokeStyle = '#e3e7ee';
  context.lineWidth = 1;
  for (const level of [0, top / 2]) {
    context.beginPath();
    context.moveTo(0, Math.round(y(level)) + 0.5);
    context.lineTo(width, Math.round(y(level)) + 0.5);
    context.stroke();
  }
  context.fillStyle = '#d62828';
  marks.forEach((mark, i) => mark && context.fillRect(x(i) + 1, 0, Math.max(2, slot - 2), 4));
  if (kind === 'bars') {
    context.fillStyle = color;
    values.forEach((value, i) => {
      if (value === null) return;
      const barTop = y(value);
      context.fillRect(x(i) + 1, barTop, Math.max(1, slot - 2), height - 2 - barTop);
    });
    return observed;
  }
  // One line and area per run of seconds without a gap.
  let run = [];
  const drawRun = () => {
    if (run.length > 0) drawArea(context, run, height, color);
    run = [];
  };
  values.forEach((value, i) => {
    if (value === null) drawRun();
    else run.push([x(i) + slot / 2, y(value)]);
  });
  drawRun();
  return observed;
}

function drawArea(context, points, height, color) {
  context.beginPath();
  points.forEach(([px, py], i) => (i === 0 ? context.moveTo(px, py) : context.lineTo(px, py)));
  context.strokeStyle = color;
  context.lineWidth = 2;
  context.stroke();
  context.lineTo(points[points.length - 1][0], height - 2);
  context.lineTo(points[0][0], height - 2);
  context.closePath();
  context.globalAlpha = 0.15;
  context.fillStyle = color;
  context.fill();
  context.globalAlpha = 1;
}

/** The round number (1, 2 or 5 times a power of ten) at or above `value`: the top of a chart. */
function roundUp(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= value);
}
