// Badge for refunded orders, shared by the orders list and the order page.
import { t } from './i18n.js';
import { el } from './table.js';

const STATUS_KEYS = {
  refunded: 'order.status.refunded',
  partially_refunded: 'order.status.partiallyRefunded',
};

/** The order's total; refunded orders get a badge after it. */
export function totalCell(text, status) {
  const key = STATUS_KEYS[status];
  if (!key) return text;
  return el('span', {}, text, ' ', el('span', { className: 'badge' }, t(key)));
}
