// Unsubscribe page, the link of a reminder mail (?token=...): one button turns reminder emails
// off. Opening the page changes nothing (mail scanners fetch the links in a mail); only the
// click POSTs the token, which is the whole authority: no sign-in.
import { api, ApiError } from './api.js';
import { addMessages, onLanguageChange, t } from './i18n.js';
import { initPage } from './page.js';
import en from '../i18n/unsubscribe/en.js';
import de from '../i18n/unsubscribe/de.js';
import fr from '../i18n/unsubscribe/fr.js';

addMessages({ en, de, fr });
initPage();

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
const ask = $('unsubscribe-ask');
const done = $('unsubscribe-done');
const button = $('unsubscribe-button');
const errorBox = $('unsubscribe-error');
const status = $('unsubscribe-status');
let errorKey = null;

function showError(key) {
  errorKey = key;
  errorBox.textContent = key ? t(key) : '';
}

function refuse() {
  ask.hidden = true;
  showError('unsubscribe.invalid');
}

if (!token) refuse();

button.addEventListener('click', async () => {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  showError(null);
  status.textContent = t('unsubscribe.working');
  try {
    await api('/reminders/unsubscribe', { method: 'POST', body: { token }, redirectOn401: false });
    status.textContent = '';
    ask.hidden = true;
    done.hidden = false;
    done.focus();
    return;
  } catch (err) {
    status.textContent = '';
    if (err instanceof ApiError && (err.status === 401 || err.status === 400)) {
      refuse();
      return;
    }
    showError('error.generic');
  }
  button.removeAttribute('aria-disabled');
});

onLanguageChange(() => showError(errorKey));
