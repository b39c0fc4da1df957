/**
 * A small SMTP server (RFC 5321) on node:net for the email connector's tests: EHLO with AUTH PLAIN
 * and LOGIN, MAIL/RCPT/DATA with dot-unstuffing, 535 for bad credentials, 550 for unknown mailboxes.
 */
import net from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

export interface FakeSmtp {
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

export async function startFakeSmtp(options: { username: string; password: string }): Promise<FakeSmtp> {
  const messages: ReceivedMail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const send = (line: string) => socket.write(`${line}\r\n`);
    let buffer = '';
    let user: string | undefined;
    let mail: ReceivedMail | undefined;
    let inData = false;
    let dataLines: string[] = [];
    let authStep: { kind: 'login-user' } | { kind: 'login-pass'; user: string } | undefined;
    const check = (u: string, p: string) => {
      if (u === options.username && p === options.password) {
        user = u;
        send('235 2.7.0 Authentication successful');
      } else send('535 5.7.8 Authentication credentials invalid');
    };
    send('220 fake.smtp.test ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let index = buffer.indexOf('\r\n');
      while (index >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        index = buffer.indexOf('\r\n');
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ ...mail!, data: dataLines.join('\r\n'), user });
            mail = undefined;
            send('250 2.0.0 Ok: queued as FAKE1');
          } else dataLines.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        if (authStep?.kind === 'login-user') {
          authStep = { kind: 'login-pass', user: Buffer.from(line, 'base64').toString() };
          send(`334 ${Buffer.from('Password:').toString('base64')}`);
          continue;
        }
        if (authStep?.kind === 'login-pass') {
          const u = authStep.user;
          authStep = undefined;
          check(u, Buffer.from(line, 'base64').toString());
          continue;
        }
        const [verb, ...rest] = line.split(' ');
        const arg = rest.join(' ');
        switch (verb.toUpperCase()) {
          case 'EHLO':
            send('250-fake.smtp.test');
            send('250-AUTH PLAIN LOGIN');
            send('250 8BITMIME');
            break;
          case 'HELO':
            send('250 fake.smtp.test');
            break;
          case 'AUTH': {
            const [mechanism, initial] = arg.split(' ');
            if (mechanism.toUpperCase() === 'PLAIN' && initial) {
              const [, u, p] = Buffer.from(initial, 'base64').toString().split('\0');
              check(u, p);
            } else if (mechanism.toUpperCase() === 'LOGIN') {
              authStep = { kind: 'login-user' };
              send(`334 ${Buffer.from('Username:').toString('base64')}`);
            } else send('504 5.5.4 Unrecognized authentication type');
            break;
          }
          case 'MAIL':
            if (!user) {
              send('530 5.7.0 Authentication required');
              break;
            }
            mail = { from: /<([^>]*)>/.exec(arg)?.[1] ?? '', to: [], data: '' };
            send('250 2.1.0 Ok');
            break;
          case 'RCPT': {
            const to = /<([^>]*)>/.exec(arg)?.[1] ?? '';
            if (to.startsWith('nobody@')) send(`550 5.1.1 <${to}>: Recipient address rejected: User unknown`);
            else {
              mail?.to.push(to);
              send('250 2.1.5 Ok');
            }
            break;
          }
          case 'DATA':
            if (!mail || mail.to.length === 0) {
              send('554 5.5.1 Error: no valid recipients');
              break;
            }
            inData = true;
            dataLines = [];
            send('354 End data with <CR><LF>.<CR><LF>');
            break;
          case 'RSET':
            mail = undefined;
            send('250 2.0.0 Ok');
            break;
          case 'NOOP':
            send('250 2.0.0 Ok');
            break;
          case 'QUIT':
            send('221 2.0.0 Bye');
            socket.end();
            break;
          default:
            send('502 5.5.2 Error: command not recognized');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
