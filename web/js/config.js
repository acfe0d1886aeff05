// Deployment-specific settings of the browser frontend, in one place.
export const SUPPORT_EMAIL = 'support@example.com';
export const API_BASE = '/api';
export const PAGE_SIZE = 10;
export const SIGN_IN_PAGE = 'index.html';
export const HOME_PAGE = 'home.html';
