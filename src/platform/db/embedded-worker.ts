/**
 * Worker thread that owns the embedded PGlite database and serves it over the Postgres wire protocol
 * on a Unix socket. PGlite runs queries on its calling thread; living here keeps it off the server's
 * event loop, and the app talks to it with `pg` exactly as to PostgreSQL.
 *
 * PGlite has ONE session, yet `kryonix start --workers N` connects N processes. The server below lets
 * any number of clients share the session safely: a client that sends a message takes the session
 * and keeps it until PGlite is idle again (a ReadyForQuery with status 'I': no transaction open, no
 * extended-protocol sequence half way), and the others' messages wait in order. A transaction or a
 * Parse/Bind/Execute/Sync sequence is therefore never interleaved with another client's messages
 * (what makes pglite-socket's per-message queue unsafe for more than one connection). Clients must
 * not change session state beyond their transaction: the app only uses SET LOCAL and unnamed
 * statements. A client that disconnects while holding the session has its transaction rolled back.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

interface EmbeddedWorkerData {
  pgDataDir: string;
  socketPath: string;
}

const { pgDataDir, socketPath } = workerData as EmbeddedWorkerData;

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSS_REQUEST = 80877104;
const READY_FOR_QUERY = 0x5a; // 'Z'
const TERMINATE = 0x58; // 'X'
const IDLE = 0x49; // 'I'

class Session {
  private owner: Client | null = null;
  /** A pump loop is running for the owner. */
  private busy = false;
  private readonly waiting: Client[] = [];

  constructor(private readonly db: PGlite) {}

  /** The client has complete messages: serve them now if the session is free or already its own. */
  wake(client: Client): void {
    if (this.owner === null) {
      this.owner = client;
      void this.pump();
    } else if (this.owner === client) {
      if (!this.busy) void this.pump();
    } else if (!this.waiting.includes(client)) this.waiting.push(client);
  }

  /** The client went away: drop its place in the queue, or release the session it held. */
  closed(client: Client): void {
    const index = this.waiting.indexOf(client);
    if (index >= 0) this.waiting.splice(index, 1);
    if (this.owner === client && !this.busy) void this.release(client, false);
  }

  private async pump(): Promise<void> {
    const client = this.owner!;
    this.busy = true;
    let idle = false;
    for (let message = client.next(); message !== null; message = client.next()) {
      idle = await this.execute(client, message);
      // At an idle point the session passes to whoever waits; this client queues up behind them.
      if (idle && this.waiting.length > 0) break;
    }
    this.busy = false;
    // Mid-transaction or mid-sequence: the session stays this client's until it is idle again.
    if (idle || client.closed) await this.release(client, idle);
  }

  private async release(client: Client, idle: boolean): Promise<void> {
    if (!idle && this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {});
    this.owner = null;
    if (client.pending() && !client.closed) this.waiting.push(client);
    const next = this.waiting.shift();
    if (next) {
      this.owner = next;
      void this.pump();
    }
  }

  /** Runs one message; true when PGlite ended it idle (ReadyForQuery 'I'). */
  private async execute(client: Client, message: Uint8Array): Promise<boolean> {
    let tail: Uint8Array = new Uint8Array(0);
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data: Uint8Array) => {
            client.write(data);
            tail = data.length >= 6 ? data.subarray(data.length - 6) : concatTail(tail, data);
          },
        }),
      );
    } catch {
      client.destroy();
      return false;
    }
    return tail.length === 6 && tail[0] === READY_FOR_QUERY && tail[5] === IDLE;
  }
}

function concatTail(previous: Uint8Array, data: Uint8Array): Uint8Array {
  const joined = new Uint8Array(previous.length + data.length);
  joined.set(previous);
  joined.set(data, previous.length);
  return joined.subarray(Math.max(0, joined.length - 6));
}

/** One connection: splits its bytes into protocol messages and hands them to the session. */
class Client {
  /** Bytes received and not yet split; joined only once a whole message is there (a batch insert
   * arrives as one large message in many chunks). */
  private chunks: Buffer[] = [];
  private received = 0;
  private needed = 0;
  private readonly messages: Uint8Array[] = [];
  private started = false;
  closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly session: Session,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.messages.length = 0;
      session.closed(this);
    });
  }

  /** Every whole message received so far, as one buffer: PGlite takes a run of messages in one call,
   * which costs far less than one call per message (five for each `pg` query). */
  next(): Uint8Array | null {
    if (this.closed || this.messages.length === 0) return null;
    const run = this.messages.length === 1 ? this.messages[0] : Buffer.concat(this.messages);
    this.messages.length = 0;
    return run;
  }

  pending(): boolean {
    return this.messages.length > 0;
  }

  write(data: Uint8Array): void {
    if (!this.closed && data.length > 0) this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < Math.max(this.needed, 5)) return;
    let buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let queued = false;
    while (true) {
      this.needed = 0;
      if (!this.started) {
        // Startup-phase messages have no type byte: length, then a code.
        if (buffer.length < 8) break;
        const length = buffer.readInt32BE(0);
        this.needed = length;
        if (buffer.length < length) break;
        const code = buffer.readInt32BE(4);
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          this.socket.write('N'); // no encryption on a private Unix socket
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.end();
          return;
        }
        this.started = true;
        this.messages.push(message);
        queued = true;
        continue;
      }
      if (buffer.length < 5) break;
      const length = 1 + buffer.readInt32BE(1);
      this.needed = length;
      if (buffer.length < length) break;
      const message = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      if (message[0] === TERMINATE) {
        this.socket.end();
        return;
      }
      this.messages.push(message);
      queued = true;
    }
    this.chunks = buffer.length === 0 ? [] : [buffer];
    this.received = buffer.length;
    if (queued) this.session.wake(this);
  }
}

async function main(): Promise<void> {
  const db = await PGlite.create(pgDataDir);
  const session = new Session(db);
  const clients = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
    new Client(socket, session);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  parentPort?.on('message', async (message: unknown) => {
    if (message !== 'stop') return;
    for (const socket of clients) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    parentPort?.postMessage({ type: 'stopped' });
  });
  parentPort?.postMessage({ type: 'ready' });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
});
