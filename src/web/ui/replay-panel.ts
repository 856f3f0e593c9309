// Replaying a recorded simulated run (docs/dashboard.md §7): open a `selfman sim … --record` file, then
// play, pause, step and scrub through its frames; the ring is drawn on a canvas (thousands of nodes stay
// smooth), members on the ring at their ids' angles, nodes off the core ring outside it, successor
// links, and nodes that suspect someone in red. The line under the ring gives the frame's verdict and
// digest, which for the last frame must equal what the CLI printed.
import { html } from "./dom.js";
import { hueOf, pointAt } from "./ring-geometry.js";
import { FLAG_MEMBER, FLAG_SUSPECTS, type FrameView, RingRecord } from "./ring-record.js";

const SIZE = 520;
const R = 200;
const OUT_R = 228;
const SPEEDS = [1, 4, 16, 64, 256];
/** Node colours by ring while there are several (a split, before the merge). */
const RING_COLOURS = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#ca8a04"];

export class ReplayPanel {
  readonly element: HTMLElement;
  readonly #canvas = html("canvas", {
    hidden: "",
    width: String(SIZE),
    height: String(SIZE),
    class: "replay-canvas",
    "aria-label": "the replayed ring",
  });
  readonly #status = html(
    "p",
    { class: "replay-status", id: "replay-status" },
    "Open a recording: selfman sim merge --record run.jsonl",
  );
  readonly #slider = html("input", { type: "range", min: "0", max: "0", value: "0", "aria-label": "frame" });
  readonly #play = html("button", { type: "button", "data-replay": "play" }, "play");
  readonly #speed = html(
    "select",
    { "aria-label": "speed" },
    ...SPEEDS.map((s) => html("option", { value: String(s) }, `${s}×`)),
  );
  readonly #file = html("input", {
    type: "file",
    accept: ".jsonl,.json,.txt",
    name: "record",
    "aria-label": "a recorded run",
  });
  #record: RingRecord | null = null;
  #frame = 0;
  #playing = false;
  #simMs = 0;
  #lastTick = 0;
  /** Which play started the running loop. */
  #run = 0;

  constructor() {
    const step = (d: number, label: string) => {
      const b = html(
        "button",
        { type: "button", "data-replay": label },
        label === "back" ? "◀ step" : "step ▶",
      );
      b.addEventListener("click", () => this.show(this.#frame + d));
      return b;
    };
    this.#speed.value = "64";
    this.#file.addEventListener("change", () => void this.#open());
    this.#play.addEventListener("click", () => this.#toggle());
    this.#slider.addEventListener("input", () => this.show(Number(this.#slider.value)));
    this.element = html(
      "section",
      { class: "replay" },
      html("h2", {}, "replay a simulated run"),
      html(
        "div",
        { class: "replay-controls" },
        this.#file,
        this.#play,
        step(-1, "back"),
        step(1, "forward"),
        this.#speed,
        this.#slider,
      ),
      this.#canvas,
      this.#status,
    );
  }

  /** Loads a recording from its text (the file input's, or a test's). */
  load(text: string): void {
    if (this.#playing) this.#toggle();
    try {
      this.#record = new RingRecord(text);
    } catch (error) {
      this.#record = null;
      this.#status.textContent = `not a recording: ${error instanceof Error ? error.message : String(error)}`;
      this.#status.className = "replay-status bad";
      return;
    }
    this.#slider.max = String(this.#record.frames.length - 1);
    this.#canvas.hidden = false;
    this.show(0);
  }

  show(index: number): void {
    const record = this.#record;
    if (record === null) return;
    this.#frame = Math.max(0, Math.min(record.frames.length - 1, index));
    this.#slider.value = String(this.#frame);
    const view = record.at(this.#frame);
    this.#simMs = view.t;
    this.#draw(record, view);
    const verdict = view.perfect
      ? "perfect ring"
      : view.rings > 1
        ? `${view.rings} rings`
        : "not a perfect ring";
    const last = this.#frame === record.frames.length - 1;
    this.#status.textContent =
      `t = ${(view.t / 1000).toFixed(2)} s · frame ${this.#frame + 1} of ${record.frames.length} · ` +
      `${view.members} members · ${verdict} · digest ${view.digest}` +
      (last && record.end !== null
        ? ` (the CLI said ${record.end.nodes} members, digest ${record.end.digest})`
        : "");
    this.#status.className = `replay-status ${view.perfect ? "ok" : ""}`;
    this.#status.dataset.digest = view.digest;
    this.#status.dataset.perfect = String(view.perfect);
    this.#status.dataset.last = String(last);
  }

  async #open(): Promise<void> {
    const file = this.#file.files?.[0];
    if (file !== undefined) this.load(await file.text());
  }

  #toggle(): void {
    this.#playing = !this.#playing;
    this.#play.textContent = this.#playing ? "pause" : "play";
    this.#run++; // a loop of an earlier play stops at its next tick
    if (!this.#playing) return;
    this.#lastTick = performance.now();
    const run = this.#run;
    requestAnimationFrame((now) => this.#tick(now, run));
  }

  #tick(now: number, run: number): void {
    const record = this.#record;
    if (!this.#playing || record === null || run !== this.#run) return;
    this.#simMs += (now - this.#lastTick) * Number(this.#speed.value);
    this.#lastTick = now;
    let next = this.#frame;
    while (next + 1 < record.frames.length && (record.frames[next + 1]?.t ?? Infinity) <= this.#simMs) next++;
    if (next !== this.#frame) this.show(next);
    if (next >= record.frames.length - 1) {
      this.#toggle();
      return;
    }
    requestAnimationFrame((t) => this.#tick(t, run));
  }

  #draw(record: RingRecord, view: FrameView): void {
    const g = this.#canvas.getContext("2d");
    if (g === null) return;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, SIZE, SIZE);
    g.translate(SIZE / 2, SIZE / 2);
    g.strokeStyle = "#cbd2da";
    g.beginPath();
    g.arc(0, 0, R, 0, 2 * Math.PI);
    g.stroke();
    const pointedTo = new Set<number>();
    for (const state of view.nodes.values()) if (state.succ >= 0) pointedTo.add(state.succ);
    const where = (i: number): [number, number] => {
      const state = view.nodes.get(i);
      const onRing = state !== undefined && (state.flags & FLAG_MEMBER) !== 0 && pointedTo.has(i);
      return pointAt(record.ids[i] as string, onRing ? R : OUT_R);
    };
    g.strokeStyle = "rgba(71, 84, 103, 0.55)";
    g.lineWidth = 1;
    g.beginPath();
    for (const [i, state] of view.nodes) {
      if (state.succ < 0 || !view.nodes.has(state.succ)) continue;
      const [x1, y1] = where(i);
      const [x2, y2] = where(state.succ);
      g.moveTo(x1, y1);
      g.lineTo(x2, y2);
    }
    g.stroke();
    const dot = view.nodes.size > 400 ? 2 : 4;
    for (const [i, state] of view.nodes) {
      const [x, y] = where(i);
      const ring = view.ringOf.get(i);
      g.fillStyle =
        (state.flags & FLAG_SUSPECTS) !== 0
          ? "#dc2626"
          : view.rings > 1 && ring !== undefined
            ? (RING_COLOURS[ring % RING_COLOURS.length] as string)
            : `hsl(${hueOf(record.ids[i] as string)} 55% 45%)`;
      g.globalAlpha = (state.flags & FLAG_MEMBER) !== 0 ? 1 : 0.4;
      g.beginPath();
      g.arc(x, y, dot, 0, 2 * Math.PI);
      g.fill();
    }
    g.globalAlpha = 1;
  }
}
