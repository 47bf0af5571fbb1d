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

/**
 * A codicon (the @vscode/codicons font, bundled into dist/webview.css and
 * dist/codicon.ttf): decorative, so hidden from screen readers.
 */
export function icon(name: string, cls = ""): HTMLElement {
  return el("span", { cls: `codicon codicon-${name}${cls === "" ? "" : ` ${cls}`}`, attrs: { "aria-hidden": "true" } });
}

/** A button; `pressed` makes it a toggle (aria-pressed); `icon` puts a codicon before the label. */
export function button(
  label: string,
  onClick: (ev: MouseEvent) => void,
  opts: ElOptions & { pressed?: boolean; icon?: string } = {},
): HTMLButtonElement {
  const { icon: iconName, ...rest } = opts;
  const b =
    iconName === undefined
      ? el("button", { ...rest, text: label })
      : el(
          "button",
          { ...rest, cls: `${rest.cls ?? ""} with-icon`.trim() },
          icon(iconName),
          el("span", { cls: "label", text: label }),
        );
  b.type = "button";
  // An icon button keeps its name when a narrow view shows the icon alone.
  if (iconName !== undefined && label !== "" && rest.attrs?.["aria-label"] === undefined)
    b.setAttribute("aria-label", label);
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
