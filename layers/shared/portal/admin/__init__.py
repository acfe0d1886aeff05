"""What the vendor's support team does from a terminal (`bin/portal-admin`, the `admin` package):
the domain side of each command, writing through `portal.data` like every other change, each
change with its audit entry (`portal.data.audit`) in the same transaction.

- `customers`: find a customer by email or order number.
- `lookup`: what the portal shows one customer and what happened to it (`portal-admin lookup`).
- `licenses`: revoke, restore, release beyond the 12-month limit; `reminders`: resend a reminder.
- `upgrades`: the held upgrades, approved or rejected; `rotation`: the webhook secret and the
  signing keys.
- `refusals`: `Refused` (exit code 1: nothing written) and the checks of what the operator typed.
"""
