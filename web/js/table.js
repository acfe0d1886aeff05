// Cursor-paginated table ("« Prev 1 Next »") bound to elements named after the table:
//   #NAME-table (thead in HTML, data rows in tbody, messages in tfoot),
//   #NAME-prev, #NAME-next, #NAME-page, #NAME-status (aria-live).
// Catalog keys used: NAME.loading, NAME.empty, NAME.loadFailed, pager.page, common.retry.
// renderRows and tableMessage also serve the portal's unpaged tables.
import { PAGE_SIZE } from './config.js';
import { UnauthenticatedError } from './api.js';
import { t, getLanguage, onLanguageChange } from './i18n.js';
import { formatNumber } from './format.js';

/** Make an element: el('a', {href: '/x', className: 'btn'}, 'text', otherNode). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'dataset') {
      for (const [name, data] of Object.entries(value)) if (data != null) node.dataset[name] = data;
    } else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** Fill the table's tbody with one row per item; columns as in createPagedTable. */
export function renderRows(table, items, columns, rowData = (item) => ({ id: item.id })) {
  table.tBodies[0].replaceChildren(...items.map((item) => el('tr', { dataset: rowData(item) },
    ...columns.map((column) => (typeof column === 'function'
      ? el('td', {}, column(item) ?? '')
      : el('td', { className: column.className }, column.render(item) ?? ''))))));
}

/** Put one message row across the whole table into its tfoot; no children clears it. */
export function tableMessage(table, ...children) {
  const tfoot = table.tFoot || table.createTFoot();
  if (children.length === 0) {
    tfoot.replaceChildren();
    return;
  }
  const colspan = table.tHead?.rows[0]?.cells.length || 1;
  tfoot.replaceChildren(el('tr', { className: 'table-message' }, el('td', { colspan }, ...children)));
}

/**
 * @param {object} opts
 * @param {string} opts.name         element id / catalog prefix, e.g. "licenses"
 * @param {(query: string) => Promise<{items: object[], nextCursor: string|null}>} opts.load
 * @param {Array<Function|{render: Function, className: string}>} opts.columns  one renderer
 *        per column, item => Node | string | null; the object form also sets the cell's class
 * @param {(item: object) => object} [opts.rowData]  data-* attributes of an item's row
 * @param {number} [opts.pageSize]
 */
export function createPagedTable({ name, load, columns, rowData, pageSize = PAGE_SIZE }) {
  const $ = (suffix) => document.getElementById(`${name}-${suffix}`);
  const table = $('table');
  const prev = $('prev');
  const next = $('next');
  const page = $('page');
  const status = $('status');

  const cursors = [null]; // cursors[i] fetches page i + 1
  let index = 0;
  let nextCursor = null;
  let items = null; // null until the first page arrived
  let failed = false;
  let loading = false;
  let request = 0;

  function render() {
    if (items) renderRows(table, items, columns, rowData);
    if (failed) {
      const retry = el('button', { type: 'button', className: 'btn btn-small' }, t('common.retry'));
      retry.addEventListener('click', () => go(index));
      tableMessage(table, `${t(`${name}.loadFailed`)} `, retry);
    } else if (items && items.length === 0) {
      tableMessage(table, t(`${name}.empty`));
    } else {
      tableMessage(table);
    }
    page.textContent = formatNumber(index + 1, getLanguage());
    table.setAttribute('aria-busy', String(loading));
    updateButtons();
  }

  // A focused button stays focusable (only aria-disabled) while its page loads, so keyboard
  // users keep their place; when it ends up disabled, the focus moves to its partner.
  function updateButtons() {
    const focused = document.activeElement;
    for (const [button, off] of [[prev, loading || index === 0], [next, loading || !nextCursor]]) {
      button.setAttribute('aria-disabled', String(off));
      button.disabled = off && !(loading && button === focused);
    }
    if ((focused === prev || focused === next) && focused.disabled) {
      const target = [next, prev].find((b) => !b.disabled) || table.closest('[tabindex]');
      target?.focus();
    }
  }

  async function go(target) {
    const mine = ++request;
    loading = true;
    failed = false;
    status.textContent = t(`${name}.loading`);
    render();
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (cursors[target]) query.set('cursor', cursors[target]);
    try {
      const data = await load(query.toString());
      if (mine !== request) return;
      index = target;
      items = Array.isArray(data?.items) ? data.items : [];
      nextCursor = data?.nextCursor || null;
      cursors.length = index + 1;
      if (nextCursor) cursors.push(nextCursor);
      status.textContent = index > 0 ? t('pager.page', { page: formatNumber(index + 1, getLanguage()) }) : '';
    } catch (err) {
      if (mine !== request || err instanceof UnauthenticatedError) return;
      failed = true;
      status.textContent = t(`${name}.loadFailed`);
    }
    loading = false;
    render();
  }

  prev.addEventListener('click', () => { if (!loading && index > 0) go(index - 1); });
  next.addEventListener('click', () => { if (!loading && nextCursor) go(index + 1); });
  onLanguageChange(render);

  /** Show a changed item (same id) in place, without a request. */
  function replace(item) {
    if (!items) return;
    items = items.map((old) => (old.id === item.id ? item : old));
    render();
  }

  /** Load the first page afresh, showing nothing of what was loaded before. */
  function restart() {
    items = null;
    nextCursor = null;
    table.tBodies[0].replaceChildren();
    return go(0);
  }

  return { start: () => go(0), reload: () => go(index), restart, replace };
}
