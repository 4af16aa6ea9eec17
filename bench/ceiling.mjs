// The ceiling of the benchmark: a bare node:http server that reads the request
// body and answers a fixed small JSON body. No framework, no validation, no
// store, no logging: what any Node HTTP service on this machine can at best do.
// Usage: node bench/ceiling.mjs [PORT]; prints {"port":N} on stdout once listening.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"ticket":"UrX/fTU0TaEEBv1ZlhpImz1c1Ts"}');
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': BODY.length };

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});
server.keepAliveTimeout = 72_000;

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
