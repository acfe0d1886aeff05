"""The local stack: the whole portal on one machine, no AWS account and no Docker (`make run`).

aws.py (moto + tables + secrets), api.py (SAM CLI's API emulator), runner.py (handlers in-process),
environment.py (their variables), web.py (web/ on the same origin), stack.py (LocalStack, for tests
and run.py), run.py (the command), fastspring.py (FastSpring's side of the webhook), demo_data.py.

Importing this package puts layers/shared (the portal package, as Lambda's layer provides it) on
sys.path, so every `python -m local.<module>` works from the project root as the README writes
it, without PYTHONPATH. Nothing else happens at import.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parents[1] / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
