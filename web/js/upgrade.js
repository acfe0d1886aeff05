// Upgrade page (?license=<id>): add workstations to a license at the server's price.
// Every change of the number asks the server for a quote (debounced; only the latest request's
// answer is shown, older ones are dropped); Buy asks for that quote's FastSpring checkout and
// goes there. No price is ever computed or sent from here.
import { api, ApiError, UnauthenticatedError } from './api.js';
import { formatDate, formatMoney, formatNumber } from './format.js';
import {
  addMessages, t, getLanguage, hasMessage, knowsLanguage, onLanguageChange, useCustomerLanguage,
} from './i18n.js';
import { initPage } from './page.js';
import { el, renderRows } from './table.js';
import en from '../i18n/upgrade/en.js';
import de from '../i18n/upgrade/de.js';
import fr from '../i18n/upgrade/fr.js';

// As the API validates them (API.md, Upgrades).
export const MIN_ADDED = 1;
export const MAX_ADDED = 1000;
export const DEBOUNCE_MS = 250;
const LICENSE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const WHOLE = /^\d{1,4}$/;
// Quote failures that no other number fixes: nothing more to do on this page.
const FINAL = new Set(['not_found', 'not_upgradable', 'no_running_support']);

addMessages({ en, de, fr });
initPage();

const $ = (id) => document.getElementById(id);
const heading = $('upgrade-heading');
const input = $('additional');
const buyButton = $('buy');
const table = $('breakdown-table');
const status = $('upgrade-status');

const licenseId = new URLSearchParams(location.search).get('license') ?? '';

let known = null; // the license as the latest quote described it (header, details)
let quote = null; // the latest quote answered, for the number in the field
let waiting = false; // a quote is asked for, or about to be: Buy waits for it
let buying = false; // the checkout was asked for, or the browser is on its way there
let final = false; // this license cannot be quoted at all
let error = null; // {key, field, blocks}: #upgrade-error; blocks: the quote shown is not for sale
let notice = null; // {key}: #upgrade-notice
let request = 0; // id of the latest quote request; an answer to an older one is dropped
let timer = null;

const lang = () => getLanguage();
const money = (value) => formatMoney(value, lang());
const number = (value) => formatNumber(value, lang());
const range = () => ({ min: number(MIN_ADDED), max: number(MAX_ADDED) });

/** The number typed, when it is a whole number the API accepts; else null. */
function chosen() {
  const text = input.value.trim();
  if (!WHOLE.test(text)) return null;
  const n = Number(text);
  return n >= MIN_ADDED && n <= MAX_ADDED ? n : null;
}

/** The message of a failed call: upgrade.error.<code> when the catalog has one. */
function failure(err) {
  const code = err instanceof ApiError ? (err.status === 404 ? 'not_found' : err.code) : null;
  if (code === 'bad_request') return { key: 'upgrade.error.range', field: true, blocks: true };
  const key = `upgrade.error.${code}`;
  return {
    key: code && hasMessage(key) ? key : 'error.generic',
    field: code === 'too_many_workstations',
    blocks: true,
    final: FINAL.has(code),
  };
}

function headingText() {
  if (!known) return t('upgrade.heading');
  const params = {
    software: known.software,
    serial: known.serialNumber,
    computer: known.computerName || known.computerId,
  };
  return t(known.computerId ? 'upgrade.headingBound' : 'upgrade.headingFree', params);
}

const daysCell = (line) => (line.days === null || line.days === undefined
  ? el('span', { role: 'img', 'aria-label': t('upgrade.noDays') }, '–')
  : number(line.days));

const columns = [
  (line) => (hasMessage(`upgrade.kind.${line.kind}`) ? t(`upgrade.kind.${line.kind}`) : line.kind),
  { className: 'num', render: (line) => number(line.quantity) },
  {
    className: 'num',
    render: (line) => (line.kind === 'support'
      ? t('upgrade.perYear', { price: money(line.unitPrice) })
      : money(line.unitPrice)),
  },
  { className: 'num', render: daysCell },
  { className: 'num', render: (line) => money(line.amount) },
];

function renderBreakdown(shown) {
  $('breakdown').hidden = !shown;
  table.setAttribute('aria-busy', String(waiting));
  if (!shown) return;
  renderRows(table, Array.isArray(shown.breakdown) ? shown.breakdown : [], columns,
    (line) => ({ kind: line.kind }));
  const colspan = table.tHead.rows[0].cells.length - 1;
  table.tFoot.replaceChildren(el('tr', { className: 'total' },
    el('th', { scope: 'row', colspan }, t('upgrade.breakdown.total')),
    el('td', { className: 'num' }, money(shown.price))));
}

