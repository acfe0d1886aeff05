"""The Customer Portal's domain code (the shared layer). Importing it first pauses the garbage
collector for a Lambda cold start (portal/startup.py)."""

from portal import startup as _startup  # noqa: F401
