/**
 * The transport's own limit in bench:load, as a child process (like the daemon, so the client and the server do not
 * share a core's event loop): `node bare-server.js http BYTES` — a bare node:http server (keep-alive) answering every
 * request, once its body is read, with 201 and a JSON body of BYTES bytes (the size of the daemon's answer); `node
 * bare-server.js ws` — a bare `ws` server echoing every frame as it came (array frames too). It prints
 * `PORT <n>` on stdout once it listens, on 127.0.0.1 only, and exits on SIGTERM or when its parent goes.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

function replyBody(bytes: number): string {
  const head = '{"orderId":1,"state":"SUBMITTED","pad":"';
  const tail = '"}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

function main(): void {
  const kind = process.argv[2];
  if (kind === 'http') {
    const body = replyBody(Number(process.argv[3] ?? 400));
    const len = String(Buffer.byteLength(body));
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': len });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      process.stdout.write(`PORT ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
    });
  } else if (kind === 'ws') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    wss.on('listening', () => {
      const a = wss.address();
      process.stdout.write(`PORT ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
    });
  } else {
    process.stderr.write('usage: bare-server.js http BYTES | ws\n');
    process.exit(2);
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0)).resume();
}

main();
