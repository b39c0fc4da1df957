/** The Node ceiling on this machine: a bare node:http server forwarding to one upstream through an undici Pool. */
import http from 'node:http';
import { Pool } from 'undici';

const upstream = process.argv[2]!;
const pool = new Pool(upstream, { connections: 128 });
const server = http.createServer(async (req, res) => {
  try {
    const answer = await pool.request({
      method: req.method as 'GET',
      path: req.url!.replace(/^\/proxy/, ''),
      headers: { accept: 'application/json' },
    });
    res.writeHead(answer.statusCode, {
      'content-type': String(answer.headers['content-type'] ?? 'application/json'),
    });
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } catch {
    res.writeHead(502).end();
  }
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`),
);
