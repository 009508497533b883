"""probewatch: forwarded firewall alerts in, polite one-source abuse reports out."""

__version__ = "0.1.0"
