/**
 * The server of the client bench (bench/client.mjs): plain node:http, loopback.
 * `GET /tokens?count=N` writes N `token` events as fast as the client reads
 * (it waits for 'drain'), then the final word `completed` and ends. It tells
 * its port to the parent over IPC and exits with it.
 */
import http from 'node:http';

const MAX_COUNT = 1_000_000;
const BATCH = 256;

function frame(n) {
  return `id: e.${n}\nevent: token\ndata: {"n":${n},"text":"tok${n % 97}"}\n\n`;
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://localhost');
  const count = Math.min(Number(url.searchParams.get('count')) || 0, MAX_COUNT);
  if (url.pathname !== '/tokens') {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  response.write('retry: 1000\n\n');
  let n = 0;
  const pump = () => {
    while (n < count) {
      let batch = '';
      for (let i = 0; i < BATCH && n < count; i++) batch += frame(n++);
      if (!response.write(batch)) return void response.once('drain', pump);
    }
    response.end('event: sse-end\ndata: {"reason":"completed"}\n\n');
  };
  response.on('close', () => (n = count));
  pump();
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
