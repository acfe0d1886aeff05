// Sign-in page: validate, POST /api/auth/login, go home or explain why not.
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

let shown = []; // [{key, params}] currently in the alert, re-rendered when the language changes
let submitting = false;

function showErrors(messages) {
  shown = messages;
  errorBox.replaceChildren(...messages.map(({ key, params }) => {
    const p = document.createElement('p');
    p.textContent = t(key, params);
    return p;
  }));
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
  return { errors, emailValue, orderValue, firstInvalid: emailError ? email : orderError ? orderNumber : null };
}

function errorFor(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return { key: 'error.invalidCredentials' };
    if (err.status === 429) {
      if (err.retryAfterSeconds === null) return { key: 'error.tooManyAttemptsLater' };
      const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
      return { key: 'error.tooManyAttempts', params: { count: minutes } };
    }
    if (err.status === 400 || err.status === 422) return { key: 'error.validation' };
  }
  return { key: 'error.generic' };
}

async function submit(event) {
  event.preventDefault();
  if (submitting) return;
  const { errors, emailValue, orderValue, firstInvalid } = validate();
  if (errors.length) {
    showErrors(errors);
    firstInvalid.focus();
    return;
  }
  submitting = true;
  showErrors([]);
  button.setAttribute('aria-disabled', 'true');
  status.textContent = t('signin.submitting');
  try {
    const data = await api('/auth/login', {
      method: 'POST',
      body: { email: emailValue, orderNumber: orderValue },
      redirectOn401: false,
    });
    rememberCustomerLanguage(data?.customer?.language);
    location.assign(HOME_PAGE);
    return;
  } catch (err) {
    status.textContent = '';
    showErrors([errorFor(err)]);
  }
  submitting = false;
  button.removeAttribute('aria-disabled');
}

form.addEventListener('submit', submit);
for (const input of [email, orderNumber]) {
  input.addEventListener('input', () => markInvalid(input, false));
}
onLanguageChange(() => showErrors(shown));
