// Fetch wrapper for the portal API: JSON in and out, typed errors, 401 -> sign-in page.
// Calls are same-origin fetches with the session cookie; the browser itself adds the portal's
// Origin header to every POST, which the API's CSRF check requires of state-changing calls.
import { API_BASE, SIGN_IN_PAGE } from './config.js';

/** The API answered with a non-2xx status. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfterSeconds = null, detail = {}) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.detail = detail; // the whole `error` object, e.g. {code, message, availableOn}
  }
}

/** The request never got an answer (offline, DNS, aborted connection). */
export class NetworkError extends Error {
  constructor(cause) {
    super('Network error', { cause });
    this.name = 'NetworkError';
  }
}

/** The session is gone; the page is already navigating to the sign-in page. */
export class UnauthenticatedError extends ApiError {
  constructor() {
    super(401, 'unauthenticated');
    this.name = 'UnauthenticatedError';
  }
}

/** Retry-After is delta-seconds or an HTTP date; returns seconds or null. */
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - now) / 1000));
}

/**
 * Call the API. path is relative to /api ("/licenses?limit=10").
 * Resolves to the parsed JSON body (null for 204). Throws ApiError / NetworkError.
 * On 401 it sends the browser to the sign-in page unless redirectOn401 is false.
 */
export async function api(path, { method = 'GET', body, redirectOn401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API_BASE + path, init);
  } catch (err) {
    throw new NetworkError(err);
  }
  if (res.status === 401 && redirectOn401) {
    location.replace(SIGN_IN_PAGE);
    throw new UnauthenticatedError();
  }
  if (!res.ok) {
    let error = {};
    try { error = (await res.json()).error || {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, error.code, error.message,
      parseRetryAfter(res.headers.get('Retry-After')), error);
  }
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch (err) {
    throw new ApiError(res.status, 'bad_response', 'Response is not JSON');
  }
}
