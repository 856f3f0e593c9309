// The ring, live (docs/dashboard.md §2): every node at its id's angle, the key space shaded by owner,
// successor arcs, suspected links dashed, branch nodes drawn off the ring; hover for a node's range and
// items, click to open its page. Node marks are kept by name between surveys, so a move, a crash or a
// newcomer animates instead of redrawing.
import { html, shortId, svg } from "./dom.js";
import { angleOf, bandPath, hueOf, pointAt, rangeShare } from "./ring-geometry.js";
import type { RefStatus, RingSurvey, SurveyedNode } from "./ring-survey-types.js";

const R = 190;
const BAND_IN = 200;
const BAND_OUT = 214;
const BRANCH_R = 240;
const DENSE_NODES = 32;
const BOW = 0.85;

/** Whether some node names `node` (this incarnation) as its successor: it is on the core ring. */
function onCoreRing(node: SurveyedNode, nodes: readonly SurveyedNode[]): boolean {
  return nodes.some((m) => m.succ?.addr === node.addr && m.succ.nonce === node.nonce);
}

function suspectedBySomeone(addr: string, nodes: readonly SurveyedNode[]): boolean {
  return nodes.some((m) => m.suspected.some((s) => s.addr === addr));
}

export class RingView {
  readonly element: HTMLElement;
  readonly #svg: SVGSVGElement;
  readonly #bands = svg("g", { class: "bands" });
  readonly #links = svg("g", { class: "links" });
  readonly #marks = svg("g", { class: "marks" });
  readonly #replicas = svg("g", { class: "replicas" });
  readonly #byName = new Map<string, SVGGElement>();
  readonly #tip = html("div", { class: "tip", role: "tooltip", hidden: "" });
  #selected: string | null = null;
  readonly #onSelect: (name: string) => void;

