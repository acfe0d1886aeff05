// Home page: activation key, licenses and supports. The three API calls start at once and
// each part renders as soon as its own answer arrives.
import { SUPPORT_EMAIL } from './config.js';
import { api, UnauthenticatedError } from './api.js';
import { formatDate, formatNumber, isPast } from './format.js';
import { t, getLanguage, onLanguageChange, useCustomerLanguage } from './i18n.js';
import { initPage, showPageError } from './page.js';
import { createPagedTable, el } from './table.js';

initPage();

// --- cells shared by both tables -------------------------------------------------------
const lang = () => getLanguage();
const number = (value) => formatNumber(value, lang());
const date = (ymd) => el('time', { datetime: ymd }, formatDate(ymd, lang()));

function dateWithExpiry(ymd) {
  if (!isPast(ymd)) return date(ymd);
  return el('span', { className: 'expired' }, date(ymd), ' ', el('span', { className: 'badge' }, t('date.expired')));
}

function serial(item) {
  const parts = [el('span', { className: 'serial' }, item.serialNumber ?? '')];
  if (item.computerName) parts.push(el('span', { className: 'computer' }, item.computerName));
  return el('span', { className: 'serial-cell' }, ...parts);
}

function fileLink(kind, item) {
  return el('a', {
    href: `/api/${kind}/${encodeURIComponent(item.id)}/file`,
    download: true,
    className: 'btn btn-small',
    'aria-label': t(`${kind}.detailsAria`, { serial: item.serialNumber }),
  }, t(`${kind}.details`));
}

// --- tables: start loading right away -------------------------------------------------
const licenses = createPagedTable({
  name: 'licenses',
  load: (query) => api(`/licenses?${query}`),
  columns: [
    (l) => l.software,
    serial,
    { className: 'num', render: (l) => (l.days === null || l.days === undefined ? '-' : number(l.days)) },
    { className: 'num', render: (l) => number(l.users) },
    (l) => l.edition,
    (l) => l.orderNumber,
    (l) => date(l.purchasedOn),
    (l) => (l.support
      ? dateWithExpiry(l.support.until)
      : el('span', { className: 'no-support', role: 'img', 'aria-label': t('licenses.noSupport') }, 'X')),
    (l) => fileLink('licenses', l),
    // Until the self-service upgrade page lands, the request goes to support by email.
    (l) => (l.upgradable
      ? el('a', {
        href: `mailto:${SUPPORT_EMAIL}?subject=${encodeURIComponent(
          t('licenses.upgradeSubject', { serial: l.serialNumber }),
        )}`,
        'aria-label': t('licenses.upgradeAria', { serial: l.serialNumber }),
      }, t('licenses.upgrade'))
      : null),
  ],
});

const supports = createPagedTable({
  name: 'supports',
  load: (query) => api(`/supports?${query}`),
  columns: [
    (s) => s.software,
    serial,
    { className: 'num', render: (s) => number(s.users) },
    (s) => s.edition,
    (s) => s.orderNumber,
    (s) => date(s.purchasedOn),
    { className: 'num', render: (s) => number(s.durationYears) },
    (s) => dateWithExpiry(s.expiresOn),
    (s) => fileLink('supports', s),
  ],
});

// --- the customer: activation key, name, language ---------------------------------------
const keyEl = document.getElementById('activation-key');
const copyButton = document.getElementById('copy-key');
const copyStatus = document.getElementById('copy-status');
const signedIn = document.getElementById('signed-in-as');
let me = null;

function renderMe() {
  if (!me) return;
  keyEl.textContent = me.activationKey ?? '';
  keyEl.removeAttribute('aria-busy');
  signedIn.textContent = t('home.signedInAs', { name: me.name || me.email });
  copyButton.disabled = !me.activationKey;
}

const meRequest = api('/me');
licenses.start();
supports.start();

meRequest.then((data) => {
  me = data;
  useCustomerLanguage(me.language);
  renderMe();
}).catch((err) => {
  if (!(err instanceof UnauthenticatedError)) showPageError('error.generic');
});

copyButton.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(keyEl.textContent);
    copyStatus.textContent = t('home.copied');
  } catch {
    getSelection().selectAllChildren(keyEl);
    copyStatus.textContent = t('home.copyFailed');
  }
});

onLanguageChange(() => {
  renderMe();
  copyStatus.textContent = '';
});
