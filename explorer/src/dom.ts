/** Small DOM helpers: elements from a tag, attributes and children; status lines; number formatting. */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A value shown on the page with its exact machine-readable value beside it (`data-k` names it, `data-v` holds it). */
export function figure(key: string, label: string, value: number | string, shown = typeof value === 'number' ? fmt(value, Number.isInteger(value) ? 0 : 1) : value, unit = ''): HTMLElement {
  return h('div', { class: 'figure' }, h('span', { class: 'label' }, label), h('span', { class: 'value', 'data-k': key, 'data-v': String(value) }, shown), unit ? h('span', { class: 'unit' }, unit) : null);
}

/**
 * A status area for one piece of work: a spinner with progress text while it runs, then nothing, or the error in
 * words. Every run ends in `done` or `fail` (callers use try/finally), so no spinner is left running.
 */
export class Status {
  readonly el: HTMLElement;
  constructor(id: string) {
    this.el = h('div', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
  }
  private started = 0;
  begin(text: string): void {
    this.started = performance.now();
    this.el.className = 'status running';
    this.el.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, text));
  }
  progress(text: string): void {
    if (!this.el.classList.contains('running')) return;
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    this.el.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, `${text} (${secs} s)`));
  }
  done(text = ''): void {
    this.el.className = 'status';
    this.el.replaceChildren(text);
  }
  fail(e: unknown): void {
    this.el.className = 'status error';
    this.el.setAttribute('role', 'alert');
    this.el.replaceChildren(h('strong', {}, 'Error: '), e instanceof Error ? e.message : String(e));
  }
}

/**
 * A form's work: its Run button disabled and its Cancel button shown while it runs, `busy` in the status area, the
 * error in words if it fails (on success `work` reports through `status.done` itself). Submitting the form runs it.
 */
export function formWork<T>(form: HTMLFormElement, controls: { run: HTMLButtonElement; cancel: HTMLButtonElement; status: Status }, busy: string, work: (arg?: T) => Promise<void>): (arg?: T) => Promise<void> {
  const start = async (arg?: T) => {
    controls.run.disabled = true;
    controls.cancel.hidden = false;
    controls.status.begin(busy);
    try {
      await work(arg);
    } catch (e) {
      controls.status.fail(e);
    } finally {
      controls.run.disabled = false;
      controls.cancel.hidden = true;
    }
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    void start();
  };
  return start;
}

export function table(head: string[], rows: Array<Array<Node | string>>, attrs: Record<string, string> = {}): HTMLTableElement {
  return h('table', attrs, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}
