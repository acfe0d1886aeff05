// Orders page: billing details and contacts (from the first page's answer) and the paged orders.
import { api, UnauthenticatedError } from './api.js';
import { formatCountry, formatDate, formatMoney } from './format.js';
import { t, getLanguage, onLanguageChange } from './i18n.js';
import { totalCell } from './order-status.js';
import { initPage } from './page.js';
import { createPagedTable, el, renderRows, tableMessage } from './table.js';

initPage();

const lang = () => getLanguage();
const date = (ymd) => el('time', { datetime: ymd }, formatDate(ymd, lang()));

// --- billing details and contacts: they come with the first page of orders ----------------
const billingTable = document.getElementById('billing-table');
const contactsTable = document.getElementById('contacts-table');
let head = null; // {billing, contacts} once a first page arrived
let headFailed = false;

const billingColumns = [
  (b) => date(b.date),
  (b) => b.name,
  (b) => el('span', { title: b.country }, formatCountry(b.country, lang())),
  (b) => b.city,
];
const contactColumns = [(c) => date(c.date), (c) => c.firstName, (c) => c.lastName, (c) => c.email];

function renderHeadTable(table, name, rows, columns) {
  table.setAttribute('aria-busy', String(!head && !headFailed));
  renderRows(table, rows, columns);
  if (!head && headFailed) tableMessage(table, t(`${name}.loadFailed`));
  else if (head && rows.length === 0) tableMessage(table, t(`${name}.empty`));
  else tableMessage(table);
}

function renderHead() {
  renderHeadTable(billingTable, 'billing', head?.billing ? [head.billing] : [], billingColumns);
  renderHeadTable(contactsTable, 'contacts', head?.contacts ?? [], contactColumns);
}

function loadOrders(query) {
  const request = api(`/orders?${query}`);
  if (!new URLSearchParams(query).has('cursor')) {
    headFailed = false;
    renderHead();
    request.then((data) => {
      head = { billing: data?.billing ?? null, contacts: Array.isArray(data?.contacts) ? data.contacts : [] };
      renderHead();
    }, (err) => {
      if (err instanceof UnauthenticatedError) return;
      headFailed = true;
      renderHead();
    });
  }
  return request;
}

// --- orders ------------------------------------------------------------------------------
const orders = createPagedTable({
  name: 'orders',
  load: loadOrders,
  rowData: (o) => ({ reference: o.reference }),
  columns: [
    (o) => date(o.date),
    (o) => o.reference,
    { className: 'num', render: (o) => totalCell(formatMoney(o.total, lang()), o.status) },
    (o) => el('a', {
      href: `order.html?ref=${encodeURIComponent(o.reference)}`,
      className: 'btn btn-small',
      'aria-label': t('orders.detailsAria', { reference: o.reference }),
    }, t('orders.details')),
  ],
});

orders.start();
onLanguageChange(renderHead);
