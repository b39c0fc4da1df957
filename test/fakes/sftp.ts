/**
 * A real SFTP server (`ssh2`'s Server with the SFTP subsystem) over a temporary folder, for the file
 * connector's tests: password and public-key auth, an ed25519 host key made at start, and the requests
 * ssh2-sftp-client sends for list, stat, read, write, mkdir and delete answered from the disk.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';

const { Server, utils } = ssh2;
const { STATUS_CODE, flagsToString } = utils.sftp;

export interface FakeSftp {
  port: number;
  /** The folder the server serves as "/". */
  dir: string;
  username: string;
  password: string;
  /** OpenSSH private key the server accepts for `username`. */
  clientPrivateKey: string;
  /** SHA256:... fingerprint of the server's host key. */
  hostKeySha256: string;
  close(): Promise<void>;
}

function attrsOf(stats: fs.Stats) {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

function longname(name: string, stats: fs.Stats): string {
  const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : '-';
  return `${type}rw-r--r-- 1 user group ${stats.size} Jan 01 00:00 ${name}`;
}

function statusOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EEXIST') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

/**
 * ssh2's generator drops a leading zero byte of the key now and then (about 1 in 250 keys), and
 * ssh2 itself then refuses the key as malformed; draw again until both halves parse.
 */
function generateEd25519KeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error)) {
      return pair;
    }
  }
}

export async function startFakeSftp(): Promise<FakeSftp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-fake-sftp-'));
  const username = 'files';
  const password = 'sftp-pw';
  const host = generateEd25519KeyPair();
  const client = generateEd25519KeyPair();
  const clientPublic = (utils.parseKey(client.public) as ssh2.ParsedKey).getPublicSSH();
  const hostPublic = (utils.parseKey(host.public) as ssh2.ParsedKey).getPublicSSH();
  const hostKeySha256 = `SHA256:${createHash('sha256').update(hostPublic).digest('base64').replace(/=+$/, '')}`;
  const local = (remote: string) => path.join(dir, path.posix.normalize(`/${remote}`));

  const server = new Server({ hostKeys: [host.private] }, (connection) => {
    connection.on('error', () => {});
    connection.on('authentication', (ctx) => {
      if (ctx.username !== username) return ctx.reject();
      if (ctx.method === 'password' && ctx.password === password) return ctx.accept();
      if (ctx.method === 'publickey' && ctx.key.data.equals(clientPublic)) {
        if (!ctx.signature) return ctx.accept(); // the "would this key do" query
        const key = utils.parseKey(client.public) as ssh2.ParsedKey;
        if (key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['password', 'publickey']);
    });
    connection.on('ready', () => {
      connection.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean }>();
          let nextHandle = 0;
          const newHandle = (entry: { fd?: number; dir?: string }) => {
            const id = nextHandle++;
            handles.set(id, entry);
            const buffer = Buffer.alloc(4);
            buffer.writeUInt32BE(id);
            return buffer;
          };
          const handleOf = (buffer: Buffer) =>
            buffer.length === 4 ? handles.get(buffer.readUInt32BE()) : undefined;
          const attempt = (reqid: number, work: () => void) => {
            try {
              work();
            } catch (error) {
              sftp.status(reqid, statusOf(error));
            }
          };
          sftp.on('OPEN', (reqid, filename, flags) =>
            attempt(reqid, () => {
              const fd = fs.openSync(local(filename), flagsToString(flags) ?? 'r');
              sftp.handle(reqid, newHandle({ fd }));
            }),
          );
          sftp.on('READ', (reqid, handle, offset, length) =>
            attempt(reqid, () => {
              const entry = handleOf(handle);
              if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
              const buffer = Buffer.alloc(length);
              const read = fs.readSync(entry.fd, buffer, 0, length, Number(offset));
              if (read === 0) sftp.status(reqid, STATUS_CODE.EOF);
              else sftp.data(reqid, buffer.subarray(0, read));
            }),
          );
          sftp.on('WRITE', (reqid, handle, offset, data) =>
            attempt(reqid, () => {
              const entry = handleOf(handle);
              if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
              fs.writeSync(entry.fd, data, 0, data.length, Number(offset));
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          sftp.on('CLOSE', (reqid, handle) =>
            attempt(reqid, () => {
              const entry = handleOf(handle);
              if (!entry) return sftp.status(reqid, STATUS_CODE.FAILURE);
              if (entry.fd !== undefined) fs.closeSync(entry.fd);
              handles.delete(handle.readUInt32BE());
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          sftp.on('FSTAT', (reqid, handle) =>
            attempt(reqid, () => {
              const entry = handleOf(handle);
              if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
              sftp.attrs(reqid, attrsOf(fs.fstatSync(entry.fd)));
            }),
          );
          sftp.on('STAT', (reqid, remote) =>
            attempt(reqid, () => sftp.attrs(reqid, attrsOf(fs.statSync(local(remote))))),
          );
          sftp.on('LSTAT', (reqid, remote) =>
            attempt(reqid, () => sftp.attrs(reqid, attrsOf(fs.lstatSync(local(remote))))),
          );
          sftp.on('SETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
          sftp.on('FSETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
          sftp.on('OPENDIR', (reqid, remote) =>
            attempt(reqid, () => {
              if (!fs.statSync(local(remote)).isDirectory()) return sftp.status(reqid, STATUS_CODE.FAILURE);
              sftp.handle(reqid, newHandle({ dir: local(remote) }));
            }),
          );
          sftp.on('READDIR', (reqid, handle) =>
            attempt(reqid, () => {
              const entry = handleOf(handle);
              if (!entry?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE);
              if (entry.listed) return sftp.status(reqid, STATUS_CODE.EOF);
              entry.listed = true;
              const names = fs.readdirSync(entry.dir);
              sftp.name(
                reqid,
                names.map((name) => {
                  const stats = fs.lstatSync(path.join(entry.dir!, name));
                  return { filename: name, longname: longname(name, stats), attrs: attrsOf(stats) };
                }),
              );
            }),
          );
          sftp.on('REMOVE', (reqid, remote) =>
            attempt(reqid, () => {
              fs.unlinkSync(local(remote));
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          sftp.on('RMDIR', (reqid, remote) =>
            attempt(reqid, () => {
              fs.rmdirSync(local(remote));
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          // Like OpenSSH's plain RENAME: an existing target is refused.
          sftp.on('RENAME', (reqid, from, to) =>
            attempt(reqid, () => {
              if (fs.existsSync(local(to))) return sftp.status(reqid, STATUS_CODE.FAILURE);
              fs.renameSync(local(from), local(to));
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          sftp.on('MKDIR', (reqid, remote) =>
            attempt(reqid, () => {
              fs.mkdirSync(local(remote));
              sftp.status(reqid, STATUS_CODE.OK);
            }),
          );
          sftp.on('REALPATH', (reqid, remote) =>
            attempt(reqid, () => {
              const normalised = path.posix.normalize(`/${remote === '.' ? '' : remote}`);
              sftp.name(reqid, [{ filename: normalised, longname: normalised, attrs: {} as never }]);
            }),
          );
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dir,
    username,
    password,
    clientPrivateKey: client.private,
    hostKeySha256,
    close: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        server.close(done);
        setTimeout(done, 2000).unref();
      }),
  };
}
