// English messages of the unsubscribe page (unsubscribe.html), merged into the en catalog by
// js/unsubscribe.js: only that page loads them.
export default {
  'unsubscribe.pageTitle': 'Reminder emails - Customer Portal',
  'unsubscribe.heading': 'Reminder emails',
  'unsubscribe.question': 'Stop the emails that remind you before your Update/Support services end?',
  'unsubscribe.button': 'Turn off reminder emails',
  'unsubscribe.working': 'Turning reminder emails off…',
  'unsubscribe.done': 'Done: you will get no more reminder emails.',
  'unsubscribe.backOn': 'Changed your mind? Sign in to the portal and tick “Email me before my Update/Support services end” on the home page.',
  'unsubscribe.invalid': 'This link is not valid. Sign in to the portal to choose whether you get reminder emails.',
  'unsubscribe.signIn': 'Sign in to the Customer Portal',
};
