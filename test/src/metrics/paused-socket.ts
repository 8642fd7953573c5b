import net from 'node:net';

/**
 * A client that sends its request and then never reads (HTTP/1.1): Node
 * stops reading the socket once its small buffer is full, the kernel's
 * receive window closes, and the server's writes pile up.
 */
export function openPausedSocket(url: string): Promise<net.Socket> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
