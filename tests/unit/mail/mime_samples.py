"""The UFW lines every MIME fixture in tests/fixtures/mail embeds (see the fixtures' bodies)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"


def ufw_line(n: int) -> str:
    """Line n (0-5) of the fixtures: source 45.155.205.(10+n), destination port 3389+n."""
    return (
        f"Nov 24 14:0{n}:1{n} gw kernel: [UFW BLOCK] IN=eth0 OUT= "
        "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
        f"SRC=45.155.205.{10 + n} DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=243 "
        f"ID={54000 + n} PROTO=TCP SPT=49152 DPT={3389 + n} WINDOW=1024 RES=0x00 SYN URGP=0"
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
