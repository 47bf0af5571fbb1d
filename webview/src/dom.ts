// DOM helpers. User strings only ever go through textContent (el's `text`),
// never innerHTML: there is no helper here that takes HTML.

export interface ElOptions {
  cls?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: ElOptions = {},
  ...children: (Node | null)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (opts.cls !== undefined) e.className = opts.cls;
  if (opts.text !== undefined) e.textContent = opts.text;
  if (opts.title !== undefined) e.title = opts.title;
  if (opts.attrs !== undefined) for (const [k, v] of Object.entries(opts.attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.appendChild(c);
  return e;
}

/** A button; `pressed` makes it a toggle (aria-pressed). */
export function button(
  label: string,
  onClick: (ev: MouseEvent) => void,
  opts: ElOptions & { pressed?: boolean } = {},
): HTMLButtonElement {
  const b = el("button", { ...opts, text: label });
  b.type = "button";
  if (opts.pressed !== undefined) b.setAttribute("aria-pressed", String(opts.pressed));
  b.addEventListener("click", onClick);
  return b;
}

export function setPressed(b: HTMLElement, on: boolean): void {
  b.setAttribute("aria-pressed", String(on));
}

export function clear(e: Element): void {
  while (e.firstChild !== null) e.removeChild(e.firstChild);
}