  constructor(onSelect: (name: string) => void) {
    this.#onSelect = onSelect;
    this.#svg = svg(
      "svg",
      { viewBox: "-260 -260 520 520", class: "ring", role: "img", "aria-label": "the ring" },
      svg(
        "defs",
        {},
        svg(
          "marker",
          {
            id: "arrow",
            viewBox: "0 0 10 10",
            refX: "14",
            refY: "5",
            markerWidth: "6",
            markerHeight: "6",
            orient: "auto",
          },
          svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }),
        ),
      ),
      svg("circle", { r: String(R), class: "circle" }),
      this.#bands,
      this.#links,
      this.#replicas,
      this.#marks,
    );
    this.element = html("div", { class: "ring-box" }, this.#svg, this.#tip);
  }

  select(name: string | null): void {
    this.#selected = name;
    for (const [n, mark] of this.#byName) mark.classList.toggle("selected", n === name);
  }

  /** Marks a key's replica ids on the ring, each with a line to the node holding it; null clears. */
  showReplicas(replicas: readonly { readonly id: string; readonly holderId: string | null }[] | null): void {
    const marks: SVGElement[] = [];
    for (const [i, replica] of (replicas ?? []).entries()) {
      const [x, y] = pointAt(replica.id, R);
      if (replica.holderId !== null) {
        const [hx, hy] = pointAt(replica.holderId, R);
        marks.push(
          svg("line", {
            x1: x.toFixed(1),
            y1: y.toFixed(1),
            x2: hx.toFixed(1),
            y2: hy.toFixed(1),
            class: "replica-link",
          }),
        );
      }
      marks.push(
        svg(
          "g",
          {
            class: "replica",
            transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
            "data-replica": String(i),
          },
          svg("rect", { x: "-5", y: "-5", width: "10", height: "10", transform: "rotate(45)" }),
          svg("text", { y: "20", "text-anchor": "middle" }, `r${i}`),
        ),
      );
    }
    this.#replicas.replaceChildren(...marks);
  }

  update(survey: RingSurvey): void {
    // past DENSE_NODES the marks shrink and their labels go (hover still names each node)
    this.#svg.classList.toggle("dense", survey.nodes.length > DENSE_NODES);
    const members = survey.nodes.filter((n) => n.member);
    this.#drawBands(members);
    this.#drawLinks(survey.nodes);
    this.#drawMarks(survey.nodes);
  }

  /** The key space shaded by owner: each member's range (pred, self]. */
  #drawBands(members: readonly SurveyedNode[]): void {
    // a member that has no predecessor yet owns nothing drawable, unless it is alone
    const owners = members.filter((node) => node.pred !== null || members.length === 1);
    this.#bands.replaceChildren(
      ...owners.map((node) => {
        const from = node.pred?.id ?? node.id;
        const whole = node.pred === null || node.pred.id === node.id;
        const path = whole
          ? bandPath(angleOf(node.id), angleOf(node.id) - 1e-4, BAND_IN, BAND_OUT)
          : bandPath(angleOf(from), angleOf(node.id), BAND_IN, BAND_OUT);
        return svg("path", {
          d: path,
          class: "band",
          style: `fill: hsl(${hueOf(node.id)} 60% 62%)`,
          "data-node": node.name,
        });
      }),
    );
  }

  /** Successor arcs (a chord when the successor is not the next node) and dashed suspected links. */
  #drawLinks(nodes: readonly SurveyedNode[]): void {
    const links: SVGElement[] = [];
    const radiusOf = (ref: RefStatus) => {
      const node = nodes.find((n) => n.addr === ref.addr);
      return node !== undefined && !onCoreRing(node, nodes) ? BRANCH_R : R;
    };
    for (const node of nodes) {
      const [x1, y1] = pointAt(node.id, radiusOf(node));
      if (node.succ !== null && node.succ.addr !== node.addr) {
        const [x2, y2] = pointAt(node.succ.id, radiusOf(node.succ));
        // a bow inward through the chord's midpoint, pulled towards the centre
        const [mx, my] = [((x1 + x2) / 2) * BOW, ((y1 + y2) / 2) * BOW];
        links.push(
          svg("path", {
            d: `M ${x1.toFixed(1)} ${y1.toFixed(1)} Q ${mx.toFixed(1)} ${my.toFixed(1)} ${x2.toFixed(1)} ${y2.toFixed(1)}`,
            class: "succ",
            "marker-end": "url(#arrow)",
          }),
        );
      }
      for (const suspect of node.suspected) {
        const [x2, y2] = pointAt(suspect.id, radiusOf(suspect));
        links.push(
          svg("line", {
            x1: x1.toFixed(1),
            y1: y1.toFixed(1),
            x2: x2.toFixed(1),
            y2: y2.toFixed(1),
            class: "suspect",
          }),
        );
      }
    }
    this.#links.replaceChildren(...links);
  }

  #drawMarks(nodes: readonly SurveyedNode[]): void {
    const seen = new Set<string>();
    for (const node of nodes) {
      seen.add(node.name);
      const mark = this.#byName.get(node.name) ?? this.#newMark(node.name);
      const core = onCoreRing(node, nodes);
      const [x, y] = pointAt(node.id, core ? R : BRANCH_R);
      mark.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
      mark.dataset.addr = node.addr;
      mark.classList.toggle("suspected", suspectedBySomeone(node.addr, nodes));
      mark.classList.toggle("branch", !core);
      mark.classList.toggle("joining", !node.member);
      mark.classList.remove("gone");
      (mark.querySelector("circle") as SVGCircleElement).style.fill = `hsl(${hueOf(node.id)} 55% 45%)`;
      mark.dataset.tip = tipOf(node);
    }
    for (const [name, mark] of this.#byName) {
      if (seen.has(name)) continue;
      mark.classList.add("gone");
      // a node that stopped answering stays where it was, marked while its neighbours suspect it
      mark.classList.toggle("suspected", suspectedBySomeone(mark.dataset.addr ?? "", nodes));
    }
  }

  #newMark(name: string): SVGGElement {
    const mark = svg(
      "g",
      { class: "node", tabindex: "0", "data-name": name, role: "button", "aria-label": name },
      svg("circle", { r: "9" }),
      svg("text", { y: "-14", "text-anchor": "middle" }, name.replace(/^node-/, "")),
    );
    mark.addEventListener("click", () => this.#onSelect(name));
    mark.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.#onSelect(name);
    });
    mark.addEventListener("mouseenter", () => {
      this.#tip.textContent = mark.dataset.tip ?? name;
      this.#tip.hidden = false;
    });
    mark.addEventListener("mousemove", (e) => {
      this.#tip.style.left = `${e.offsetX + 14}px`;
      this.#tip.style.top = `${e.offsetY + 14}px`;
    });
    mark.addEventListener("mouseleave", () => {
      this.#tip.hidden = true;
    });
    this.#byName.set(name, mark);
    this.#marks.append(mark);
    if (name === this.#selected) mark.classList.add("selected");
    return mark;
  }
}

function tipOf(node: SurveyedNode): string {
  const share = node.pred === null ? 1 : rangeShare(node.pred.id, node.id);
  return [
    `${node.name}  ${node.member ? "member" : "not a member"}`,
    `id ${shortId(node.id)}…  range ${(share * 100).toFixed(1)}% of the ring`,
    `items ${node.store.items}${node.store.unsynced > 0 ? `, ${node.store.unsynced} unsynced` : ""}`,
    `suspects ${node.suspected.length === 0 ? "none" : node.suspected.map((s) => s.addr).join(", ")}`,
  ].join("\n");
}
