/**
 * A local IMAP server for the email connector's tests: hoodiecrow-imap (IMAP4rev1 with STARTTLS,
 * CONDSTORE, AUTH=PLAIN, SASL-IR, …) over plain TCP on 127.0.0.1, holding the given messages
 * in INBOX and `Archive`. Its state lives in memory; `flagsOf` reads it to check what a client changed.
 */
import type { AddressInfo, Socket } from 'node:net';
import hoodiecrow from 'hoodiecrow-imap';

export interface FakeImapMessage {
  raw: string;
  flags?: string[];
  /** IMAP internal date, e.g. `14-Sep-2026 21:22:28 +0000` (default: now). */
  internaldate?: string;
}

export interface FakeImap {
  port: number;
  /** Flags of the INBOX message with this UID, as the server holds them now. */
  flagsOf(uid: number, mailbox?: string): string[] | undefined;
  close(): Promise<void>;
}

export async function startFakeImap(options: {
  username: string;
  password: string;
  inbox: FakeImapMessage[];
  archive?: FakeImapMessage[];
}): Promise<FakeImap> {
  const server = hoodiecrow({
    plugins: [
      'ID',
      'STARTTLS',
      'SASL-IR',
      'AUTH-PLAIN',
      'NAMESPACE',
      'IDLE',
      'ENABLE',
      'CONDSTORE',
      'LITERALPLUS',
      'UNSELECT',
      'SPECIAL-USE',
    ],
    users: { [options.username]: { password: options.password } },
    storage: {
      INBOX: { messages: options.inbox.map((m) => ({ flags: [], ...m })) },
      '': {
        separator: '/',
        folders: { Archive: { messages: (options.archive ?? []).map((m) => ({ flags: [], ...m })) } },
      },
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    flagsOf: (uid, mailbox = 'INBOX') =>
      server.folderCache[mailbox]?.messages.find((m) => m.uid === uid)?.flags.slice(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
