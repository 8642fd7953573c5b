// The sample page: plain EventSource, no build step.
const $ = (selector) => document.querySelector(selector);
const token = () => $('#token').value.trim();

/**
 * Why the server refuses a stream. A browser's EventSource closes for good on
 * any answer but `200 text/event-stream` and never shows which one it got, so
 * the page asks again: a GET of the same URL (same cookies), of which it reads
 * the status and headers only, then aborts. That is the request the browser
 * made, so it meets the same guard, the same handler (`null` answers 204) and
 * the same limits (429, 503); a HEAD would skip the handler and the limits.
 * An aborted 200 costs the server one stream that ends at once. `reasons`: a
 * panel's own words for a status.
 */
async function whyRefused(url, reasons = {}) {
  const controller = new AbortController();
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream' },
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
    if (reasons[response.status]) return reasons[response.status];
    const type = response.headers.get('content-type') ?? '';
    const retryAfter = response.headers.get('retry-after');
    const later = retryAfter ? `, try again in ${retryAfter} s` : '';
    switch (response.status) {
      case 200:
        return type.startsWith('text/event-stream')
          ? 'the server refused it then and accepts it now: reload to reopen'
          : `not an event stream (${type || 'no content type'})`;
      case 204:
        return 'the server said stop (204 No Content: nothing more to stream)';
      case 400:
        return `refused (400): ${await serverMessage(response)}`;
      case 401:
        return 'refused (401): bad or missing token';
      case 403:
        return 'refused (403): not allowed';
      case 429:
        return `busy (429): too many streams for this user${later}`;
      case 503:
        return `busy (503): the server is full or shutting down${later}`;
      default:
        return `refused (${[response.status, response.statusText].filter(Boolean).join(' ')})`;
    }
  } catch {
    return 'server gone: it cannot be reached';
  } finally {
    controller.abort();
  }
}

/** The message of a JSON error body, as Nest sends it. */
async function serverMessage(response) {
  const body = await response.json().catch(() => ({}));
  return [].concat(body.message ?? response.statusText).join(', ');
}

/**
 * One panel's stream: its state badge (connecting, open, reconnecting,
 * closed), why it is not open, and the last event id it saw. `open()` replaces
 * the panel's EventSource; events of an older one are ignored.
 */
class StreamPanel {
  /** `reasons`: what a status means for this panel, e.g. `{ 204: 'the job is over' }`. */
  constructor(selector, reasons = {}) {
    this.selector = selector;
    this.reasons = reasons;
    this.source = undefined;
  }

  find(part) {
    return $(`${this.selector} ${part}`);
  }

  show(state, reason = '') {
    const badge = this.find('.state');
    badge.dataset.state = state;
    badge.textContent = state;
    const why = this.find('.reason');
    why.textContent = reason;
    why.hidden = reason === '';
  }

  /** Opens a new EventSource on `url`; `listeners` maps event types to handlers. */
  open(url, listeners) {
    this.source?.close();
    const source = new EventSource(url);
    this.source = source;
    const current = () => this.source === source;
    this.lastId('–'); // a new EventSource starts with no last event id
    this.show('connecting');
    source.addEventListener('open', () => current() && this.show('open'));
    source.addEventListener('error', () => {
      if (!current()) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The stream ended or the connection dropped: the browser retries by itself, with Last-Event-ID.
        this.show('reconnecting', 'connection lost, retrying');
      } else if (source.readyState === EventSource.CLOSED) {
        this.show('closed', 'asking the server why…');
        whyRefused(url, this.reasons).then((reason) => current() && this.show('closed', reason));
      }
    });
    for (const [type, handle] of Object.entries(listeners)) {
      source.addEventListener(type, (event) => {
        if (!current()) return;
        if (event.lastEventId) this.lastId(event.lastEventId);
        handle(event);
      });
    }
  }

  /** Closes the stream from the page's side. */
  close(reason) {
    this.source?.close();
    this.source = undefined;
    this.show('closed', reason);
  }

  lastId(id) {
    const shown = this.find('.last-id');
    if (shown) shown.textContent = id;
  }
}

// Ticker: a public stream fed by a scheduled broadcast.
const ticker = new StreamPanel('#ticker');
ticker.open('/ticks', {
  tick: (event) => {
    const { n, at } = JSON.parse(event.data);
    $('#tick-n').textContent = n;
    $('#tick-at').textContent = new Date(at).toLocaleTimeString();
  },
});

