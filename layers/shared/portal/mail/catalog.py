"""Every sentence of every mail, per language: `string.Template` text with `$name` placeholders.

The strings are the portal's own (trusted) text; what fills a placeholder is not, and
portal.mail.render makes it harmless first (portal.mail.text). Each language has exactly the same
keys and, per key, the same placeholders (tests/unit/test_mail.py checks)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        "brand": "Customer Portal",
        "colon": ":",
        "greeting": "Hello $name,",
        "greeting_anonymous": "Hello,",
        "footer_portal": "Your licenses, supports and orders: $portal",
        "footer_support": "Questions? Write to $support.",
        # support_reminder
        "reminder_subject_ends": "Your Update/Support services end on $date",
        "reminder_subject_ended": "Your Update/Support services ended on $date",
        "reminder_ends": (
            "The Update/Support services below end in $days days, on $date. Renew them in time "
            "to keep receiving updates and technical support."
        ),
        "reminder_ends_tomorrow": (
            "The Update/Support services below end tomorrow, $date. Renew them in time to keep "
            "receiving updates and technical support."
        ),
        "reminder_ended": (
            "The Update/Support services below ended on $date. Renew them to receive updates "
            "and technical support again."
        ),
        "column_software": "Software",
        "column_serial": "Serial number / computer",
        "column_users": "Users",
        "column_edition": "Edition",
        "column_ends": "End date",
        "reminder_action": "Renew now",
        "reminder_why": (
            "You receive this reminder because Update/Support services of yours are ending."
        ),
        "reminder_unsubscribe": "Stop these reminders",
        # activation_notice
        "activation_subject_activated": "$software $serial was activated on $computer",
        "activation_subject_released": "$software $serial was released from $computer",
        "activation_activated": (
            "Your license $software $serial was activated on the computer $computer on $when."
        ),
        "activation_released": (
            "Your license $software $serial was released from the computer $computer on $when."
        ),
        "activation_not_you": (
            "Not you? Look at the license's history and release it from that computer in the "
            "portal."
        ),
        "activation_action": "Review the license",
        "activation_why": (
            "We tell you every time one of your licenses is activated on a new computer or "
            "released from one."
        ),
        # sign_in_code
        "sign_in_subject": "Your sign-in code for the Customer Portal",
        "sign_in_code": "Your sign-in code is:",
        "sign_in_validity": (
            "It is valid for $minutes minutes. You can also sign in with this link:"
        ),
        "sign_in_action": "Sign in",
        "sign_in_why": (
            "Someone asked to sign in to the Customer Portal with this address. If it was not "
            "you, ignore this email: nobody can sign in without the code."
        ),
        # sign_in_link
        "link_subject": "Your sign-in link for the Customer Portal",
        "link_intro": (
            "Sign in to the Customer Portal with this link. It works once, for $minutes minutes:"
        ),
        "link_why": (
            "Someone asked for a sign-in link to the Customer Portal for this address. If it was "
            "not you, ignore this email: nobody can sign in without the link."
        ),
    },
    "de": {
        "brand": "Kundenportal",
        "colon": ":",
        "greeting": "Hallo $name,",
        "greeting_anonymous": "Hallo,",
        "footer_portal": "Ihre Lizenzen, Supportverträge und Bestellungen: $portal",
        "footer_support": "Fragen? Schreiben Sie an $support.",
        "reminder_subject_ends": "Ihre Update-/Support-Services enden am $date",
        "reminder_subject_ended": "Ihre Update-/Support-Services sind am $date abgelaufen",
        "reminder_ends": (
            "Die folgenden Update-/Support-Services enden in $days Tagen, am $date. Verlängern "
            "Sie sie rechtzeitig, um weiterhin Updates und technischen Support zu erhalten."
        ),
        "reminder_ends_tomorrow": (
            "Die folgenden Update-/Support-Services enden morgen, am $date. Verlängern Sie sie "
            "rechtzeitig, um weiterhin Updates und technischen Support zu erhalten."
        ),
        "reminder_ended": (
            "Die folgenden Update-/Support-Services sind am $date abgelaufen. Verlängern Sie "
            "sie, um wieder Updates und technischen Support zu erhalten."
        ),
        "column_software": "Software",
        "column_serial": "Seriennummer / Computer",
        "column_users": "Benutzer",
        "column_edition": "Edition",
        "column_ends": "Enddatum",
        "reminder_action": "Jetzt verlängern",
        "reminder_why": (
            "Sie erhalten diese Erinnerung, weil Update-/Support-Services von Ihnen auslaufen."
        ),
        "reminder_unsubscribe": "Keine Erinnerungen mehr",
        "activation_subject_activated": "$software $serial wurde auf $computer aktiviert",
        "activation_subject_released": "$software $serial wurde von $computer freigegeben",
        "activation_activated": (
            "Ihre Lizenz $software $serial wurde am $when auf dem Computer $computer aktiviert."
        ),
        "activation_released": (
            "Ihre Lizenz $software $serial wurde am $when vom Computer $computer freigegeben."
        ),
        "activation_not_you": (
            "Das waren nicht Sie? Sehen Sie sich im Portal den Verlauf der Lizenz an und geben "
            "Sie sie von diesem Computer frei."
        ),
        "activation_action": "Lizenz ansehen",
        "activation_why": (
            "Wir benachrichtigen Sie jedes Mal, wenn eine Ihrer Lizenzen auf einem neuen "
            "Computer aktiviert oder von einem Computer freigegeben wird."
        ),
        "sign_in_subject": "Ihr Anmeldecode für das Kundenportal",
        "sign_in_code": "Ihr Anmeldecode lautet:",
        "sign_in_validity": (
            "Er ist $minutes Minuten gültig. Sie können sich auch über diesen Link anmelden:"
        ),
        "sign_in_action": "Anmelden",
        "sign_in_why": (
            "Jemand wollte sich mit dieser Adresse im Kundenportal anmelden. Wenn Sie das nicht "
            "waren, ignorieren Sie diese E-Mail: Ohne den Code kann sich niemand anmelden."
        ),
        "link_subject": "Ihr Anmeldelink für das Kundenportal",
        "link_intro": (
            "Melden Sie sich mit diesem Link im Kundenportal an. Er funktioniert einmal, "
            "$minutes Minuten lang:"
        ),
        "link_why": (
            "Jemand hat für diese Adresse einen Anmeldelink zum Kundenportal angefordert. Wenn "
            "Sie das nicht waren, ignorieren Sie diese E-Mail: Ohne den Link kann sich niemand "
            "anmelden."
        ),
    },
    "fr": {
        "brand": "Portail client",
        "colon": "\u00a0:",
        "greeting": "Bonjour $name,",
        "greeting_anonymous": "Bonjour,",
        "footer_portal": "Vos licences, supports et commandes\u00a0: $portal",
        "footer_support": "Des questions\u00a0? Écrivez à $support.",
        "reminder_subject_ends": "Vos services de mise à jour et support prennent fin le $date",
        "reminder_subject_ended": "Vos services de mise à jour et support ont pris fin le $date",
        "reminder_ends": (
            "Les services de mise à jour et support ci-dessous prennent fin dans $days jours, le "
            "$date. Renouvelez-les à temps pour continuer à recevoir les mises à jour et "
            "l'assistance technique."
        ),
        "reminder_ends_tomorrow": (
            "Les services de mise à jour et support ci-dessous prennent fin demain, le $date. "
            "Renouvelez-les à temps pour continuer à recevoir les mises à jour et l'assistance "
            "technique."
        ),
        "reminder_ended": (
            "Les services de mise à jour et support ci-dessous ont pris fin le $date. "
            "Renouvelez-les pour recevoir à nouveau les mises à jour et l'assistance technique."
        ),
        "column_software": "Logiciel",
        "column_serial": "Numéro de série / ordinateur",
        "column_users": "Utilisateurs",
        "column_edition": "Édition",
        "column_ends": "Date de fin",
        "reminder_action": "Renouveler maintenant",
        "reminder_why": (
            "Vous recevez ce rappel parce que des services de mise à jour et support à votre nom "
            "arrivent à échéance."
        ),
        "reminder_unsubscribe": "Ne plus recevoir ces rappels",
        "activation_subject_activated": "Licence $software $serial activée sur $computer",
        "activation_subject_released": "Licence $software $serial libérée de $computer",
        "activation_activated": (
            "Votre licence $software $serial a été activée sur l'ordinateur $computer le $when."
        ),
        "activation_released": (
            "Votre licence $software $serial a été libérée de l'ordinateur $computer le $when."
        ),
        "activation_not_you": (
            "Ce n'était pas vous\u00a0? Consultez l'historique de la licence dans le portail et "
            "libérez-la de cet ordinateur."
        ),
        "activation_action": "Voir la licence",
        "activation_why": (
            "Nous vous prévenons chaque fois qu'une de vos licences est activée sur un nouvel "
            "ordinateur ou libérée d'un ordinateur."
        ),
        "sign_in_subject": "Votre code de connexion au Portail client",
        "sign_in_code": "Votre code de connexion\u00a0:",
        "sign_in_validity": (
            "Il est valable $minutes minutes. Vous pouvez aussi vous connecter avec ce lien\u00a0:"
        ),
        "sign_in_action": "Se connecter",
        "sign_in_why": (
            "Quelqu'un a demandé à se connecter au Portail client avec cette adresse. Si ce "
            "n'était pas vous, ignorez cet e-mail\u00a0: personne ne peut se connecter sans "
            "le code."
        ),
        "link_subject": "Votre lien de connexion au Portail client",
        "link_intro": (
            "Connectez-vous au Portail client avec ce lien. Il fonctionne une fois, pendant "
            "$minutes minutes\u00a0:"
        ),
        "link_why": (
            "Quelqu'un a demandé un lien de connexion au Portail client pour cette adresse. Si "
            "ce n'était pas vous, ignorez cet e-mail\u00a0: personne ne peut se connecter sans "
            "le lien."
        ),
    },
}
