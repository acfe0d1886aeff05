// Locale-aware formatting of the API's dates, numbers and money.
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "2020-01-27" -> "27 Jan 2020" / "27.01.2020" / "27 janv. 2020". Unknown shapes pass through. */
export function formatDate(ymd, locale) {
  const m = DATE_RE.exec(ymd ?? '');
  if (!m) return ymd ?? '';
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** "2019-05-29T08:46:18Z" -> date and time in UTC, e.g. "29 May 2019, 08:46:18 UTC". */
export function formatDateTime(iso, locale) {
  const ms = Date.parse(iso ?? '');
  if (Number.isNaN(ms)) return iso ?? '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' }).format(ms);
}

/** "FR" -> "France" / "Frankreich"; unknown or malformed codes pass through. */
export function formatCountry(code, locale) {
  try {
    return new Intl.DisplayNames(locale, { type: 'region' }).of(code) || code;
  } catch {
    return code ?? '';
  }
}

/** Today's date in the user's time zone as YYYY-MM-DD. */
export function todayYmd(now = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** True when the YYYY-MM-DD date lies before today. */
export function isPast(ymd, now = new Date()) {
  return DATE_RE.test(ymd ?? '') && ymd < todayYmd(now);
}

export function formatNumber(value, locale) {
  if (value === null || value === undefined || value === '') return '';
  return new Intl.NumberFormat(locale).format(value);
}

/** {amount: "704.11", currency: "EUR"} -> "€704.11" / "704,11 €". amount is a decimal string. */
export function formatMoney(money, locale) {
  if (!money) return '';
  const { amount, currency } = money;
  try {
    // Intl accepts decimal strings and formats them without going through a float.
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    return `${currency} ${amount}`;
  }
}
