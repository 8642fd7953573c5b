// The sample page: the typed client of nestjs-event-stream, imported as a plain ES module, no build step.
import { EventStreamClient } from '/lib/client/index.js';
import { startServerPanel } from '/server-panel.js';

const $ = (selector) => document.querySelector(selector);
const token = () => $('#token').value.trim();

/**
 * What an answer other than an open stream means, in a panel's words
 * (`reasons`) or the page's. The typed client tells it: `closed` (why it
 * stopped for good: the status, the server's message, the content type) or
 * an error it retries after (429 and 503 with `Retry-After`).
 */
function describeAnswer({ status, error }, reasons = {}) {
  if (reasons[status]) return reasons[status];
  const later = error?.retryInMs !== undefined ? `, trying again in ${Math.ceil(error.retryInMs / 1000)} s` : '';
  switch (status) {
    case 200:
      return `not an event stream (${error?.contentType || 'no content type'})`;
    case 204:
      return 'the server said stop (204 No Content: nothing more to stream)';
    case 400:
      return `refused (400): ${error?.serverMessage ?? 'bad request'}`;
    case 401:
      return 'refused (401): bad or missing token (or signed out everywhere)';
    case 403:
      return 'refused (403): not allowed';
    case 429:
      return `busy (429): too many streams for this user${later}`;
    case 503:
      return `busy (503): the server is full or shutting down${later}`;
    default:
      return `refused (${status}${error?.serverMessage ? `: ${error.serverMessage}` : ''})`;
  }
}

/** What an answer to a fetch of the API means (tickets, sign out), in the page's words. */
async function describeResponse(response) {
  if (response.status === 400) return `refused (400): ${await serverMessage(response)}`;
  return describeAnswer({ status: response.status });
}

/**
 * A single-use stream ticket for the user of the token field: `POST /tickets`
 * with the Bearer header (a header, never a cookie: a cross-site form cannot
 * get one). Rejects with what to show when there is none.
 */
