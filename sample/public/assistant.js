// The page's "Assistant" panel: an answer streamed word by word as a resumable run (docs/runs.md).
// The words come from DemoTextGenerator, a deterministic demo text generator on the server, NOT a model.
//
// POST /assistant/runs starts the run and streams it; the run's id is the Idempotency-Key the panel
// chooses, so that the typed client's own reconnects (it re-POSTs with Last-Event-ID) join the run.
// This tab keeps the run (its id, the text so far and the last event id, written together after every
// word) in sessionStorage: after a reload it shows the text so far and resumes with
// GET /assistant/runs/:id and Last-Event-ID, which sends exactly the words it missed, then the rest.
// Stop is POST /assistant/runs/:id/cancel: the server's generator stops, and the stream ends with the
// final word's outcome "cancelled".
import { EventStreamClient } from '/lib/client/index.js';

const $ = (selector) => document.querySelector(selector);
const token = () => $('#token').value.trim();

/** Where this tab keeps its run. */
const STORAGE_KEY = 'sample.assistant';

/** How each way a run ends reads in the panel: its `outcome` (`completed` without one). */
const OUTCOMES = {
  completed: 'done: the whole answer',
  cancelled: 'stopped',
  idle: 'stopped: no one was listening (idle)',
  timeout: 'stopped: it ran for too long (timeout)',
  failed: 'failed on the server',
  shutdown: 'interrupted: the server writing it shut down',
};

/** The statuses of a run that is still being written, which a reload resumes. */
const LIVE = new Set(['streaming', 'resuming', 'stopping']);

/**
 * The run this tab follows: `{ id, prompt, text, lastEventId, status, note }`.
 * `text` and `lastEventId` are written together, so that a resume after
 * `lastEventId` continues `text` with nothing lost or repeated.
 */
let run = load();
/** The typed client of the run being followed; a newer one makes an older one's events moot. */
let client;

function load() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    return stored && typeof stored.id === 'string' && typeof stored.text === 'string' ? stored : undefined;
  } catch {
    return undefined;
  }
}

function save() {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(run));
}

/** A run id of 32 hex digits. `crypto.getRandomValues`, unlike `randomUUID`, also works on a page served over plain http. */
function newRunId() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function showBadge(state, reason = '') {
  const badge = $('#assistant .state');
  badge.dataset.state = state;
  badge.textContent = state;
  const why = $('#assistant .reason');
  why.textContent = reason;
  why.hidden = reason === '';
}

/** Shows `run`: its text, its status (`data-status` is the machine-readable one), its id and last event id. */
function render() {
  const status = $('#assistant-status');
  status.dataset.status = run?.status ?? 'none';
  status.textContent = run ? (OUTCOMES[run.status] ?? run.status) : 'ask something';
  $('#assistant-answer').textContent = run?.text ?? '';
  $('#assistant-run').textContent = run?.id ?? '–';
  $('#assistant-last-id').textContent = run?.lastEventId || '–';
  $('#assistant-note').textContent = run?.note ?? '';
  const live = run !== undefined && LIVE.has(run.status);
  $('#assistant-ask').disabled = live;
  $('#assistant-stop').disabled = !live || run.status === 'stopping';
}

function update(changes) {
  run = { ...run, ...changes };
  save();
  render();
}

/**
 * Follows `run` with a new typed client: `post` starts it (and, on a
 * reconnect, joins it after the last event id), `resume` reads it from
 * `GET /assistant/runs/:id` after `run.lastEventId` (from its start without one).
 */
function follow(how) {
  client?.close();
  const followed = run.id;
  const auth = () => ({ authorization: `Bearer ${token()}` });
  const current = () => client === mine && run?.id === followed;
  const mine =
    how === 'post'
      ? new EventStreamClient('/assistant/runs', {
          method: 'POST',
          body: JSON.stringify({ prompt: run.prompt }),
          headers: () => ({ ...auth(), 'content-type': 'application/json', 'idempotency-key': followed }),
          lastEventId: run.lastEventId,
        })
      : new EventStreamClient(`/assistant/runs/${encodeURIComponent(followed)}`, {
          headers: auth,
          lastEventId: run.lastEventId,
        });
  client = mine;
  showBadge('connecting');
  mine.onState(({ state }) => {
    if (!current()) return;
    if (state === 'open') {
      showBadge('open');
      if (run.status === 'resuming') update({ status: 'streaming' });
    } else if (state === 'reconnecting') showBadge('reconnecting', 'connection lost: resuming after the last word');
  });
  mine.on('token', ({ text }, event) => {
    if (!current()) return;
    update({ text: run.text + text, lastEventId: event.lastEventId });
  });
  mine.onEnd((end) => {
    if (!current()) return;
    // A run's end: `completed` alone, or with how it was stopped. Any other final word (the stream's
    // server shutting down, say) is not the run's: the client reconnects and resumes by itself.
    const outcome = end.outcome ?? (end.reason === 'completed' ? 'completed' : undefined);
    if (outcome === undefined) return;
    mine.close();
    client = undefined;
    update({ status: outcome });
    showBadge('closed', 'the run is over');
  });
  mine.closed.then((closed) => {
    if (!current()) return;
    client = undefined;
    if (closed.reason === 'revoked') {
      update({ status: 'signed out', note: 'Signed out everywhere: the answer stopped streaming to this tab.' });
      showBadge('closed', 'signed out everywhere (revoked)');
    } else if (closed.status === 204) {
      update({ status: 'gone', note: 'Nothing more to stream: the answer is over (or expired, or not yours).' });
      showBadge('closed', 'the server said stop (204 No Content)');
    } else if (closed.reason !== 'closed') {
      const message = closed.error?.serverMessage ?? closed.error?.message ?? closed.reason;
      update({ status: 'refused', note: `Refused (${closed.status ?? closed.reason}): ${message}` });
      showBadge('closed', `refused (${closed.status ?? closed.reason})`);
    }
  });
}

$('#assistant-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // The server checks the prompt (1 to 200 characters, not blank); a 400 shows its message.
  const prompt = $('#assistant-prompt').value;
  run = { id: newRunId(), prompt, text: '', lastEventId: '', status: 'streaming', note: '' };
  save();
  render();
  follow('post');
});

$('#assistant-stop').addEventListener('click', async () => {
  if (!run || !LIVE.has(run.status)) return;
  const stopping = run.id;
  update({ status: 'stopping', note: '' });
  let response;
  try {
    response = await fetch(`/assistant/runs/${encodeURIComponent(stopping)}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}` },
    });
  } catch {
    response = undefined;
  }
  if (run?.id !== stopping || !LIVE.has(run.status)) return;
  // 204: the stream ends with the final word's outcome "cancelled". 404: it was over already, and ends by itself.
  if (response?.status === 204 || response?.status === 404) return;
  const why = response
    ? `${response.status}: ${await response.text().catch(() => '')}`
    : 'the server cannot be reached';
  update({ status: 'streaming', note: `Not stopped (${why})` });
});

render();
if (run && LIVE.has(run.status)) {
  // A reload mid-answer: the text so far is shown, and the rest is read after the last event id.
  const words = run.text.match(/\S+/g)?.length ?? 0;
  update({
    status: 'resuming',
    note: run.lastEventId
      ? `Resumed after event ${run.lastEventId}: the first ${words} words were kept by this tab.`
      : 'Resumed from the start of the run.',
  });
  follow('resume');
} else if (run) {
  showBadge('closed', 'the run is over');
}
