import type { Http2Session, Http2Stream } from 'node:http2';
import type { EventEmitter } from 'node:events';

/**
 * The HTTP/2 sessions of the app's server, for shutdown: a client keeps its
 * session open after the streams on it are over (and after the server's
 * `GOAWAY`: Node's graceful `session.close()` waits for the client to hang
 * up), so `server.close()` (and Fastify's `close()`) would wait until the
 * session times out (`http2SessionTimeout`, 72 s). Once the event streams are
 * ended, each session is closed: at once if it carries no stream, else as
 * soon as its last stream (an ordinary request still being answered) ends.
 * The HTTP/2 counterpart of `IdleSockets`; on an HTTP/1.1 server it sees no session and does nothing.
 */
export class IdleHttp2Sessions {
  /** Open streams of each session. */
  private readonly sessions = new Map<Http2Session, number>();
  private server: EventEmitter | undefined;
  private closing = false;
  private readonly onSession = (session: Http2Session): void => {
    this.sessions.set(session, 0);
    session.once('close', () => this.sessions.delete(session));
  };
  private readonly onStream = (stream: Http2Stream): void => {
    const session = stream.session;
    if (!session || !this.sessions.has(session)) return;
    this.sessions.set(session, this.sessions.get(session)! + 1);
    stream.once('close', () => this.streamClosed(session));
  };

  /** Follows the sessions of `server` (an HTTP/2 server; anything else emits none). */
  attach(server: unknown): void {
    const candidate = server as Partial<EventEmitter> | null | undefined;
    if (this.server || typeof candidate?.on !== 'function') return;
    this.server = candidate as EventEmitter;
    this.server.on('session', this.onSession);
    this.server.on('stream', this.onStream);
  }

  /** Closes every session without a stream now, and every other one once its streams have ended. */
  closeIdle(): void {
    this.closing = true;
    for (const [session, streams] of this.sessions) {
      if (streams === 0) session.destroy();
      else session.close();
    }
  }

  /** Stops following the server. */
  detach(): void {
    this.server?.off('session', this.onSession);
    this.server?.off('stream', this.onStream);
    this.server = undefined;
  }

  private streamClosed(session: Http2Session): void {
    const streams = this.sessions.get(session);
    if (streams === undefined) return;
    this.sessions.set(session, streams - 1);
    if (this.closing && streams === 1) session.destroy();
  }
}
