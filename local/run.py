"""`python -m local.run` (from the repository root): the whole portal at http://127.0.0.1:3000.

--port (or the PORT variable) changes the port; the FastSpring stand-in (checkout pages, sessions
and events API) listens on the next one (3001). Writes .local/stack.json and the product's key
file .local/activation-keys.json (local/stack.py), prints the demo sign-ins and activation keys
(local/demo_data.py) and the local mailbox's address (/_mailbox/), where sign-in codes appear,
then serves until Ctrl-C or SIGTERM, shuts moto and the HTTP server down cleanly and removes
.local/stack.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import warnings
from typing import Any

from local import mailbox
from local.stack import LocalStack


def _quiet_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    logging.getLogger("samcli").setLevel(logging.ERROR)  # "Lambda returned empty body!" etc.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.run",
        description="The whole portal on this machine (local AWS, API, web/, demo data).",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 3000),
        help="default: PORT or 3000",
    )
    port = parser.parse_args(argv).port
    _quiet_logging()
    stopping = threading.Event()

    def on_sigterm(*_: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with LocalStack(port=port) as stack:
            stack_file = stack.write_stack_file()
            print(f"Customer Portal running at {stack.base_url}", flush=True)
            print(f"FastSpring stand-in (checkout, sessions API) at {stack.fastspring_url}")
            if stack.sign_ins:
                print("Demo sign-ins (email / order number / activation key):")
                for sign_in in stack.sign_ins:
                    key = sign_in.get("activationKey") or "(none yet)"
                    print(
                        f"  {sign_in['name']}: {sign_in['email']} / {sign_in['orderNumber']}"
                        f" / {key}"
                    )
            print(f"Mail the portal sends (local SES): {stack.base_url}{mailbox.PATH}/")
            print(
                "Signing in from a new browser mails a 6-digit code (verified sign-in): "
                f"read it in the local mailbox, {stack.base_url}{mailbox.PATH}/"
            )
            print(f"Local commands find this stack through {stack_file}.")
            print("Play the product: make activate COMPUTER=SRV-TEST-01")
            print("Press Ctrl-C to stop.", flush=True)
            try:
                while not stopping.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt
            print("Stopping...", flush=True)
            stack_file.unlink(missing_ok=True)  # no stale pointer to a stopped stack
    except KeyboardInterrupt:  # Ctrl-C while starting
        return 130
    except OSError as exc:
        print(f"Cannot start the local stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
