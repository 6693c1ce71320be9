/** Response helpers shared by the API server's handlers. */
import type { ServerResponse } from 'node:http';
import { errorToStatus } from './status.js';

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): void {
  const st = errorToStatus(e);
  const headers: Record<string, string> = {};
  const retry = (st.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (retry) headers['Retry-After'] = String(retry);
  sendJson(res, Number(st.code), st, headers);
}
