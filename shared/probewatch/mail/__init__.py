"""Inbound email: MIME -> candidate texts, the authenticated reporter, and receipt time.

`probewatch.mail.inbound.read_email(raw, limits)` is the entry point; the sibling modules
each hold one concern (auth verdicts, limits, charsets, HTML, archives, forward headers).
"""
