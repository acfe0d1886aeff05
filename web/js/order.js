// Order page: one order (?ref=) with its items; unknown or malformed references say so.
import { api, ApiError, UnauthenticatedError } from './api.js';
import { formatDateTime, formatMoney, formatNumber } from './format.js';
import { t, getLanguage, onLanguageChange } from './i18n.js';
import { totalCell } from './order-status.js';
import { initPage } from './page.js';
import { el, renderRows, tableMessage } from './table.js';

const REFERENCE_RE = /^[A-Za-z0-9 -]{1,64}$/;

initPage();

const detailsTable = document.getElementById('order-details');
const itemsTable = document.getElementById('order-items-table');
const content = document.getElementById('order-content');
const notFound = document.getElementById('order-not-found');
const status = document.getElementById('order-status');

const ref = new URLSearchParams(location.search).get('ref') ?? '';
let state = REFERENCE_RE.test(ref) ? 'loading' : 'notFound'; // loading | failed | notFound | ready
let order = null;

const lang = () => getLanguage();
const money = (value) => formatMoney(value, lang());

const detailColumns = [
  (o) => el('time', { datetime: o.placedAt }, formatDateTime(o.placedAt, lang())),
  (o) => o.reference,
  { className: 'num', render: (o) => totalCell(money(o.total), o.status) },
];
const itemColumns = [
  (i) => i.product,
  (i) => i.sku ?? el('span', { role: 'img', 'aria-label': t('order.items.noSku') }, '–'),
  { className: 'num', render: (i) => formatNumber(i.quantity, lang()) },
  { className: 'num', render: (i) => money(i.subtotal) },
];

function render() {
  content.hidden = state === 'notFound';
  notFound.textContent = state === 'notFound' ? t('order.notFound') : '';
  for (const table of [detailsTable, itemsTable]) table.setAttribute('aria-busy', String(state === 'loading'));
  status.textContent = { loading: t('order.loading'), failed: t('order.loadFailed') }[state] ?? '';
  const items = Array.isArray(order?.items) ? order.items : [];
  renderRows(detailsTable, order ? [order] : [], detailColumns, () => ({}));
  renderRows(itemsTable, items, itemColumns, () => ({}));
  if (state === 'failed') {
    const retry = el('button', { type: 'button', className: 'btn btn-small' }, t('common.retry'));
    retry.addEventListener('click', load);
    tableMessage(detailsTable, `${t('order.loadFailed')} `, retry);
  } else {
    tableMessage(detailsTable);
  }
  if (state === 'ready' && items.length === 0) tableMessage(itemsTable, t('order.items.empty'));
  else tableMessage(itemsTable);
}

async function load() {
  state = 'loading';
  render();
  try {
    order = await api(`/orders/${encodeURIComponent(ref)}`);
    state = 'ready';
  } catch (err) {
    if (err instanceof UnauthenticatedError) return;
    const missing = err instanceof ApiError && (err.status === 404 || err.status === 400);
    state = missing ? 'notFound' : 'failed';
  }
  render();
}

if (state === 'loading') load(); else render();
onLanguageChange(render);
