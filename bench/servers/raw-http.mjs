/**
 * Contender "node:http": the limit. Plain node:http, frames formatted by hand,
 * one res.write() per event per client, no framework, no buffering of its own.
 */
import http from 'node:http';
import { createServerKit, performance, publishArgs, readJson } from './server-kit.mjs';

const kit = createServerKit('node:http');
const clients = new Set();

function sendJson(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function openStream(request, response) {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  response.flushHeaders();
  clients.add(response);
  response.on('close', () => clients.delete(response));
}

function publish(body) {
  const { data, count } = publishArgs(body);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const frame = `data: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) client.write(frame);
  }
  const syncMs = performance.now() - start;
  kit.published(count, syncMs);
  return { published: count, syncMs };
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/events') return openStream(request, response);
  if (request.method === 'POST' && url.pathname === '/publish') {
    readJson(request).then(
      (body) => sendJson(response, 200, publish(body)),
      (error) => sendJson(response, 400, { error: String(error) }),
    );
    return;
  }
  if (request.method === 'GET' && url.pathname === '/stats') {
    kit.stats(Object.fromEntries(url.searchParams), clients.size).then(
      (stats) => sendJson(response, 200, stats),
      (error) => sendJson(response, 500, { error: String(error) }),
    );
    return;
  }
  sendJson(response, 404, { error: 'not found' });
});

server.listen(0, '127.0.0.1', () => kit.ready(server.address().port));
