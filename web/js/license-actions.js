// A license's computer on the home page: the "Serial Number / Computer" and Support cells, and
// the Actions column (download, history, release, offline activation) with their <dialog>s.
// Every change (release, offline activation) is a POST, which carries the portal's Origin.
import { api, ApiError, UnauthenticatedError } from './api.js';
import { formatDate, formatDateTime } from './format.js';
import { t, getLanguage, hasMessage, onLanguageChange } from './i18n.js';
import { createPagedTable, el } from './table.js';

// As the API validates them (API.md, Activation): the id as the product reports it, the name
// printable text without control, separator or invisible formatting characters.
export const COMPUTER_ID_MAX = 128;
export const COMPUTER_NAME_MAX = 64;
const COMPUTER_ID = /^[A-Za-z0-9._:-]+$/;
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

const computerOf = (l) => l.computerName || l.computerId;

/** Catalog message for an API failure: error.code.<code> when the catalog has one. */
export function apiErrorMessage(err) {
  if (!(err instanceof ApiError) || !err.code) return t('error.generic');
  if (err.code === 'rehost_limit_reached' && err.detail?.availableOn) {
    return t('error.code.rehost_limit_reached', { date: formatDate(err.detail.availableOn, getLanguage()) });
  }
  const key = `error.code.${err.code}`;
  return hasMessage(key) ? t(key) : t('error.generic');
}

/** The "Serial Number / Computer" cell: serial, then the bound computer or "not activated". */
export function serialAndComputer(l) {
  const computer = l.computerId
    ? el('span', { className: 'computer', dataset: { computerId: l.computerId } },
      l.computerName || l.computerId,
      l.computerName && l.computerName !== l.computerId ? el('code', { className: 'computer-id' }, l.computerId) : null)
    : el('span', { className: 'computer not-activated' }, t('licenses.notActivated'));
  return el('span', { className: 'serial-cell' }, el('span', { className: 'serial' }, l.serialNumber ?? ''), computer);
}

/** A same-origin file link that the browser saves (Content-Disposition: attachment). */
export function fileLink(path, text, label, action = null) {
  return el('a', {
    href: path, download: true, className: 'btn btn-small', 'aria-label': label, dataset: { action },
  }, text);
}

/** The Support cell's "View" link: the support file, where the license has one. */
export function supportView(l) {
  if (!l.support?.id || l.support.fileAvailable === false) return null;
  return el('a', {
    href: `/api/supports/${encodeURIComponent(l.support.id)}/file`,
    download: true,
    className: 'support-view',
    'aria-label': t('licenses.supportViewAria', { serial: l.serialNumber }),
  }, t('licenses.supportView'));
}

// --- dialogs ---------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
let table = null; // the licenses paged table, to show a changed license in place
let current = null; // the license a dialog is open for
let opener = null; // {id, action}: where the focus goes back when a dialog closes

function actionButton(action, l, text, label) {
  const button = el('button', {
    type: 'button', className: 'btn btn-small', dataset: { action }, 'aria-label': label,
  }, text);
  button.addEventListener('click', () => open(action, l));
  return button;
}

/** The Actions cell: Details (the file, when bound) or offline activation; History; Release. */
export function licenseActions(l) {
  const serial = l.serialNumber;
  const cell = el('span', { className: 'actions' });
  if (l.computerId) {
    cell.append(fileLink(`/api/licenses/${encodeURIComponent(l.id)}/file`, t('licenses.details'),
      t('licenses.detailsAria', { serial }), 'file'));
  } else {
    cell.append(actionButton('activate', l, t('licenses.activate'), t('licenses.activateAria', { serial })));
  }
  cell.append(actionButton('history', l, t('licenses.history'), t('licenses.historyAria', { serial })));
  if (l.computerId) {
    cell.append(actionButton('release', l, t('licenses.release'),
      t('licenses.releaseAria', { serial, computer: computerOf(l) })));
  }
  return cell;
}

function open(action, l) {
  current = l;
  opener = { id: l.id, action };
  if (action === 'history') openHistory();
  else if (action === 'release') openRelease();
  else openOffline();
}

/** After a dialog: back to the button that opened it, or to its row's first action. */
function restoreFocus() {
  if (!opener) return;
  const row = document.querySelector(`#licenses-table tbody tr[data-id="${CSS.escape(opener.id)}"]`);
  const target = row?.querySelector(`[data-action="${opener.action}"]`) || row?.querySelector('.actions > *');
  target?.focus();
}

