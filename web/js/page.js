// Setup shared by every portal page: translations, language switch, support link.
import { SUPPORT_EMAIL } from './config.js';
import { initI18n } from './i18n.js';

export function initPage() {
  initI18n();
  const support = document.getElementById('support-link');
  if (support) support.href = `mailto:${SUPPORT_EMAIL}`;
}
