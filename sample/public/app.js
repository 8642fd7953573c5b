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
    return await describeAnswer(response, reasons);
  } catch {
    return 'server gone: it cannot be reached';
  } finally {
    controller.abort();
  }
}

/** What an answer other than an open stream means, in a panel's words (`reasons`) or the page's. */
async function describeAnswer(response, reasons = {}) {
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
      return 'refused (401): bad or missing token (or signed out everywhere)';
    case 403:
      return 'refused (403): not allowed';
    case 429:
      return `busy (429): too many streams for this user${later}`;
    case 503:
      return `busy (503): the server is full or shutting down${later}`;
    default:
      return `refused (${[response.status, response.statusText].filter(Boolean).join(' ')})`;
  }
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
  if (!response.ok) throw new Error(`no ticket: ${await describeAnswer(response)}`);
  return (await response.json()).ticket;
}

/** The message of a JSON error body, as Nest sends it. */
async function serverMessage(response) {
  const body = await response.json().catch(() => ({}));
  return [].concat(body.message ?? response.statusText).join(', ');
}

/**
 * The server's final word (`sse-end`, `{ reason }`) when it ends a stream,
 * for the reasons that are for good: the panel closes its EventSource, which
 * would otherwise reconnect, and says why. On any other reason (`shutdown`,
 * `lifetime`, `disconnected`, `auth-expired`, `error`) the browser reconnects
 * by itself, with Last-Event-ID.
 */
const ENDS_FOR_GOOD = {
  completed: 'the server ended the stream: nothing more to come (completed)',
  revoked: 'signed out everywhere (revoked)',
};

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
    let opened = false;
    this.lastId('–'); // a new EventSource starts with no last event id
    this.show('connecting');
    source.addEventListener('open', () => {
      opened = true;
      if (current()) this.show('open');
    });
    source.addEventListener('error', () => {
      if (!current()) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The stream ended or the connection dropped: the browser retries by itself, with Last-Event-ID.
        this.show('reconnecting', 'connection lost, retrying');
      } else if (source.readyState === EventSource.CLOSED) {
        this.refused(url, opened);
      }
    });
    source.addEventListener('sse-end', (event) => {
      if (!current()) return;
      const reason = ENDS_FOR_GOOD[JSON.parse(event.data).reason];
      if (reason) this.close(reason);
    });
    for (const [type, handle] of Object.entries(listeners)) {
      source.addEventListener(type, (event) => {
        if (!current()) return;
        if (event.lastEventId) this.lastId(event.lastEventId);
        handle(event);
      });
    }
  }

  /**
   * The browser closed the stream for good: the server answered something
   * other than an open stream, to the first request or to a reconnect (it is
   * also told whether the stream had opened). The panel asks the server why
   * and says it.
   */
  refused(url) {
    const source = this.source;
    this.show('closed', 'asking the server why…');
    whyRefused(url, this.reasons).then((reason) => this.source === source && this.show('closed', reason));
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

/**
 * A panel whose stream opens with a single-use ticket (`?ticket=`), asked for
 * before every connect. A ticket opens one stream, once. When the stream ends
 * or its connection drops, the browser reconnects by itself to the same URL,
 * with the same ticket, which is used: the server answers 401 and the browser
 * closes the EventSource for good. So when a stream that had opened is
 * refused, the panel asks for a new ticket and opens a new EventSource. One
 * refused before it ever opened stays closed (no loop on a bad token, a
 * finished job or a full server): the panel asks the server why, with another
 * new ticket (the first may be used up), and says it.
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
    this.source?.close();
    this.source = undefined;
    this.show('connecting', 'getting a ticket');
    try {
      const ticket = await newTicket();
      if (generation === this.generation) this.open(withTicket(path, ticket), listeners);
    } catch (error) {
      if (generation === this.generation) this.show('closed', error.message);
    }
  }

  refused(url, opened) {
    // The browser's own reconnect was refused: it sent the used ticket again.
    if (opened) return void this.connect(this.path, this.listeners);
    const generation = ++this.generation;
    this.source = undefined;
    this.show('closed', 'asking the server why…');
    newTicket()
      .then((ticket) => whyRefused(withTicket(this.path, ticket), this.reasons))
      .catch((error) => error.message)
      .then((reason) => generation === this.generation && this.show('closed', reason));
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
  tick: (event) => {
    const { n, at } = JSON.parse(event.data);
    $('#tick-n').textContent = n;
    $('#tick-at').textContent = new Date(at).toLocaleTimeString();
  },
});

// Clock: opened with a single-use ticket, never the token itself (a URL lands in access logs).
const clock = new TicketStreamPanel('#clock');
function openClock() {
  clock.connect('/clock', {
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
    status.textContent = `not signed out: ${await describeAnswer(response)}`;
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
