import { randomUUID } from 'node:crypto';
import { Stream } from 'openai/streaming';
import {
  AbstractChat,
  DefaultChatTransport,
  parseJsonEventStream,
  readUIMessageStream,
  uiMessageChunkSchema,
  type ChatState,
  type ChatStatus,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { startRunsApp, type RunsInstance } from '../src/runs/runs-app.js';

interface ChatChunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
}

/** Reads an OpenAI-compatible stream with the `openai` package's own SSE reader. */
async function readChunks(response: Response): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of Stream.fromSSEResponse<ChatChunk>(response, new AbortController())) chunks.push(chunk);
  return chunks;
}

/** The text of the chunks, as an OpenAI client assembles it. */
const textOf = (chunks: ChatChunk[]) => chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

/** Reads a UI message stream with the AI SDK's own parser and schema. */
async function readUiChunks(body: ReadableStream<Uint8Array>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  const reader = parseJsonEventStream({ stream: body, schema: uiMessageChunkSchema }).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    if (!value.success) throw value.error;
    chunks.push(value.value as UIMessageChunk);
  }
}

/** The last message snapshot `readUIMessageStream` makes of a chunk stream. */
async function lastMessage(chunks: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream: chunks })) last = message;
  return last;
}

/** The state a front end keeps of a chat (React's, Vue's...), as a plain array: what a reload restores. */
class ArrayChatState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined;
  constructor(public messages: UIMessage[]) {}
  pushMessage = (message: UIMessage) => void (this.messages = [...this.messages, message]);
  popMessage = () => void (this.messages = this.messages.slice(0, -1));
  replaceMessage = (index: number, message: UIMessage) =>
    void (this.messages = this.messages.map((old, i) => (i === index ? message : old)));
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/** The AI SDK's own chat logic (what useChat() runs), over a plain array of messages; the answer's tokens ride in the body. */
class TestChat extends AbstractChat<UIMessage> {
  constructor(id: string, api: string, tokens: string[], messages: UIMessage[] = []) {
    super({ id, transport: new DefaultChatTransport({ api, body: { tokens } }), state: new ArrayChatState(messages) });
  }
}

const textParts = (message: UIMessage | undefined) =>
  (message?.parts ?? []).flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

