// Message catalogs, language choice and translation of the static HTML.
//
// Language precedence: ?lang= (remembered as the user's choice), localStorage "portal.lang"
// (the user's choice), the signed-in customer's language (sessionStorage "portal.customerLang",
// set from the login answer and /api/me), navigator.languages, then English.
import en from '../i18n/en.js';
import de from '../i18n/de.js';
import fr from '../i18n/fr.js';

const CATALOGS = { en, de, fr };
export const LANGUAGES = Object.keys(CATALOGS);
const CHOICE_KEY = 'portal.lang';
const CUSTOMER_KEY = 'portal.customerLang';

let current = 'en';
const listeners = new Set();

function supported(lang) {
  const base = String(lang || '').toLowerCase().split('-')[0];
  return LANGUAGES.includes(base) ? base : null;
}

function storageGet(storage, key) {
  try { return storage.getItem(key); } catch { return null; }
}

function storageSet(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key); else storage.setItem(key, value);
  } catch { /* storage disabled: the choice lasts for this page only */ }
}

/** True when the user picked a language (switch or ?lang=), which then beats the account's. */
export function hasChosenLanguage() {
  return supported(storageGet(localStorage, CHOICE_KEY)) !== null;
}

/** True when the language is the user's choice or the signed-in customer's (not a guess). */
export function knowsLanguage() {
  return hasChosenLanguage() || supported(storageGet(sessionStorage, CUSTOMER_KEY)) !== null;
}

function detectLanguage() {
  const fromUrl = supported(new URLSearchParams(location.search).get('lang'));
  if (fromUrl) {
    storageSet(localStorage, CHOICE_KEY, fromUrl);
    return fromUrl;
  }
  return supported(storageGet(localStorage, CHOICE_KEY))
    || supported(storageGet(sessionStorage, CUSTOMER_KEY))
    || (navigator.languages || [navigator.language]).map(supported).find(Boolean)
    || 'en';
}

/** Merge a page's own messages ({en: {...}, de: {...}, fr: {...}}) into the catalogs; call it
 * before initPage(). Messages only one page needs live next to it, so the others stay light. */
export function addMessages(byLanguage) {
  for (const lang of LANGUAGES) Object.assign(CATALOGS[lang], byLanguage[lang]);
}

export function getLanguage() {
  return current;
}

/** True when the catalogs hold `key` (the current one, or English as the fallback). */
export function hasMessage(key) {
  return key in CATALOGS[current] || key in CATALOGS.en;
}

/** Translate a key; params fill {name} placeholders, params.count picks a plural form. */
export function t(key, params = {}) {
  let msg = CATALOGS[current][key] ?? CATALOGS.en[key];
  if (msg === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (typeof msg === 'object') {
    msg = msg[new Intl.PluralRules(current).select(params.count ?? 0)] ?? msg.other;
  }
  return msg.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Fill data-i18n (text), data-i18n-aria-label and data-i18n-placeholder under root. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  }
  for (const lang of LANGUAGES) {
    document.getElementById(`lang-${lang}`)?.setAttribute('aria-pressed', String(lang === current));
  }
}

/** Switch language. persist=true records it as the user's own choice. */
export function setLanguage(lang, { persist = false } = {}) {
  const next = supported(lang);
  if (!next) return;
  if (persist) storageSet(localStorage, CHOICE_KEY, next);
  if (next === current && document.documentElement.lang === next) return;
  current = next;
  document.documentElement.lang = next;
  translatePage();
  for (const fn of listeners) fn(next);
}

/** Remember the signed-in customer's language for the next pages of this tab. */
export function rememberCustomerLanguage(lang) {
  if (supported(lang)) storageSet(sessionStorage, CUSTOMER_KEY, supported(lang));
}

/** Adopt the signed-in customer's language unless the user chose one. */
export function useCustomerLanguage(lang) {
  rememberCustomerLanguage(lang);
  if (supported(lang) && !hasChosenLanguage()) setLanguage(lang);
}

export function forgetCustomerLanguage() {
  storageSet(sessionStorage, CUSTOMER_KEY, null);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

/** Detect the language, translate the page, wire the #lang-xx buttons, reveal the page. */
export function initI18n() {
  current = detectLanguage();
  document.documentElement.lang = current;
  translatePage();
  for (const lang of LANGUAGES) {
    document.getElementById(`lang-${lang}`)?.addEventListener('click', () => {
      setLanguage(lang, { persist: true });
      const url = new URL(location.href);
      if (url.searchParams.has('lang')) {
        url.searchParams.delete('lang');
        history.replaceState(null, '', url);
      }
    });
  }
  document.documentElement.classList.remove('i18n-pending');
}