function canBuy() {
  return Boolean(quote) && !waiting && !buying && !final && !error?.blocks
    && quote.additionalWorkstations === chosen();
}

function statusText() {
  if (buying) return t('upgrade.redirecting');
  if (waiting) return t('upgrade.quoting');
  if (quote && !error?.blocks) {
    const n = quote.additionalWorkstations;
    return t('upgrade.priced', { count: n, number: number(n), price: money(quote.price) });
  }
  return '';
}

function render() {
  heading.textContent = headingText();
  $('current-workstations').textContent = known
    ? t('upgrade.workstations', { count: known.currentWorkstations, number: number(known.currentWorkstations) })
    : '';
  $('support-until').textContent = known
    ? t('upgrade.supportUntil', { date: formatDate(known.supportUntil, lang()) })
    : '';
  $('additional-help').textContent = t('upgrade.additional.help', range());
  $('upgrade-error').textContent = error ? t(error.key, range()) : '';
  $('upgrade-notice').textContent = notice ? t(notice.key) : '';
  if (error?.field) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  input.disabled = final;
  renderBreakdown(quote && !error?.blocks && !final ? quote : null);
  buyButton.disabled = !canBuy();
  buyButton.textContent = quote && !waiting && !error?.blocks
    ? t('upgrade.buy', { price: money(quote.price) })
    : t('upgrade.buyWaiting');
  status.textContent = statusText();
}

/** POST a quote for n workstations; only the latest request's answer is kept. */
async function ask(n) {
  const mine = ++request;
  waiting = true;
  render();
  try {
    const answer = await api('/upgrades/quotes', {
      method: 'POST', body: { licenseId, additionalWorkstations: n },
    });
    if (mine !== request) return;
    quote = answer;
    known = answer;
    error = null;
  } catch (err) {
    if (mine !== request || err instanceof UnauthenticatedError) return;
    quote = null;
    error = failure(err);
    final = Boolean(error.final);
  }
  waiting = false;
  render();
}

/** The number changed: drop what is on its way, ask again once typing pauses. */
function changed() {
  clearTimeout(timer);
  request += 1;
  notice = null;
  const n = chosen();
  if (n === null) {
    waiting = false;
    error = { key: 'upgrade.error.range', field: true, blocks: true };
    render();
    return;
  }
  error = null;
  waiting = true;
  render();
  timer = setTimeout(() => ask(n), DEBOUNCE_MS);
}

/** Buy: the server makes the quote's checkout; the browser goes there. */
async function buy() {
  if (!canBuy()) return;
  const paying = quote;
  buying = true;
  error = null;
  notice = null;
  render();
  try {
    const answer = await api(`/upgrades/quotes/${encodeURIComponent(paying.quoteId)}/checkout`,
      { method: 'POST' });
    const target = new URL(answer?.checkoutUrl);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new TypeError('not a web address');
    window.location.assign(target.href);
    return;
  } catch (err) {
    if (err instanceof UnauthenticatedError) return;
    buying = false;
    if (err instanceof ApiError && err.code === 'quote_expired') {
      // Past its 24 hours: ask for today's price of the same number and say so.
      quote = null;
      notice = { key: 'upgrade.expired' };
      const n = chosen();
      if (n !== null) {
        ask(n);
        return;
      }
    } else {
      error = failure(err);
      // A paid quote cannot be bought again; after any other failure Buy may be tried again.
      error.blocks = err instanceof ApiError && err.code === 'quote_used';
      if (error.blocks) quote = null;
    }
  }
  render();
}

input.addEventListener('input', changed);
buyButton.addEventListener('click', buy);
// Back from the checkout page (the page restored from the back/forward cache): Buy again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted && buying) {
    buying = false;
    render();
  }
});
onLanguageChange(render);

/** The account's language first when this tab does not know it (a tab opened from the home
 * page does not share its session storage), so the price shows in it; then the first quote. */
async function start() {
  waiting = true;
  render();
  if (!knowsLanguage()) {
    try {
      useCustomerLanguage((await api('/me')).language);
    } catch (err) {
      if (err instanceof UnauthenticatedError) return;
    }
  }
  if (LICENSE_ID.test(licenseId)) {
    ask(chosen() ?? MIN_ADDED);
  } else {
    waiting = false;
    final = true;
    error = { key: 'upgrade.error.not_found', blocks: true };
    render();
  }
}

start();
