// connect(): a Client for one or several node URLs (docs/client.md §1). It only checks the URLs and fills
// in the defaults; nothing is sent until the first call, so connecting never fails for a node that is down.
import { Client } from "./client.js";
import { type ConnectOptions, settingsOf } from "./client-options.js";
import { HttpTransport } from "./http-transport.js";
import { NodePool, nodeUrls } from "./node-pool.js";

/** A client of the cluster whose nodes serve the /v1 API at `urls` (e.g. "http://10.0.0.1:8001"). */
export function connect(urls: string | readonly string[], options: ConnectOptions = {}): Client {
  return new Client(new HttpTransport(new NodePool(nodeUrls(urls)), settingsOf(options)));
}
