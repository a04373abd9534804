/**
 * A few DOM helpers for the explorer pages: elements are built with h() and text is always set as
 * text (never as HTML), so nothing a log serves can inject markup or script.
 */
type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === false || c === null || c === undefined) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export type Verdict = 'pass' | 'fail' | 'skip' | 'warn' | 'info';

const WORDS: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIPPED', warn: 'WARNING', info: 'INFO' };
const ICONS: Record<Verdict, string> = { pass: '✓', fail: '✗', skip: '–', warn: '!', info: 'i' };

/** A status label that says its meaning in words and a symbol, not only in colour. */
export function badge(verdict: Verdict, word = WORDS[verdict]): HTMLElement {
  return h('span', { class: `badge ${verdict}` }, h('span', { 'aria-hidden': 'true' }, ICONS[verdict]), ` ${word}`);
}

/** A banner for a whole decision: role=status so screen readers announce it. */
export function banner(verdict: Verdict, title: string, detail?: string): HTMLElement {
  return h(
    'div',
    { class: `banner ${verdict}`, role: 'status' },
    badge(verdict, title),
    detail ? h('p', {}, detail) : null,
  );
}

/** A long hex or base64 value, shortened for display, selectable in full. */
export function mono(value: string, keep = 16): HTMLElement {
  const short = value.length > keep * 2 + 1 ? `${value.slice(0, keep)}…${value.slice(-8)}` : value;
  return h('code', { title: value, class: 'mono' }, short);
}

export function time(seconds: number | bigint): string {
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(seconds);
  return new Date(ms).toISOString().replace('.000Z', 'Z').replace('T', ' ');
}

/** Offers `text` as a file download (a blob URL: nothing leaves the browser). */
export function downloadButton(label: string, fileName: string, text: () => string): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        const url = URL.createObjectURL(new Blob([text()], { type: 'text/plain' }));
        const a = h('a', { href: url, download: fileName });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
    },
    label,
  );
}

export function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}

export function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

/**
 * A table whose cells carry their column name, so that on a phone each row can be shown as a
 * small card (style.css) instead of a table wider than the screen.
 */
export function table(
  caption: string | null,
  headers: readonly string[],
  rows: readonly Child[][],
  rowAttrs?: (i: number) => Attrs,
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'cards' },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        ...rows.map((cells, i) =>
          h('tr', rowAttrs?.(i) ?? {}, ...cells.map((c, j) => h('td', { 'data-label': headers[j] ?? '' }, c))),
        ),
      ),
    ),
  );
}
