// Setup shared by every portal page: translations, language switch, support link, logout and
// the #page-error alert.
import { api } from './api.js';
import { SIGN_IN_PAGE, SUPPORT_EMAIL } from './config.js';
import { initI18n, t, onLanguageChange, forgetCustomerLanguage } from './i18n.js';

let pageErrorKey = null;

/** Show a catalog message in #page-error (null clears it); it follows language changes. */
export function showPageError(key) {
  pageErrorKey = key;
  const box = document.getElementById('page-error');
  if (box) box.textContent = key ? t(key) : '';
}

/**
 * Sign out through `path` (POST, with `body` if any): the logout, the logout that also forgets
 * this browser, or signing out everywhere; then the sign-in page (a 401 means already signed
 * out).
 */
export async function signOut(path = '/auth/logout', body = undefined) {
  try {
    await api(path, { method: 'POST', body, redirectOn401: false });
  } catch (err) {
    if (err.status !== 401) {
      showPageError('error.logout');
      return;
    }
  }
  forgetCustomerLanguage();
  location.replace(SIGN_IN_PAGE);
}

export function initPage() {
  initI18n();
  const support = document.getElementById('support-link');
  if (support) support.href = `mailto:${SUPPORT_EMAIL}`;
  document.getElementById('logout')?.addEventListener('click', () => signOut());
  onLanguageChange(() => showPageError(pageErrorKey));
}
