"""The laptop side: Flask shim, SQS poller, emulator bootstrap and the ``greenscreen`` CLI.

Nothing in ``service/`` imports from here; this package only feeds the same handlers the events
API Gateway and the SQS event source mapping would.
"""