async function newTicket() {
  let response;
  try {
    response = await fetch('/tickets', {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}` },
      cache: 'no-store',
    });
  } catch {
    throw new Error('server gone: it cannot be reached');
  }
  if (response.status === 429) throw new Error(`no ticket: busy (429): ${await serverMessage(response)}`);
  if (!response.ok) throw new Error(`no ticket: ${await describeResponse(response)}`);
  return (await response.json()).ticket;
}

/** The message of a JSON error body, as Nest sends it. */
async function serverMessage(response) {
  const body = await response.json().catch(() => ({}));
  return [].concat(body.message ?? response.statusText).join(', ');
}

/**
 * The server's final words that are for good, and what the panel says: the
 * typed client closes on them by itself (it never reconnects after them). On
 * any other end (`shutdown`, `lifetime`, `disconnected`, `auth-expired`,
 * `error`, or a dropped connection) it reconnects by itself, with
 * Last-Event-ID.
 */
const ENDS_FOR_GOOD = {
  completed: 'the server ended the stream: nothing more to come (completed)',
  revoked: 'signed out everywhere (revoked)',
};

/** Why a client is reconnecting: a busy server (429, 503: its own words), else a lost connection. */
function whyReconnecting(error) {
  return error?.code === 'retry-status' && (error.status === 429 || error.status === 503)
    ? describeAnswer({ status: error.status, error })
    : 'connection lost, retrying';
}

/**
 * One panel's stream: its state badge (connecting, open, reconnecting,
 * closed), why it is not open, and the last event id it saw. `open()` replaces
 * the panel's client; events of an older one are ignored.
 */
class StreamPanel {
  /** `reasons`: what a status means for this panel, e.g. `{ 204: 'the job is over' }`. */
  constructor(selector, reasons = {}) {
    this.selector = selector;
    this.reasons = reasons;
    this.client = undefined;
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

  /**
   * Opens a new typed client on `url` (same-origin cookies ride along);
   * `listeners` maps event types to handlers of the decoded data; `onReset`
   * hears the hub's `sse-reset` (what was missed could not all be replayed).
   */
  open(url, listeners, { onReset } = {}) {
    this.client?.close();
    const client = new EventStreamClient(url, { credentials: 'same-origin' });
    this.client = client;
    const current = () => this.client === client;
    let opened = false;
    this.lastId('–'); // a new client starts with no last event id
    this.show('connecting');
    client.onState(({ state, error }) => {
      if (!current()) return;
      if (state === 'open') {
        opened = true;
        this.show('open');
      } else if (state === 'reconnecting') {
        this.show('reconnecting', whyReconnecting(error));
      }
    });
    // A retry after another failure: the state stays `reconnecting`, the reason may change.
    client.onError((error) => {
      if (current() && client.state === 'reconnecting' && error.retryInMs !== undefined) {
        this.show('reconnecting', whyReconnecting(error));
      }
    });
    client.closed.then((closed) => {
      if (!current()) return;
      if (closed.reason === 'completed' || closed.reason === 'revoked') this.close(ENDS_FOR_GOOD[closed.reason]);
      else if (closed.reason === 'status' || closed.reason === 'not-event-stream') this.refused(closed, opened);
    });
    if (onReset) client.onReset((data) => current() && onReset(data));
    for (const [type, handle] of Object.entries(listeners)) {
      client.on(type, (data, event) => {
        if (!current()) return;
        if (event.lastEventId) this.lastId(event.lastEventId);
        handle(data, event);
      });
    }
  }

  /**
   * The client stopped for good: the server answered something other than an
   * open stream, to the first request or to a reconnect (`opened` says whether
   * the stream had opened). The panel says why.
   */
  refused(closed) {
    this.client = undefined;
    this.show('closed', describeAnswer(closed, this.reasons));
  }

  /** Closes the stream from the page's side. */
  close(reason) {
    this.client?.close();
    this.client = undefined;
    this.show('closed', reason);
  }

  lastId(id) {
    const shown = this.find('.last-id');
    if (shown) shown.textContent = id;
  }
}

/**
 * A panel whose stream opens with a single-use ticket (`?ticket=`), asked for
 * before every connect. A ticket opens one stream, once. When the stream ends
 * or its connection drops, the client reconnects by itself to the same URL,
 * with the same ticket, which is used: the server answers 401 and the client
 * stops for good. So when a stream that had opened is refused, the panel asks
 * for a new ticket and opens a new client. One refused before it ever opened
 * stays closed (no loop on a bad token, a finished job or a full server) and
 * says why.
 */
class TicketStreamPanel extends StreamPanel {
  constructor(selector, reasons = {}) {
    super(selector, reasons);
    /** Counts connects: a later connect() or close() makes an earlier one's ticket moot. */
    this.generation = 0;
  }

  /** Opens `path` (a stream route, no query) with a new ticket. */
  async connect(path, listeners) {
    const generation = ++this.generation;
    this.path = path;
    this.listeners = listeners;
    this.client?.close();
    this.client = undefined;
    this.show('connecting', 'getting a ticket');
    try {
      const ticket = await newTicket();
      if (generation === this.generation) this.open(withTicket(path, ticket), listeners);
    } catch (error) {
      if (generation === this.generation) this.show('closed', error.message);
    }
  }

  refused(closed, opened) {
    // The client's own reconnect was refused: it sent the used ticket again.
    if (opened && closed.status === 401) return void this.connect(this.path, this.listeners);
    super.refused(closed);
  }

  close(reason) {
    this.generation++;
    super.close(reason);
  }
}

function withTicket(path, ticket) {
  return `${path}?ticket=${encodeURIComponent(ticket)}`;
}

// Ticker: a public stream fed by a scheduled broadcast.
const ticker = new StreamPanel('#ticker');
ticker.open('/ticks', {
  tick: ({ n, at }) => {
    $('#tick-n').textContent = n;
    $('#tick-at').textContent = new Date(at).toLocaleTimeString();
  },
});

// Clock: opened with a single-use ticket, never the token itself (a URL lands in access logs).
const clock = new TicketStreamPanel('#clock');
function openClock() {
  clock.connect('/clock', {
    time: ({ time }) => {
      $('#clock-time').textContent = new Date(time).toLocaleTimeString();
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
  rooms.open(
    `/rooms/${encodeURIComponent(room)}/events`,
    {
      message: ({ user, text, at }) => {
        const item = document.createElement('li');
        const who = document.createElement('span');
        who.className = 'user';
        who.textContent = user;
        item.append(who, text);
        item.title = new Date(at).toLocaleString();
        $('#room-messages').append(item);
        item.scrollIntoView({ block: 'nearest' });
      },
    },
    {
      onReset: () => {
        $('#room-error').textContent = 'Some messages could not be replayed after the reconnect.';
        $('#room-error').hidden = false;
      },
    },
  );
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
// once it is over the server answers 204, which stops the typed client for good.
const jobs = new TicketStreamPanel('#jobs', {
  204: 'the server said stop (204): the job is over, or not one of yours',
});
function showProgress(percent) {
  $('#job-progress').value = percent;
  $('#job-percent').textContent = percent;
}
function watchJob(id) {
  sessionStorage.setItem('sample.job', id);
  $('#job-status').textContent = '';
  jobs.connect(`/jobs/${encodeURIComponent(id)}/events`, {
    progress: ({ percent }) => {
      showProgress(percent);
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

/**
 * Sign out everywhere: `POST /sign-out-everywhere` with the Bearer header.
 * The server ends every stream of the user, in every tab and on every
 * instance, with the final word `revoked` (each panel then closes for good),
 * and refuses the token for a while (`SIGN_OUT_MS`): the demo token never
 * expires, so that stands in for "until it would have expired".
 */
$('#sign-out').addEventListener('click', async () => {
  const status = $('#sign-out-status');
  status.textContent = 'signing out…';
  let response;
  try {
    response = await fetch('/sign-out-everywhere', {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}` },
      cache: 'no-store',
    });
  } catch {
    status.textContent = 'not signed out: the server cannot be reached';
    return;
  }
  if (response.status === 429) {
    status.textContent = `not signed out: busy (429): ${await serverMessage(response)}`;
  } else if (!response.ok) {
    status.textContent = `not signed out: ${await describeResponse(response)}`;
  } else {
    const { user, refusedUntil } = await response.json();
    const until = new Date(refusedUntil).toLocaleTimeString();
    status.textContent = `${user} is signed out everywhere; this token is refused until ${until}, then reload.`;
  }
});

$('#token').addEventListener('change', () => {
  openClock();
  joinRoom(currentRoom);
});

// Server: this instance's hub, once a second (GET /stats/events): see server-panel.js.
startServerPanel(new StreamPanel('#server'));