describe('the wire presets, read by the clients that speak them', () => {
  let instance: RunsInstance;

  beforeAll(async () => {
    instance = await startRunsApp();
  });

  afterAll(() => instance.close());

  const postJson = (path: string, body: unknown) =>
    fetch(`${instance.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  describe('openAiChatCompletions(), read by openai Stream.fromSSEResponse', () => {
    it('streams text tokens as chat.completion.chunk objects, a stop chunk, then [DONE] with no final word', async () => {
      const response = await postJson('/v1/chat/completions', { tokens: ['Hel', 'lo', ' world'] });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const chunks = await readChunks(response);
      expect(textOf(chunks)).toBe('Hello world');
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'test-model')).toBe(
        true,
      );
      expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    });

    it('on the wire: data lines with ids, the last block data: [DONE], no final word after it', async () => {
      const text = await (await postJson('/v1/chat/completions', { tokens: ['a'] })).text();
      expect(text).toMatch(/^retry: \d+\n\nid: [a-z0-9]+\.\d+\ndata: \{"id":"chatcmpl-/);
      expect(text.endsWith('\ndata: [DONE]\n\n')).toBe(true);
      expect(text).not.toContain('sse-end');
    });

    it('fails the run with a TypeError naming what it takes for a value that is no string or chunk object', async () => {
      for (const bad of [null, 42, ['a']]) {
        await expect(readChunks(await postJson('/v1/chat/completions', { tokens: [bad] }))).rejects.toThrow(
          /Internal server error/,
        );
      }
    });

    it('passes chunk objects through as they are', async () => {
      const own = {
        id: 'chatcmpl-own',
        object: 'chat.completion.chunk',
        model: 'm',
        choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }],
      };
      const chunks = await readChunks(await postJson('/v1/chat/completions', { tokens: [own] }));
      expect(chunks).toEqual([own]);
    });

    it('is resumed with Last-Event-ID on GET and read by the same reader: no chunk lost or repeated', async () => {
      const id = randomUUID();
      const controller = new AbortController();
      const first = await fetch(`${instance.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
        signal: controller.signal,
      });
      const feed = await instance.source.started(id);
      feed.emit('one ', 'two ');
      // Read raw frames up to the second chunk to learn the last id, as a resuming fetch client does.
      const reader = first.body!.getReader();
      let raw = '';
      while ((raw.match(/^data: /gm) ?? []).length < 2) raw += new TextDecoder().decode((await reader.read()).value);
      const lastId = [...raw.matchAll(/^id: (.+)$/gm)].at(-1)![1];
      controller.abort();
      feed.emit('three');
      feed.complete();
      const resumed = await fetch(`${instance.url}/v1/chat/completions/${id}`, {
        headers: { 'last-event-id': lastId },
      });
      const chunks = await readChunks(resumed);
      expect(textOf(chunks)).toBe('three');
      expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    });

    it('a failed run ends with an error chunk: the openai reader throws an APIError with its message', async () => {
      const id = randomUUID();
      const response = await postJson('/v1/chat/completions', { id });
      (await instance.source.started(id)).fail(new Error('hidden'));
      await expect(readChunks(response)).rejects.toThrow(/Internal server error/);
    });
  });

  describe('aiSdkUiMessageStream(), read by the AI SDK (parseJsonEventStream, readUIMessageStream, DefaultChatTransport)', () => {
    it('answers with x-vercel-ai-ui-message-stream: v1 and chunks that pass uiMessageChunkSchema, then [DONE]', async () => {
      const response = await postJson('/api/chat', { id: randomUUID(), tokens: ['Hi', ' there'] });
      expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
      const chunks = await readUiChunks(response.body!);
      expect(chunks.map((chunk) => chunk.type)).toEqual([
        'start',
        'text-start',
        'text-delta',
        'text-delta',
        'text-end',
        'finish',
      ]);
      const message = await lastMessage(
        new ReadableStream({ start: (c) => (chunks.forEach((x) => c.enqueue(x)), c.close()) }),
      );
      expect(textParts(message)).toBe('Hi there');
    });

    it('on the wire: the last block is data: [DONE], with no final word the SDK would take for a chunk', async () => {
      const text = await (await postJson('/api/chat', { id: randomUUID(), tokens: ['x'] })).text();
      expect(text).toContain('data: {"type":"text-delta","id":"text-0","delta":"x"}\n\n');
      expect(text.endsWith('\ndata: [DONE]\n\n')).toBe(true);
      expect(text).not.toContain('sse-end');
    });

    it('DefaultChatTransport sends the chat and reads the run; reconnectToStream replays it while it runs and gets null (204) for none', async () => {
      const id = randomUUID();
      const transport = new DefaultChatTransport({ api: `${instance.url}/api/chat` });
      const none = await transport.reconnectToStream({ chatId: randomUUID() });
      expect(none).toBeNull();
      const sent = await transport.sendMessages({
        chatId: id,
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hello' }] }],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      });
      const feed = await instance.source.started(id);
      feed.emit('Re', 'sumed');
      const replay = await transport.reconnectToStream({ chatId: id });
      expect(replay).not.toBeNull();
      feed.emit('!');
      feed.complete();
      const [fromPost, fromReplay] = await Promise.all([lastMessage(sent), lastMessage(replay!)]);
      expect(textParts(fromPost)).toBe('Resumed!');
      expect(textParts(fromReplay)).toBe('Resumed!');
    });

    it('starts with the run id as messageId: a chat reloaded after the answer and resumed replaces it, not appends it', async () => {
      const id = randomUUID();
      const api = `${instance.url}/api/chat`;
      const chat = new TestChat(id, api, ['Hi', ' there']);
      await chat.sendMessage({ text: 'hello' });
      expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(chat.messages[1].id).toBe(id);
      expect(textParts(chat.messages[1])).toBe('Hi there');
      // A reload within expireAfterMs: the page restores the chat and resumes (listen() replays the whole answer).
      const reloaded = new TestChat(id, api, [], structuredClone(chat.messages));
      await reloaded.resumeStream();
      expect(reloaded.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(textParts(reloaded.messages[1])).toBe('Hi there');
    });

    it('a cancelled run ends with an abort chunk the SDK accepts', async () => {
      const id = randomUUID();
      const response = await postJson('/api/chat', { id });
      const feed = await instance.source.started(id);
      feed.emit('half');
      const reader = parseJsonEventStream({ stream: response.body!, schema: uiMessageChunkSchema }).getReader();
      const types: string[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!value.success) throw value.error;
        types.push(value.value.type);
        // Cancelled once the client has the token: the run ends with what it recorded.
        if (value.value.type === 'text-delta') expect(await instance.runs.cancel(id)).toBe(true);
      }
      expect(types).toEqual(['start', 'text-start', 'text-delta', 'text-end', 'abort']);
      await feed.tornDown.promise;
    });
  });
});
