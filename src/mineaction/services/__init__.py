"""The application layer: every use case of mineaction, called alike by the command line, the
HTTP API and the web UI.

Each service is a function taking a :class:`~mineaction.services.context.Context` first (the
store, who acts, their language, the clock, the settings) and plain values or records after it;
it returns results and :class:`~mineaction.errors.Problem` codes, never text for a screen.
Reading a file is a step before a service, not part of it.
"""
