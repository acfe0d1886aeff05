// Sign-in link page (link.html#token=...): the token is in the fragment, which no request
// carries. Opening the page changes nothing (mail scanners prefetch links); the button POSTs the
// token to /api/auth/link/redeem, which signs in once, then the page goes home.
import { api, ApiError } from './api.js';
import { HOME_PAGE } from './config.js';
import { t, onLanguageChange, rememberCustomerLanguage } from './i18n.js';
import { initPage } from './page.js';

initPage();

const form = document.getElementById('redeem-form');
const button = document.getElementById('redeem-button');
const errorBox = document.getElementById('redeem-error');
const status = document.getElementById('redeem-status');

const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
if (location.hash) history.replaceState(null, '', location.pathname); // out of the address bar

let errorKey = null;
let submitting = false;

function showError(key) {
  errorKey = key;
  errorBox.textContent = key ? t(key) : '';
}

async function redeem(event) {
  event.preventDefault();
  if (submitting) return;
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) {
    showError('error.invalidLink');
    return;
  }
  submitting = true;
  showError(null);
  button.setAttribute('aria-disabled', 'true');
  status.textContent = t('redeem.submitting');
  try {
    const data = await api('/auth/link/redeem', { method: 'POST', body: { token }, redirectOn401: false });
    rememberCustomerLanguage(data?.customer?.language);
    location.assign(HOME_PAGE);
    return;
  } catch (err) {
    status.textContent = '';
    const invalid = err instanceof ApiError && (err.status === 401 || err.status === 400);
    showError(invalid ? 'error.invalidLink' : 'error.generic');
  }
  submitting = false;
  button.removeAttribute('aria-disabled');
}

form.addEventListener('submit', redeem);
onLanguageChange(() => showError(errorKey));
