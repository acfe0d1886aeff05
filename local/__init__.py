"""The local stack: the whole portal on one machine, no AWS account and no Docker (`make run`).

aws.py (moto + tables + secrets), api.py (SAM CLI's API emulator), runner.py (handlers in-process),
environment.py (their variables), web.py (web/ on the same origin), stack.py (LocalStack, for tests
and run.py), run.py (the command).
"""
