// The key inspector (docs/dashboard.md §3): a key → its f replica ids, the node responsible for each
// (found through the overlay, with the lookup's hops), the version and value each holds, and whether a
// majority agrees; the replica ids are also marked on the ring.
import { html, shortId } from "./dom.js";

export interface ReplicaReport {
  readonly index: number;
  readonly id: string;
  readonly holder: { readonly id: string; readonly addr: string; readonly name: string | null } | null;
  readonly hops: number | null;
  readonly held: { readonly version: number; readonly tombstone: boolean; readonly value: unknown } | null;
}

export interface KeyReport {
  readonly key: string;
  readonly replicas: readonly ReplicaReport[];
  readonly majority: { readonly version: number; readonly replicas: number } | null;
  readonly agree: boolean;
}

export class KeyInspector {
  readonly element: HTMLElement;
  readonly #input = html("input", {
    type: "text",
    placeholder: "a key, e.g. hello",
    "aria-label": "key",
    name: "key",
  });
  readonly #out = html("div", { class: "key-report", "aria-live": "polite" });
  readonly #onReport: (report: KeyReport | null) => void;
  readonly #nameOf: (addr: string) => string;

  constructor(onReport: (report: KeyReport | null) => void, nameOf: (addr: string) => string) {
    this.#onReport = onReport;
    this.#nameOf = nameOf;
    const form = html(
      "form",
      { class: "key-form" },
      this.#input,
      html("button", { type: "submit" }, "inspect"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.inspect(this.#input.value);
    });
    this.element = html(
      "section",
      { class: "key-inspector" },
      html("h2", {}, "key inspector"),
      form,
      this.#out,
    );
  }

  async inspect(key: string): Promise<void> {
    if (key === "") return;
    this.#out.textContent = "looking…";
    try {
      const response = await fetch(`/v1/replicas/${encodeURIComponent(key)}`, { cache: "no-store" });
      const body = (await response.json()) as KeyReport & { message?: string };
      if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
      this.#render(body);
      this.#onReport(body);
    } catch (error) {
      this.#out.replaceChildren(
        html(
          "p",
          { class: "bad" },
          `cannot inspect ${key}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      this.#onReport(null);
    }
  }

  #render(report: KeyReport): void {
    const verdict =
      report.majority?.version === 0 && report.agree
        ? html("p", { class: "verdict-line" }, "no replica holds this key: never written")
        : report.majority === null
          ? html("p", { class: "bad verdict-line" }, "no version is held by a majority of the replicas")
          : html(
              "p",
              { class: `verdict-line ${report.agree ? "ok" : "warn"}` },
              `${report.agree ? "all" : report.majority.replicas} of ${report.replicas.length} replicas hold version ${report.majority.version}`,
            );
    const rows = report.replicas.map((r) =>
      html(
        "tr",
        { "data-replica": String(r.index) },
        html("td", {}, String(r.index)),
        html("td", { title: r.id }, `${shortId(r.id)}…`),
        html("td", {}, r.holder === null ? "lookup failed" : (r.holder.name ?? this.#nameOf(r.holder.addr))),
        html("td", {}, r.hops === null ? "—" : String(r.hops)),
        html(
          "td",
          {},
          r.held === null
            ? "nothing"
            : r.held.tombstone
              ? `${r.held.version} (deleted)`
              : String(r.held.version),
        ),
        html(
          "td",
          { class: "value" },
          r.held === null || r.held.tombstone ? "" : JSON.stringify(r.held.value),
        ),
      ),
    );
    this.#out.replaceChildren(
      verdict,
      html(
        "table",
        { class: "replicas" },
        html(
          "thead",
          {},
          html(
            "tr",
            {},
            ...["#", "replica id", "node", "hops", "version", "value"].map((h) => html("th", {}, h)),
          ),
        ),
        html("tbody", {}, ...rows),
      ),
    );
  }
}