let actionStatus = null; // {key, params} of #license-action-status, kept across languages

function showChanged(license, key, params) {
  current = license;
  table.replace(license);
  actionStatus = { key, params };
  $('license-action-status').textContent = t(key, params);
}


// History: a paged table of its own inside the dialog.
let history = null;

function historyTitle() {
  return t('history.title', { serial: current?.serialNumber ?? '' });
}

function openHistory() {
  $('history-title').textContent = historyTitle();
  $('history-release').hidden = !current.computerId; // the notice's "not you?": release it here
  $('history-dialog').showModal();
  history.restart();
}

const LICENSE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/; // a ULID, as the API makes them
const HISTORY_KEY = 'portal.openHistory'; // the link's license, kept across the sign-in

function storage(action) {
  try { return action(sessionStorage); } catch { return null; } // storage disabled: no carry-over
}

/**
 * home.html?history=<licenseId> (the activation notice's link): open that license's history,
 * its Release action there, wherever the license is among the pages. The id waits in
 * sessionStorage while the customer signs in first. Anything but a license id is ignored.
 */
export async function openLinkedHistory(search = location.search) {
  const asked = new URLSearchParams(search).get('history');
  if (asked !== null) storage((s) => s.setItem(HISTORY_KEY, asked));
  const id = asked ?? storage((s) => s.getItem(HISTORY_KEY));
  if (id === null) return;
  if (!LICENSE_ID.test(id)) {
    storage((s) => s.removeItem(HISTORY_KEY));
    return;
  }
  let found = null;
  try {
    let cursor = null;
    do { // the largest pages the API gives: one call for any ordinary customer
      const query = new URLSearchParams({ limit: '100' });
      if (cursor) query.set('cursor', cursor);
      const page = await api(`/licenses?${query}`);
      found = (page?.items || []).find((l) => l.id === id) || null;
      cursor = page?.nextCursor || null;
    } while (!found && cursor);
  } catch (err) {
    if (err instanceof UnauthenticatedError) return; // on to the sign-in; the id waits
    storage((s) => s.removeItem(HISTORY_KEY));
    actionStatus = { key: 'error.generic', params: {} };
    $('license-action-status').textContent = t('error.generic');
    return;
  }
  storage((s) => s.removeItem(HISTORY_KEY));
  if (!found) {
    actionStatus = { key: 'history.notFound', params: {} };
    $('license-action-status').textContent = t('history.notFound');
    return;
  }
  open('history', found);
}

const eventCell = (e) => el('span', { className: `event event-${e.event}` }, t(`history.event.${e.event}`));

// Release: confirm, POST, the row shows "not activated".
function releaseText() {
  return t('release.text', { serial: current.serialNumber, computer: computerOf(current), computerId: current.computerId });
}

function openRelease() {
  $('release-text').textContent = releaseText();
  releaseError = null;
  $('release-error').textContent = '';
  $('release-confirm').removeAttribute('aria-disabled');
  $('release-dialog').showModal();
}

let busy = false;
let releaseError = null; // the failure shown in #release-error

async function release() {
  if (busy) return;
  busy = true;
  const confirm = $('release-confirm');
  confirm.setAttribute('aria-disabled', 'true');
  releaseError = null;
  $('release-error').textContent = '';
  try {
    const before = current;
    const released = await api(`/licenses/${encodeURIComponent(before.id)}/release`, { method: 'POST' });
    showChanged(released, 'release.done', { serial: before.serialNumber, computer: computerOf(before) });
    $('release-dialog').close('done');
  } catch (err) {
    if (!(err instanceof UnauthenticatedError)) {
      releaseError = err;
      $('release-error').textContent = apiErrorMessage(err);
    }
  } finally {
    busy = false;
    confirm.removeAttribute('aria-disabled');
  }
}

// Offline activation: validate like the server, POST, save the signed file, show the computer.
/** Error keys of a computer id and name as typed; both values are trimmed first. */
export function computerErrors(id, name) {
  const errors = [];
  const idMax = { max: COMPUTER_ID_MAX };
  const nameMax = { max: COMPUTER_NAME_MAX };
  if (!id) errors.push(['computer-id', 'offline.error.idRequired']);
  else if (id.length > COMPUTER_ID_MAX) errors.push(['computer-id', 'offline.error.idTooLong', idMax]);
  else if (!COMPUTER_ID.test(id)) errors.push(['computer-id', 'offline.error.idInvalid']);
  if (!name) errors.push(['computer-name', 'offline.error.nameRequired']);
  else if ([...name].length > COMPUTER_NAME_MAX) errors.push(['computer-name', 'offline.error.nameTooLong', nameMax]);
  else if (UNPRINTABLE.test(name)) errors.push(['computer-name', 'offline.error.nameInvalid']);
  return errors;
}

