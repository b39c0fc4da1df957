/** A fixed 200-byte JSON upstream for the gateway bench. */
import http from 'node:http';

const body = JSON.stringify({ id: 42, name: 'bench', tags: ['a', 'b', 'c'], padding: 'x'.repeat(130) });
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`),
);
