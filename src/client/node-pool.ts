// The node URLs a client knows and the one it is using now (docs/client.md §4): calls go to the current
// node; a node that fails is passed over for the next one, round-robin. Several calls that fail at once on
// the same node move the pool on by one node, not one each.
import { SelfmanError } from "./selfman-error.js";

export class NodePool {
  readonly urls: readonly string[];
  #current = 0;

  constructor(urls: readonly string[]) {
    this.urls = urls;
  }

  get size(): number {
    return this.urls.length;
  }

  /** The index of the node calls use now. */
  get current(): number {
    return this.#current;
  }

  url(index: number): string {
    return this.urls[index % this.urls.length] as string;
  }

  /** The node at `index` failed: if it is still the current one, the next node becomes current. */
  failed(index: number): void {
    if (this.#current === index) this.#current = (index + 1) % this.urls.length;
  }
}

/** The base URLs connect() accepts: one or several http(s) URLs, trailing slashes dropped. */
export function nodeUrls(urls: string | readonly string[]): string[] {
  const list = typeof urls === "string" ? [urls] : [...urls];
  if (list.length === 0) throw invalidUrl("connect() needs at least one node URL");
  return list.map(baseUrl);
}

function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidUrl(`"${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidUrl(`"${text}" is not http(s)`);
  return url.href.replace(/\/+$/, "");
}

function invalidUrl(message: string): SelfmanError {
  return new SelfmanError({ code: "invalid-argument", message, status: null });
}
