// The page server of `npm start` (docs/dashboard.md §1): the dashboard's files, and v1/ring answered
// with a survey of the cluster's API ports, so the page works even when no node's API is reachable
// through the front port. It serves nothing else; the node feed (v1/events) is the API's.
import http from "node:http";
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
  if (path === "/v1/ring") {
    sendJson(res, 200, await surveyRing(await admins(), 1500));
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