// Clock: the token travels in the path (fine for a demo; see docs/auth.md on tokens in URLs).
const clock = new StreamPanel('#clock');
function openClock() {
  clock.open(`/clock/${encodeURIComponent(token())}`, {
    time: (event) => {
      $('#clock-time').textContent = new Date(JSON.parse(event.data).time).toLocaleTimeString();
    },
  });
}
openClock();

// Rooms: the stream authenticates with the sse_token cookie, the POST with a Bearer header.
const rooms = new StreamPanel('#rooms');
let currentRoom;
function joinRoom(room) {
  currentRoom = room;
  $('#room-messages').replaceChildren();
  $('#room-error').hidden = true;
  document.cookie = `sse_token=${encodeURIComponent(token())}; path=/; SameSite=Strict`;
  rooms.open(`/rooms/${encodeURIComponent(room)}/events`, {
    message: (event) => {
      const { user, text, at } = JSON.parse(event.data);
      const item = document.createElement('li');
      const who = document.createElement('span');
      who.className = 'user';
      who.textContent = user;
      item.append(who, text);
      item.title = new Date(at).toLocaleString();
      $('#room-messages').append(item);
      item.scrollIntoView({ block: 'nearest' });
    },
    'sse-reset': () => {
      $('#room-error').textContent = 'Some messages could not be replayed after the reconnect.';
      $('#room-error').hidden = false;
    },
  });
}

$('#room-form').addEventListener('submit', (event) => {
  event.preventDefault();
  joinRoom($('#room').value.trim());
});

/**
 * The API's rule for a message, with its messages: `MessageBodyPipe` in
 * sample/src/rooms/message-body.pipe.ts. 1 to 2000 characters counted in code
 * points (an emoji is one; the `maxlength` attribute would count two), and not
 * blank (`trim()` leaves nothing). `undefined` when the text is fine.
 */
const MAX_MESSAGE_LENGTH = 2000;
function messageTextProblem(text) {
  const length = [...text].length;
  if (length < 1 || length > MAX_MESSAGE_LENGTH) {
    return `text must be 1 to ${MAX_MESSAGE_LENGTH} characters long (got ${length})`;
  }
  if (text.trim() === '') return 'text must not be blank';
  return undefined;
}

function showMessageError(message) {
  $('#message-error').textContent = message ? `Not sent: ${message}` : '';
  $('#message-error').hidden = !message;
  $('#message').setAttribute('aria-invalid', String(Boolean(message)));
}

$('#message').addEventListener('input', () => showMessageError(undefined));
$('#message-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('#message').value;
  const problem = messageTextProblem(text);
  showMessageError(problem);
  if (problem) return;
  let response;
  try {
    response = await fetch(`/rooms/${encodeURIComponent(currentRoom)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
      body: JSON.stringify({ text }),
    });
  } catch {
    // It may have reached the server before the connection failed: the message may have been published.
    showMessageError('the server could not be reached (the message may have been published)');
    return;
  }
  if (response.ok) $('#message').value = '';
  else showMessageError(await serverMessage(response));
});

joinRoom($('#room').value.trim());

// Jobs: a stream that ends. The page remembers the job (sessionStorage), so a reload watches it again;
// once it is over the server answers 204, which stops the browser's EventSource.
const jobs = new StreamPanel('#jobs', {
  204: 'the server said stop (204): the job is over, or not one of yours',
});
function showProgress(percent) {
  $('#job-progress').value = percent;
  $('#job-percent').textContent = percent;
}
function watchJob(id) {
  sessionStorage.setItem('sample.job', id);
  $('#job-status').textContent = '';
  jobs.open(`/jobs/${encodeURIComponent(id)}/events?token=${encodeURIComponent(token())}`, {
    progress: (event) => {
      showProgress(JSON.parse(event.data).percent);
      $('#job-status').textContent = 'running';
    },
    done: () => {
      $('#job-status').textContent = 'done';
      jobs.close('the job is done');
    },
  });
}
$('#start-job').addEventListener('click', async () => {
  jobs.close('');
  showProgress(0);
  $('#job-status').textContent = 'starting';
  const response = await fetch('/jobs', { method: 'POST', headers: { authorization: `Bearer ${token()}` } }).catch(
    () => undefined,
  );
  if (!response?.ok) {
    $('#job-status').textContent = `not started (${response ? response.status : 'server unreachable'})`;
    return;
  }
  watchJob((await response.json()).id);
});
const lastJob = sessionStorage.getItem('sample.job');
if (lastJob) watchJob(lastJob);

$('#token').addEventListener('change', () => {
  openClock();
  joinRoom(currentRoom);
});
