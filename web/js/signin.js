// Sign-in page: validate, POST /api/auth/login, go home or explain why not. From a browser that
// has not proven control of the mailbox yet, login answers 202 and mails a code: the code form
// POSTs it to /api/auth/verify ("Send a new code" submits the login again). The link form asks
// for a sign-in link by email (/api/auth/link answers 202 for every address).
import { api, ApiError } from './api.js';
import { HOME_PAGE } from './config.js';
import { t, onLanguageChange, rememberCustomerLanguage } from './i18n.js';
import { initPage } from './page.js';

const EMAIL_MAX = 254;
const ORDER_MAX = 64;

initPage();

const form = document.getElementById('login-form');
const email = document.getElementById('email');
const orderNumber = document.getElementById('order-number');
const button = document.getElementById('login-button');
const errorBox = document.getElementById('login-error');
const status = document.getElementById('login-status');
const codeForm = document.getElementById('code-form');
const code = document.getElementById('code');
const codeButton = document.getElementById('code-button');
const resend = document.getElementById('resend');
const codeError = document.getElementById('code-error');
const codeStatus = document.getElementById('code-status');
const linkForm = document.getElementById('link-form');
const linkEmail = document.getElementById('link-email');
const linkButton = document.getElementById('link-button');
const linkError = document.getElementById('link-error');
const linkStatus = document.getElementById('link-status');

// What each alert and status shows ([{key, params}] / a key), re-rendered when the language changes.
const shown = new Map();
let submitting = false;

function show(box, messages) {
  shown.set(box, messages);
  box.replaceChildren(...messages.map(({ key, params }) => {
    const p = document.createElement('p');
    p.textContent = t(key, params);
    return p;
  }));
}

function showErrors(messages) { show(errorBox, messages); }

function say(element, key) {
  shown.set(element, key);
  element.textContent = key ? t(key) : '';
}

function busy(control, on) {
  if (on) control.setAttribute('aria-disabled', 'true');
  else control.removeAttribute('aria-disabled');
}

function markInvalid(input, invalid) {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function validate() {
  const errors = [];
  const emailValue = email.value.trim();
  const orderValue = orderNumber.value.trim();
  let emailError = null;
  if (!emailValue) emailError = { key: 'error.emailRequired' };
  else if (emailValue.length > EMAIL_MAX) emailError = { key: 'error.emailTooLong', params: { max: EMAIL_MAX } };
  else if (email.validity.typeMismatch || !/^[^\s@]+@[^\s@]+$/.test(emailValue)) emailError = { key: 'error.emailInvalid' };
  let orderError = null;
  if (!orderValue) orderError = { key: 'error.orderNumberRequired' };
  else if (orderValue.length > ORDER_MAX) orderError = { key: 'error.orderNumberTooLong', params: { max: ORDER_MAX } };
  markInvalid(email, emailError);
  markInvalid(orderNumber, orderError);
  if (emailError) errors.push(emailError);
  if (orderError) errors.push(orderError);
  return { errors, firstInvalid: emailError ? email : orderError ? orderNumber : null };
}

function errorFor(err, unauthorized = 'error.invalidCredentials') {
  if (err instanceof ApiError) {
    if (err.status === 401) return { key: unauthorized };
    if (err.status === 429) {
      if (err.retryAfterSeconds === null) return { key: 'error.tooManyAttemptsLater' };
      const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
      return { key: 'error.tooManyAttempts', params: { count: minutes } };
    }
    if (err.status === 400 || err.status === 422) return { key: 'error.validation' };
  }
  return { key: 'error.generic' };
}

async function signIn() {
  return api('/auth/login', {
    method: 'POST',
    body: { email: email.value.trim(), orderNumber: orderNumber.value.trim() },
    redirectOn401: false,
  });
}

function signedIn(data) {
  rememberCustomerLanguage(data?.customer?.language);
  location.assign(HOME_PAGE);
}

function askForCode() {
  form.hidden = true;
  codeForm.hidden = false;
  show(codeError, []);
  code.value = '';
  code.focus();
}

async function submit(event) {
  event.preventDefault();
  if (submitting) return;
  const { errors, firstInvalid } = validate();
  if (errors.length) {
    showErrors(errors);
    firstInvalid.focus();
    return;
  }
  submitting = true;
  showErrors([]);
  busy(button, true);
  say(status, 'signin.submitting');
  try {
    const data = await signIn();
    if (data?.verification === 'email_code') askForCode();
    else { signedIn(data); return; }
  } catch (err) {
    showErrors([errorFor(err)]);
  }
  say(status, null);
  submitting = false;
  busy(button, false);
}

async function submitCode(event) {
  event.preventDefault();
  if (submitting) return;
  const value = code.value.replace(/\s+/g, '');
  if (!/^[0-9]{6}$/.test(value)) {
    code.setAttribute('aria-invalid', 'true');
    show(codeError, [{ key: 'error.codeRequired' }]);
    code.focus();
    return;
  }
  submitting = true;
  show(codeError, []);
  busy(codeButton, true);
  say(codeStatus, 'verify.submitting');
  try {
    signedIn(await api('/auth/verify', { method: 'POST', body: { code: value }, redirectOn401: false }));
    return;
  } catch (err) {
    say(codeStatus, null);
    show(codeError, [errorFor(err, 'error.invalidCode')]);
  }
  submitting = false;
  busy(codeButton, false);
}

async function sendNewCode() {
  if (submitting) return;
  submitting = true;
  show(codeError, []);
  busy(resend, true);
  try {
    const data = await signIn();
    if (data?.verification === 'email_code') { say(codeStatus, 'verify.resent'); code.value = ''; code.focus(); }
    else { signedIn(data); return; }
  } catch (err) {
    show(codeError, [errorFor(err)]);
  }
  submitting = false;
  busy(resend, false);
}

async function submitLink(event) {
  event.preventDefault();
  if (submitting) return;
  const value = linkEmail.value.trim();
  if (!value || value.length > EMAIL_MAX || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    linkEmail.setAttribute('aria-invalid', 'true');
    show(linkError, [{ key: value ? 'error.emailInvalid' : 'error.emailRequired' }]);
    linkEmail.focus();
    return;
  }
  submitting = true;
  show(linkError, []);
  busy(linkButton, true);
  try {
    await api('/auth/link', { method: 'POST', body: { email: value }, redirectOn401: false });
    say(linkStatus, 'link.sent');
  } catch (err) {
    say(linkStatus, null);
    show(linkError, [errorFor(err)]);
  }
  submitting = false;
  busy(linkButton, false);
}

form.addEventListener('submit', submit);
codeForm.addEventListener('submit', submitCode);
resend.addEventListener('click', sendNewCode);
linkForm.addEventListener('submit', submitLink);
for (const input of [email, orderNumber, code, linkEmail]) {
  input.addEventListener('input', () => markInvalid(input, false));
}
onLanguageChange(() => {
  for (const [element, value] of shown) {
    if (Array.isArray(value)) show(element, value);
    else say(element, value);
  }
});
