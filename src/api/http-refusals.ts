// Answers to requests no route may see (docs/api.md §4): malformed or slow, CONNECT, a strange Expect, an
// HTTP/1.1 request without Host, a target the URL parser refuses. Must not break: each gets the JSON error
// shape (never Node's or the adapter's empty body) and its connection closes, since what follows is unframed.
import http from "node:http";
import type { Duplex } from "node:stream";
import { RequestError } from "@hono/node-server";
import { ApiError } from "./api-error.js";

/** The whole text of a JSON error answer that closes its connection. */
export function refusalText(status: number, error: ApiError): string {
  const text = error.text();
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
}

/** The status Node's parser error deserves: 431 for a header over the limit, 408 for a slow request. */
export function clientErrorStatus(code: string | undefined): number {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

/** How long a refused connection is still read (and what arrives dropped) before it is destroyed. */
export const LINGER_MS = 1000;
const lingering = new WeakSet<Duplex>();

/** Answers a request Node's parser refused (or timed out) on its raw socket, then closes it. */
export function refuseClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Answered already: what the client still sends fails to parse again and lands here. Destroying the
  // socket now, with its bytes unread, would be a TCP reset that can discard the answer before the
  // client reads it (it happened to 1 MiB bodies behind a bad request line): it lingers instead.
  if (lingering.has(socket)) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  lingering.add(socket);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
  const status = clientErrorStatus(error.code);
  const why = status === 408 ? "the request did not arrive in time" : "a malformed request";
  socket.end(refusalText(status, new ApiError("invalid-argument", `${why}: ${error.code ?? error.message}`)));
}

/** CONNECT asks for a tunnel this server never opens: 405, and the socket closes. */
export function refuseConnect(socket: Duplex): void {
  socket.on("error", () => socket.destroy());
  socket.end(refusalText(405, new ApiError("method-not-allowed", "CONNECT: this server opens no tunnels")));
}

/** Answers through a ServerResponse with the JSON error shape and closes the connection. */
export function refuseResponse(res: http.ServerResponse, status: number, error: ApiError): void {
  const text = error.text();
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    connection: "close",
  });
  res.end(text);
}

/** An Expect other than 100-continue (which Node answers itself): 417. */
export function refuseExpectation(req: http.IncomingMessage, res: http.ServerResponse): void {
  refuseResponse(
    res,
    417,
    new ApiError("invalid-argument", `expect: only 100-continue is understood, not ${req.headers.expect}`),
  );
}

/** An HTTP/1.1 request without Host (RFC 9112, section 3.2, says 400); HTTP/1.0 may leave it out. */
export function missingHost(req: http.IncomingMessage): boolean {
  return req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined;
}

/**
 * A target or Host no URL may hold: a backslash, a space, a control or non-ASCII byte in the target; in
 * the Host anything but a name or address and a port. Refused up front, so that every path — the fast
 * one too — answers them alike.
 */
export function malformedTarget(req: http.IncomingMessage): string | null {
  if (!/^[\x21-\x5b\x5d-\x7e]*$/.test(req.url ?? ""))
    return "the request target holds a character no URL may";
  if (!/^[A-Za-z0-9.\-:[\]_]*$/.test(req.headers.host ?? ""))
    return "the Host header is not a host name or address";
  return null;
}

/** What the hono adapter's errors become: its refusals of a URL or Host are 400, anything else 500. */
export function adapterErrorResponse(error: unknown): Response {
  const refused = error instanceof RequestError;
  const e = refused
    ? new ApiError("invalid-argument", `a malformed request target or host: ${error.message}`)
    : new ApiError("internal", error instanceof Error ? error.message : String(error));
  return new Response(e.text(), {
    status: e.status,
    headers: { "content-type": "application/json", connection: "close" },
  });
}
