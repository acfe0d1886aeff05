// Home page: activation key, reminder mails toggle, licenses and supports. The API calls start
// at once and each part renders as soon as its own answer arrives.
import { api, UnauthenticatedError } from './api.js';
import { formatDate, formatNumber, isPast } from './format.js';
import { t, getLanguage, onLanguageChange, useCustomerLanguage } from './i18n.js';
import { initPage, showPageError, signOut } from './page.js';
import { createPagedTable, el } from './table.js';
import {
  fileLink, initLicenseActions, licenseActions, openLinkedHistory, serialAndComputer, supportView,
} from './license-actions.js';

initPage();

// --- cells shared by both tables -------------------------------------------------------
const lang = () => getLanguage();
const number = (value) => formatNumber(value, lang());
const date = (ymd) => el('time', { datetime: ymd }, formatDate(ymd, lang()));

function dateWithExpiry(ymd) {
  if (!isPast(ymd)) return date(ymd);
  return el('span', { className: 'expired' }, date(ymd), ' ', el('span', { className: 'badge' }, t('date.expired')));
}

const serial = (s) => el('span', { className: 'serial-cell' }, el('span', { className: 'serial' }, s.serialNumber ?? ''));

function supportCell(l) {
  if (!l.support) return el('span', { className: 'no-support', role: 'img', 'aria-label': t('licenses.noSupport') }, 'X');
  const view = supportView(l);
  return el('span', { className: 'support-cell' }, dateWithExpiry(l.support.until), view ? ' ' : null, view);
}

// --- tables: start loading right away -------------------------------------------------
const licenses = createPagedTable({
  name: 'licenses',
  load: (query) => api(`/licenses?${query}`),
  columns: [
    (l) => l.software,
    serialAndComputer,
    { className: 'num', render: (l) => (l.days === null || l.days === undefined ? '-' : number(l.days)) },
    { className: 'num', render: (l) => number(l.users) },
    (l) => l.edition,
    (l) => l.orderNumber,
    (l) => date(l.purchasedOn),
    supportCell,
    licenseActions,
    // The upgrade page opens in a new tab, as the user guide shows it.
    (l) => (l.upgradable
      ? el('a', {
        href: `upgrade.html?license=${encodeURIComponent(l.id)}`,
        target: '_blank',
        rel: 'noopener',
        className: 'upgrade-link',
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
    (s) => fileLink(`/api/supports/${encodeURIComponent(s.id)}/file`, t('supports.details'),
      t('supports.detailsAria', { serial: s.serialNumber })),
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

initLicenseActions(licenses);
openLinkedHistory(); // ?history=<licenseId>: the activation notice's link

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

// --- reminder mails: the toggle reads and writes /api/me/preferences ---------------------
const remindersBox = document.getElementById('reminders');
const remindersStatus = document.getElementById('reminders-status');
let remindersNote = null;

function noteReminders(key) {
  remindersNote = key;
  remindersStatus.textContent = key ? t(key) : '';
}

api('/me/preferences').then((prefs) => {
  remindersBox.checked = prefs.reminders === true;
  remindersBox.disabled = false;
}).catch((err) => {
  if (!(err instanceof UnauthenticatedError)) noteReminders('error.generic');
});

remindersBox.addEventListener('change', async () => {
  const wanted = remindersBox.checked;
  remindersBox.disabled = true;
  noteReminders(null);
  try {
    const saved = await api('/me/preferences', { method: 'PUT', body: { reminders: wanted } });
    remindersBox.checked = saved.reminders === true;
    noteReminders(saved.reminders ? 'home.reminders.on' : 'home.reminders.off');
  } catch (err) {
    if (err instanceof UnauthenticatedError) return;
    remindersBox.checked = !wanted; // as stored: the change did not happen
    noteReminders('home.reminders.failed');
  }
  remindersBox.disabled = false;
});

// --- this browser, every browser: sign out and forget (each browser then asks for a code) ---
document.getElementById('forget-browser').addEventListener('click', () => (
  signOut('/auth/logout', { forgetBrowser: true })));
document.getElementById('forget-all').addEventListener('click', () => (
  signOut('/me/forget-browsers')));

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
  noteReminders(remindersNote);
});
