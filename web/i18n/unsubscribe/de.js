// Deutsche Texte der Abmeldeseite (unsubscribe.html), von js/unsubscribe.js in den de-Katalog
// übernommen: nur diese Seite lädt sie.
export default {
  'unsubscribe.pageTitle': 'Erinnerungs-E-Mails – Kundenportal',
  'unsubscribe.heading': 'Erinnerungs-E-Mails',
  'unsubscribe.question': 'Keine E-Mails mehr, die Sie vor dem Ende Ihrer Update-/Support-Services erinnern?',
  'unsubscribe.button': 'Erinnerungs-E-Mails abbestellen',
  'unsubscribe.working': 'Erinnerungs-E-Mails werden abbestellt…',
  'unsubscribe.done': 'Erledigt: Sie erhalten keine Erinnerungs-E-Mails mehr.',
  'unsubscribe.backOn': 'Doch anders entschieden? Melden Sie sich im Portal an und setzen Sie auf der Startseite das Häkchen bei „Mir vor dem Ende meiner Update-/Support-Services eine E-Mail senden“.',
  'unsubscribe.invalid': 'Dieser Link ist nicht gültig. Melden Sie sich im Portal an, um Erinnerungs-E-Mails ein- oder auszuschalten.',
  'unsubscribe.signIn': 'Im Kundenportal anmelden',
};
