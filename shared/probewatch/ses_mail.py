"""Raw mail out through SES v2: abuse reports (sending) and mail to reporters (reporter_mail)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from probewatch.aws_clients import aws_client


def send_raw_email(
    raw: bytes,
    *,
    sender: str,
    recipients: Sequence[str] | None = None,
    configuration_set: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Send a complete message; returns SES's MessageId.

    Without `recipients` SES takes them from the message's own headers. `tags` come back in
    the configuration set's bounce, complaint and delivery events. SES errors propagate as
    botocore's ClientError / BotoCoreError: the caller decides what is worth a retry.
    """
    request: dict[str, Any] = {"FromEmailAddress": sender, "Content": {"Raw": {"Data": raw}}}
    if recipients is not None:
        request["Destination"] = {"ToAddresses": list(recipients)}
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    if tags:
        request["EmailTags"] = [{"Name": name, "Value": value} for name, value in tags.items()]
    return str(aws_client("sesv2").send_email(**request)["MessageId"])
