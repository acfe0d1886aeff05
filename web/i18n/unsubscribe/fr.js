// Textes français de la page de désabonnement (unsubscribe.html), ajoutés au catalogue fr par
// js/unsubscribe.js : seule cette page les charge.
export default {
  'unsubscribe.pageTitle': 'E-mails de rappel - Portail Client',
  'unsubscribe.heading': 'E-mails de rappel',
  'unsubscribe.question': 'Ne plus recevoir les e-mails qui vous rappellent la fin de vos services de mise à jour et de support ?',
  'unsubscribe.button': 'Désactiver les e-mails de rappel',
  'unsubscribe.working': 'Désactivation des e-mails de rappel…',
  'unsubscribe.done': 'C’est fait : vous ne recevrez plus d’e-mails de rappel.',
  'unsubscribe.backOn': 'Vous avez changé d’avis ? Connectez-vous au portail et cochez « M’envoyer un e-mail avant la fin de mes services de mise à jour et de support » sur la page d’accueil.',
  'unsubscribe.invalid': 'Ce lien n’est pas valide. Connectez-vous au portail pour choisir de recevoir ou non les e-mails de rappel.',
  'unsubscribe.signIn': 'Se connecter au portail client',
};
