// Small DOM helpers for the dashboard (docs/dashboard.md §1): elements built with their attributes and
// children, in HTML and in SVG. Text always goes in as text, never as markup.
const SVG_NS = "http://www.w3.org/2000/svg";

type Child = Node | string | null;

function fill(element: Element, attrs: Record<string, string>, children: readonly Child[]): void {
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) if (child !== null) element.append(child);
}

export function html<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  fill(element, attrs, children);
  return element;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  fill(element, attrs, children);
  return element;
}

/** A short form of a 128-bit id for people: its first hex digits. */
export function shortId(id: string): string {
  return BigInt(id).toString(16).padStart(32, "0").slice(0, 8);
}

export function formatCount(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n));
}