let offlineErrors = []; // [{key, params} | {error}] shown in #offline-error

function showOfflineErrors(messages) {
  offlineErrors = messages;
  $('offline-error').replaceChildren(...messages.map((m) => el('p', {},
    m.error ? apiErrorMessage(m.error) : t(m.key, m.params))));
}

function openOffline() {
  $('offline-title').textContent = t('offline.title', { serial: current.serialNumber });
  $('offline-form').reset();
  for (const input of [$('computer-id'), $('computer-name')]) input.removeAttribute('aria-invalid');
  showOfflineErrors([]);
  $('offline-status').textContent = '';
  $('offline-dialog').showModal();
}

/** Save text as a file through a Blob (the answer is JSON, not an attachment). */
export function saveFile(text, fileName) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/octet-stream' }));
  const link = el('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function licenseFileName(serial, computerId) {
  return `license-${serial}-${computerId}.lic`.replace(/[^A-Za-z0-9._-]/g, '-');
}

async function activateOffline() {
  if (busy) return;
  const idInput = $('computer-id');
  const nameInput = $('computer-name');
  const computerId = idInput.value.trim();
  const computerName = nameInput.value.trim();
  const errors = computerErrors(computerId, computerName);
  for (const input of [idInput, nameInput]) {
    if (errors.some(([field]) => field === input.id)) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  showOfflineErrors(errors.map(([, key, params]) => ({ key, params })));
  if (errors.length) {
    $(errors[0][0]).focus();
    return;
  }
  busy = true;
  const submit = $('offline-submit');
  submit.setAttribute('aria-disabled', 'true');
  $('offline-status').textContent = t('offline.working');
  try {
    const done = await api(`/licenses/${encodeURIComponent(current.id)}/activate`, {
      method: 'POST', body: { computerId, computerName },
    });
    saveFile(done.licenseFile, licenseFileName(done.license.serialNumber, done.license.computerId));
    showChanged(done.license, 'offline.done', { serial: done.license.serialNumber, computer: computerOf(done.license) });
    $('offline-dialog').close('done');
  } catch (err) {
    $('offline-status').textContent = '';
    if (!(err instanceof UnauthenticatedError)) showOfflineErrors([{ error: err }]);
  } finally {
    busy = false;
    submit.removeAttribute('aria-disabled');
  }
}

/** Wire the dialogs once; `licenses` is the home page's paged licenses table. */
export function initLicenseActions(licenses) {
  table = licenses;
  history = createPagedTable({
    name: 'history',
    load: (query) => api(`/licenses/${encodeURIComponent(current.id)}/history?${query}`),
    columns: [
      (e) => el('time', { datetime: e.at }, formatDateTime(e.at, getLanguage())),
      eventCell,
      (e) => e.computerName ?? '',
      (e) => (e.computerId ? el('code', {}, e.computerId) : ''),
    ],
    rowData: () => ({}),
  });

  $('history-release').addEventListener('click', () => {
    opener = { id: current.id, action: 'history' };
    $('history-dialog').close();
    openRelease();
  });
  $('release-form').addEventListener('submit', (event) => {
    if (event.submitter?.value !== 'confirm') return; // Cancel closes the dialog, nothing else
    event.preventDefault();
    release();
  });
  $('offline-form').addEventListener('submit', (event) => {
    if (event.submitter?.value !== 'activate') return;
    event.preventDefault();
    activateOffline();
  });
  for (const input of [$('computer-id'), $('computer-name')]) {
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  }
  for (const id of ['history-dialog', 'release-dialog', 'offline-dialog']) {
    $(id).addEventListener('close', restoreFocus);
  }
  onLanguageChange(() => {
    if (actionStatus) $('license-action-status').textContent = t(actionStatus.key, actionStatus.params);
    if (!current) return;
    $('history-title').textContent = historyTitle();
    if ($('release-dialog').open) {
      $('release-text').textContent = releaseText();
      $('release-error').textContent = releaseError ? apiErrorMessage(releaseError) : '';
    }
    if ($('offline-dialog').open) {
      $('offline-title').textContent = t('offline.title', { serial: current.serialNumber });
      showOfflineErrors(offlineErrors);
    }
  });
}
