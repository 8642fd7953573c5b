/**
 * The answer of the assistant panel's demo text generator: a fixed text, the
 * same for the same prompt, so that a test (or a person reloading the page)
 * can tell that nothing was lost or repeated. Pure: no timers, no state.
 */

/** The longest prompt, in code points: the answer (its words and the prompt's) stays far below a channel's history (1000 events). */
export const MAX_PROMPT_LENGTH = 200;

const BEFORE_PROMPT =
  'This answer comes from DemoTextGenerator, a deterministic stand-in for a language model: there is no model ' +
  'behind it, and it writes the same words for the same prompt, one every ASSISTANT_TOKEN_MS. You asked:';

const AFTER_PROMPT =
  'Each word is one event of a resumable run. The server records every event through the broker of the hub ' +
  'while it streams it, so the run does not belong to this connection. Reload the page now: the panel keeps the ' +
  "run's id and its last event id in sessionStorage, reconnects with Last-Event-ID, and gets the words it " +
  'missed, then the rest live, with nothing lost and nothing repeated. On Redis the run resumes on any instance, ' +
  'since its recording lives in the broker. Press Stop and the server cancels the run: the signal of the ' +
  'generator aborts, it writes no further word, and the stream ends with the outcome cancelled. A run that no ' +
  'one listens to, on any instance, stops by itself after its idle timeout. That is all there is to it: a long ' +
  'answer, streamed word by word, that outlives the connection which asked for it.';

/** The whole answer to `prompt` (its whitespace trimmed and collapsed to single spaces). */
export function demoAnswer(prompt: string): string {
  return `${BEFORE_PROMPT} “${prompt.trim().replace(/\s+/g, ' ')}”. ${AFTER_PROMPT}`;
}

/** The answer's tokens, in order: each word with the space after it. Joined, they are `demoAnswer(prompt)`. */
export function demoAnswerTokens(prompt: string): string[] {
  return demoAnswer(prompt).match(/\S+\s*/g) ?? [];
}
