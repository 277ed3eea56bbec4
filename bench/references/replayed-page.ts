import { createServer } from 'node:http';

/**
 * The floor of any answer Node serves: node:http with no framework, replaying one answer of
 * the URL it is given (its status, headers and body, fetched once at start) to every request.
 * No routing, no hooks, no per-request work but Node's own parsing and writing.
 */
const source = process.argv[2];
if (source === undefined) throw new Error('usage: replayed-page.ts URL');
const answer = await fetch(source);
const body = Buffer.from(await answer.arrayBuffer());
// Written below, or by Node, for each answer.
const perConnection = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'set-cookie']);
const headers: Record<string, string | string[] | number> = Object.fromEntries([...answer.headers].filter(([name]) => !perConnection.has(name)));
// Each cookie its own header line, as the page sends them.
headers['set-cookie'] = answer.headers.getSetCookie();
headers['content-length'] = body.length;
const server = createServer((_request, response) => {
  response.writeHead(answer.status, headers);
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  console.log(`listening http://127.0.0.1:${address.port}`);
});
process.once('SIGTERM', () => server.close());
