"""probewatch: turn forwarded firewall alerts into polite abuse reports.

The command is a dispatcher; each subcommand lives in its own cli_*.py module. Subcommand modules are imported only when chosen, so `probewatch parse` never pays for
moto or ipwhois. Each module exposes `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from probewatch.cli_errors import EXIT_ERROR, EXIT_INTERRUPTED, explain

SUBCOMMANDS = {
    "parse": ("probewatch.cli_parse", "parse firewall logs or .eml files into events"),
    "backtrace": ("probewatch.cli_backtrace", "find who is responsible for source IPs"),
    "demo": ("probewatch.local.demo", "run the whole pipeline on the local stack"),
    "reporters": ("probewatch.cli_reporters", "manage reporters (add, list, set, remove)"),
    "suppress": ("probewatch.cli_mailboxes", "never mail a report mailbox again"),
    "unsuppress": ("probewatch.cli_mailboxes", "lift a mailbox suppression"),
    "optout": ("probewatch.cli_mailboxes", "networks/domains that get no reports (add, list)"),
    "xarf": ("probewatch.cli_mailboxes", "mailboxes/domains that get a XARF attachment"),
    "incidents": ("probewatch.cli_incidents", "one incident's evidence, status and history"),
    "dlq": ("probewatch.cli_dlq", "inspect and replay dead-letter queues"),
}


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. An error is one line on stderr (what is wrong, how to fix it) and
    exit code 1; `--debug`, anywhere on the line, shows the traceback instead."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        if debug:
            raise
        print("probewatch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        command = argv[0] if argv and argv[0] in SUBCOMMANDS else ""
        print(explain(exc, command), file=sys.stderr)
        return EXIT_ERROR


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line too: what is wrong, and where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _dispatch(argv: list[str]) -> int:
    top = _Parser(
        prog="probewatch",
        description=__doc__.splitlines()[0],
        epilog="Add --debug to any command to see the full traceback of an error.",
    )
    subs = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_module, help_text) in SUBCOMMANDS.items():
        subs.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        top.parse_args(argv)  # prints help or the error and exits
        return 2
    name = argv[0]
    module = importlib.import_module(SUBCOMMANDS[name][0])
    parser = _Parser(prog=f"probewatch {name}", description=SUBCOMMANDS[name][1])
    module.add_arguments(parser, name) if _takes_name(module) else module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    args.command = name
    return int(module.run(args) or 0)


def _takes_name(module: object) -> bool:
    """Modules serving several subcommands (suppress/unsuppress) get the name too."""
    return getattr(module, "SERVES_SEVERAL", False)


if __name__ == "__main__":
    sys.exit(main())
