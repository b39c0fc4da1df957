/** The part of hoodiecrow-imap (an in-memory IMAP server, no type declarations) the fakes use. */
declare module 'hoodiecrow-imap' {
  import type { Server } from 'node:net';

  interface HoodiecrowMessage {
    raw: string;
    flags?: string[];
    internaldate?: string;
  }
  interface HoodiecrowOptions {
    plugins?: string[];
    users?: Record<string, { password: string }>;
    storage?: Record<string, { messages?: HoodiecrowMessage[]; separator?: string; folders?: unknown }>;
  }
  interface HoodiecrowServer {
    server: Server;
    /** Mailboxes by path, as the server holds them now. */
    folderCache: Record<string, { messages: { uid: number; flags: string[] }[] }>;
    listen(port: number, host: string, callback: () => void): void;
    close(callback?: () => void): void;
  }
  export default function hoodiecrow(options?: HoodiecrowOptions): HoodiecrowServer;
}
