// The sample page: plain EventSource, no build step.
const $ = (selector) => document.querySelector(selector);
const token = () => $('#token').value.trim();

/** Shows an EventSource's state: open, reconnecting (the browser retries by itself) or closed. */
function trackState(source, panel) {
  const badge = $(`${panel} .state`);
  const show = (state) => {
    badge.dataset.state = state;
    badge.textContent = state;
  };
  show('connecting');
  source.addEventListener('open', () => show('open'));
  source.addEventListener('error', () => show(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  return show;
}

// Ticker: a public stream fed by a scheduled broadcast.
const ticks = new EventSource('/ticks');
trackState(ticks, '#ticker');
ticks.addEventListener('tick', (event) => {
  const { n, at } = JSON.parse(event.data);
  $('#tick-n').textContent = n;
  $('#tick-at').textContent = new Date(at).toLocaleTimeString();
  $('#tick-last-id').textContent = event.lastEventId;
});

// Clock: the token travels in the path (fine for a demo; see README on tokens in URLs).
let clock;
function openClock() {
  clock?.close();
  clock = new EventSource(`/clock/${encodeURIComponent(token())}`);
  trackState(clock, '#clock');
  clock.addEventListener('time', (event) => {
    $('#clock-time').textContent = new Date(JSON.parse(event.data).time).toLocaleTimeString();
  });
}
openClock();

// Rooms: the stream authenticates with the sse_token cookie, the POST with a Bearer header.
let roomSource;
let currentRoom;
function joinRoom(room) {
  roomSource?.close();
  currentRoom = room;
  $('#room-messages').replaceChildren();
  $('#room-error').hidden = true;
  document.cookie = `sse_token=${encodeURIComponent(token())}; path=/; SameSite=Strict`;
  roomSource = new EventSource(`/rooms/${encodeURIComponent(room)}/events`);
  const show = trackState(roomSource, '#rooms');
  roomSource.addEventListener('message', (event) => {
    const { user, text, at } = JSON.parse(event.data);
    const item = document.createElement('li');
    const who = document.createElement('span');
    who.className = 'user';
    who.textContent = user;
    item.append(who, text);
    item.title = new Date(at).toLocaleString();
    $('#room-messages').append(item);
    item.scrollIntoView({ block: 'nearest' });
    $('#room-last-id').textContent = event.lastEventId;
  });
  roomSource.addEventListener('sse-reset', () => {
    $('#room-error').textContent = 'Some messages could not be replayed after the reconnect.';
    $('#room-error').hidden = false;
  });
  roomSource.addEventListener('error', () => {
    if (roomSource.readyState === EventSource.CLOSED) show('closed');
  });
}

$('#room-form').addEventListener('submit', (event) => {
  event.preventDefault();
  joinRoom($('#room').value.trim());
});

$('#message-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('#message').value;
  const response = await fetch(`/rooms/${encodeURIComponent(currentRoom)}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
    body: JSON.stringify({ text }),
  });
  if (response.ok) {
    $('#message').value = '';
  } else {
    const body = await response.json().catch(() => ({}));
    $('#room-error').textContent = `Not sent: ${[].concat(body.message ?? response.statusText).join(', ')}`;
    $('#room-error').hidden = false;
  }
});

joinRoom($('#room').value.trim());

// Jobs: a stream that ends; the server answers 204 once the job is over, so the browser stops.
let jobSource;
function showProgress(percent) {
  $('#job-progress').value = percent;
  $('#job-percent').textContent = percent;
}
$('#start-job').addEventListener('click', async () => {
  jobSource?.close();
  showProgress(0);
  $('#job-status').textContent = 'starting';
  const response = await fetch('/jobs', { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    $('#job-status').textContent = `not started (${response.status})`;
    return;
  }
  const { id } = await response.json();
  $('#job-status').textContent = 'running';
  const source = new EventSource(`/jobs/${encodeURIComponent(id)}/events?token=${encodeURIComponent(token())}`);
  jobSource = source;
  const show = trackState(source, '#jobs');
  source.addEventListener('progress', (event) => showProgress(JSON.parse(event.data).percent));
  source.addEventListener('done', () => {
    $('#job-status').textContent = 'done';
    source.close();
    show('closed');
  });
});

$('#token').addEventListener('change', () => {
  openClock();
  joinRoom(currentRoom);
});
