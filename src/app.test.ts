import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../test/support/harness.js';

let h: AppHarness;
afterEach(async () => h.close());

describe('buildApp', () => {
  it('bounds how long a client may take to send its headers and its request', async () => {
    h = await createAppHarness();
    expect(h.app.server.headersTimeout).toBe(10_000);
    expect(h.app.server.requestTimeout).toBe(15_000);
  });

  it('describes every route of the API in OpenAPI 3.1, bodies as form or JSON', async () => {
    h = await createAppHarness();
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/users']!)).toEqual(['post']);
    expect(Object.keys(document.paths['/sessions']!).sort()).toEqual(['delete', 'post']);
    expect(Object.keys(document.paths['/reset_password']!).sort()).toEqual(['post', 'put']);
    expect(Object.keys(document.paths['/users']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
  });

  it('answers a malformed URL in the message shape', async () => {
    h = await createAppHarness();
    const response = await h.app.inject({ method: 'GET', url: '/%' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'malformed request URL' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a request HTTP cannot parse in the message shape', async () => {
    h = await createAppHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw.endsWith('\r\n\r\n{"message":"malformed request"}')).toBe(true);
  });

  it('answers a request that completes while it closes with a 503 in the message shape', async () => {
    h = await createAppHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    // A slow client: half its headers are in when the shutdown begins.
    await new Promise<void>((resolve) => socket.write('GET / HTTP/1.1\r\nHost: x\r\n', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = h.app.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write('\r\n');
    await ended;
    await closing;
    expect(raw).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(raw).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(raw.endsWith('{"message":"shutting down, retry shortly"}')).toBe(true);
  });
});
