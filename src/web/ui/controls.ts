// The local cluster's controls (docs/dashboard.md §6): add a node, crash or stop the selected one, cut
// the cluster in two (by ring order: the first half of the nodes against the rest) and heal it. Each is
// an admin call of the API; what it did, or why it failed, goes to the event feed as a page event.
import { html } from "./dom.js";
import type { PageEvent } from "./ring-diff.js";

interface ControlsHooks {
  /** The node the user selected on the ring, if any. */
  readonly selected: () => string | null;
  /** The names of the nodes that answer, in ring order. */
  readonly names: () => readonly string[];
  readonly report: (event: PageEvent) => void;
}

async function call(method: string, path: string, json?: unknown): Promise<unknown> {
  const response = await fetch(path, {
    method,
    headers: json === undefined ? {} : { "content-type": "application/json" },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const body = (await response.json()) as { message?: string };
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

export class Controls {
  readonly element: HTMLElement;
  readonly #hooks: ControlsHooks;
  readonly #crash = html("button", { type: "button", "data-control": "crash" }, "crash selected (kill -9)");
  readonly #stop = html("button", { type: "button", "data-control": "stop" }, "stop selected gracefully");

  constructor(hooks: ControlsHooks) {
    this.#hooks = hooks;
    const button = (label: string, control: string, action: () => Promise<string>) => {
      const b = html("button", { type: "button", "data-control": control }, label);
      b.addEventListener("click", () => void this.#run(control, "cluster", action));
      return b;
    };
    const onSelected = (control: "crash" | "stop") => () =>
      void this.#run(control, this.#hooks.selected() ?? "cluster", () => this.#onSelected(control));
    this.#crash.addEventListener("click", onSelected("crash"));
    this.#stop.addEventListener("click", onSelected("stop"));
    this.element = html(
      "section",
      { class: "controls" },
      html("h2", {}, "cluster controls"),
      html(
        "div",
        { class: "buttons" },
        button("add a node", "add", async () => {
          const answer = (await call("POST", "/v1/vm/nodes", { count: 1 })) as { ok: string[] };
          return `started ${answer.ok.join(", ") || "nothing"}`;
        }),
        this.#crash,
        this.#stop,
        button("cut in two", "cut", async () => {
          const names = this.#hooks.names();
          const side = names.slice(0, Math.floor(names.length / 2));
          const answer = (await call("POST", "/v1/cluster/cut", { side })) as { sides: string[][] };
          return `cut: ${answer.sides.map((s) => s.join(" ")).join("  |  ")}`;
        }),
        button("heal", "heal", async () => {
          await call("POST", "/v1/cluster/heal");
          return "healed: every node talks to every other again";
        }),
      ),
      html("p", { class: "muted" }, "Admin actions on the live cluster; each shows in the events below."),
    );
    this.refresh();
  }

  /** Enables the buttons that need a selected node only while one is. */
  refresh(): void {
    const none = this.#hooks.selected() === null;
    this.#crash.disabled = none;
    this.#stop.disabled = none;
  }

  async #onSelected(action: "crash" | "stop"): Promise<string> {
    const name = this.#hooks.selected();
    if (name === null) throw new Error("select a node on the ring first");
    await call("POST", `/v1/cluster/nodes/${encodeURIComponent(name)}/${action}`);
    return `${action === "crash" ? "crashed" : "stopped"} ${name}`;
  }

  /** Runs a control; what it did, or why it failed, goes to the feed under `node`. */
  async #run(control: string, node: string, action: () => Promise<string>): Promise<void> {
    try {
      const text = await action();
      this.#hooks.report({ kind: `control-${control}`, node, atMs: Date.now(), text, source: "page" });
    } catch (error) {
      const text = `${control} failed: ${error instanceof Error ? error.message : String(error)}`;
      this.#hooks.report({ kind: "control-failed", node, atMs: Date.now(), text, source: "page" });
    }
  }
}
