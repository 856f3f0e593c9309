// The page server of `npm start` (docs/dashboard.md §1): the dashboard's files, v1/ring answered with a
// survey of the cluster's API ports, and every other /v1 request passed on to the first node's API that
// takes the connection (streams such as v1/events included), so the page works whichever nodes are down.
import http from "node:http";
import { pipeline } from "node:stream";
import { crossSiteRefusal } from "../api/cross-site.js";
import { surveyRing } from "../api/ring-survey.js";
import { dashboardAsset } from "./dashboard-assets.js";

function sendJson(res: http.ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(json));
}

async function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  admins: () => Promise<readonly string[]>,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://page").pathname;
  // the page server has no tokens: loopback hosts only, and no changes asked by another site's page
  const refusal = crossSiteRefusal(
    {
      method: req.method ?? "GET",
      host: req.headers.host,
      origin: req.headers.origin,
      fetchSite: [req.headers["sec-fetch-site"]].flat()[0],
    },
    false,
  );
  if (refusal !== null) {
    res.writeHead(refusal.status, { "content-type": "application/json; charset=utf-8" });
    res.end(refusal.text());
    return;
  }
  if (path === "/v1/ring") {
    sendJson(res, 200, await surveyRing(await admins(), 1500));
    return;
  }
  if (path.startsWith("/v1/")) {
    await passOn(req, res, await admins());
    return;
  }
  const file = req.method === "GET" ? await dashboardAsset(path) : null;
  if (file === null) {
    sendJson(res, 404, { error: "not-found", message: `no page ${path}: the dashboard is at /` });
    return;
  }
  res.writeHead(200, { "content-type": file.contentType, "cache-control": "no-cache" });
  res.end(file.body);
}

/**
 * Sends the request to the first API in `admins` that takes it, and its answer back: an API that
 * refuses the connection is skipped, and for a read one that answers 503 (no member there now) too; any
 * other failure ends the request, so a change is never sent twice.
 */
async function passOn(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  admins: readonly string[],
): Promise<void> {
  const reading = req.method === "GET" || req.method === "HEAD";
  const body = reading ? null : await readBody(req);
  for (const [i, admin] of admins.entries()) {
    const last = i === admins.length - 1;
    const at = admin.lastIndexOf(":");
    const outcome = await new Promise<"done" | "next">((resolve) => {
      const upstream = http.request(
        {
          host: admin.slice(0, at),
          port: Number(admin.slice(at + 1)),
          path: req.url,
          method: req.method,
          headers: req.headers,
          timeout: PASS_ON_CONNECT_TIMEOUT_MS,
        },
        (answer) => {
          upstream.setTimeout(0);
          if (reading && answer.statusCode === 503 && !last) {
            answer.resume();
            resolve("next");
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          pipeline(answer, res, () => {});
          resolve("done");
        },
      );
      upstream.once("timeout", () => upstream.destroy(new Error("no answer in time")));
      upstream.once("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNREFUSED" && !last) {
          resolve("next");
          return;
        }
        if (!res.headersSent)
          sendJson(res, 502, { error: "unavailable", message: `${admin}: ${error.message}` });
        else res.destroy();
        resolve("done");
      });
      upstream.end(body);
    });
    if (outcome === "done") return;
  }
  sendJson(res, 503, { error: "unavailable", message: "no node's API answered" });
}

/** How long a passed-on request may wait for its answer to start (an event stream then runs on). */
const PASS_ON_CONNECT_TIMEOUT_MS = 30_000;

const PASSED_BODY_BYTES = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > PASSED_BODY_BYTES) req.destroy(new Error("a body over 1 MiB"));
      else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

/** Serves the dashboard on host:port for the nodes whose API addresses `admins()` returns. */
export async function startPageServer(
  host: string,
  port: number,
  admins: () => Promise<readonly string[]>,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    answer(req, res, admins).catch((error: unknown) =>
      sendJson(res, 500, {
        error: "internal",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
