"""The one Logger and Metrics everything imports (X-Ray tracing is on in the template)."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="probewatch")
metrics = Metrics(namespace="probewatch", service="probewatch")
