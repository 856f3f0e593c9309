// The live event feed (docs/dashboard.md §5): the serving node's /v1/events stream and the events
// derived from surveys, newest first, filterable by kind and by node. Keeps the last MAX_EVENTS.
import { html } from "./dom.js";
import type { PageEvent } from "./ring-diff.js";

const MAX_EVENTS = 500;
const SHOWN = 200;

export class EventLog {
  readonly element: HTMLElement;
  readonly #events: PageEvent[] = [];
  readonly #list = html("ol", { class: "events", "aria-live": "polite" });
  readonly #kind = html("select", { "aria-label": "kind" }, html("option", { value: "" }, "every kind"));
  readonly #node = html("select", { "aria-label": "node" }, html("option", { value: "" }, "every node"));

  constructor() {
    for (const select of [this.#kind, this.#node]) select.addEventListener("change", () => this.#render());
    this.element = html(
      "section",
      { class: "event-log" },
      html("h2", {}, "events"),
      html("div", { class: "filters" }, this.#kind, this.#node),
      this.#list,
    );
  }

  add(events: readonly PageEvent[]): void {
    if (events.length === 0) return;
    this.#events.push(...events);
    this.#events.splice(0, Math.max(0, this.#events.length - MAX_EVENTS));
    this.#refreshOptions(
      this.#kind,
      this.#events.map((e) => e.kind),
    );
    this.#refreshOptions(
      this.#node,
      this.#events.map((e) => e.node),
    );
    this.#render();
  }

  /** The texts of the latest events about `node`, newest first. */
  about(node: string, count: number): string[] {
    return this.#events
      .filter((e) => e.node === node || e.text.includes(`${node} `))
      .slice(-count)
      .reverse()
      .map((e) => `${clock(e.atMs)} ${e.kind}: ${e.text}`);
  }

  #refreshOptions(select: HTMLSelectElement, values: readonly string[]): void {
    const have = new Set([...select.options].map((o) => o.value));
    for (const value of [...new Set(values)].sort())
      if (!have.has(value)) select.append(html("option", { value }, value));
  }

  #render(): void {
    const kind = this.#kind.value;
    const node = this.#node.value;
    const shown = this.#events
      .filter((e) => (kind === "" || e.kind === kind) && (node === "" || e.node === node))
      .slice(-SHOWN)
      .reverse();
    this.#list.replaceChildren(
      ...shown.map((e) =>
        html(
          "li",
          { class: `event kind-${e.kind}`, "data-kind": e.kind, "data-node": e.node },
          html("time", {}, clock(e.atMs)),
          html("b", {}, e.kind),
          html("span", {}, e.text),
          html("small", {}, e.source === "feed" ? "node feed" : e.source),
        ),
      ),
    );
  }
}

function clock(atMs: number): string {
  return new Date(atMs).toLocaleTimeString([], { hour12: false });
}
