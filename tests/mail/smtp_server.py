"""An SMTP server for the mail tests: aiosmtpd with a handler that stores
what it receives and answers as a script says.

Run as
    /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_server.Handler DIR [REPLIES]
with this folder on PYTHONPATH. REPLIES is a comma-separated list of reply
codes for successive messages (at DATA), the last one repeating: "250" (the
default) accepts every message, "421,250" refuses the first one with a
temporary error and accepts the rest, "550" refuses every message for good.

For each message it answers at DATA it appends the code to DIR/replies.log.
For each message it accepts it writes, under DIR, NNNN.eml (the bytes as
received) and NNNN.json (the envelope and the message as Python's email
package reads it: decoded headers, and each part's type, charset, transfer
encoding and decoded text), each first to a temporary name and then renamed,
so that a reader never sees half a file.
"""

import json
import os
from email import policy
from email.parser import BytesParser
from pathlib import Path


def _write_atomically(path, data):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _describe(raw, envelope):
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = message["From"]
    summary = {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "headers": {name: str(value) for name, value in message.items()},
        "from_name": sender.addresses[0].display_name if sender else None,
        "from_address": sender.addresses[0].addr_spec if sender else None,
        "content_type": message.get_content_type(),
        "defects": [repr(defect) for defect in message.defects],
        "parts": [],
    }
    if message.is_multipart():
        for part in message.iter_parts():
            summary["defects"] += [repr(defect) for defect in part.defects]
            summary["parts"].append(
                {
                    "content_type": part.get_content_type(),
                    "charset": part.get_content_charset(),
                    "transfer_encoding": part.get("Content-Transfer-Encoding"),
                    "content": part.get_content(),
                }
            )
    return summary


class Handler:
    def __init__(self, directory, replies="250"):
        self.directory = Path(directory)
        self.replies = [int(code) for code in replies.split(",")]
        self.seen = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) not in (1, 2):
            parser.error("smtp_server.Handler takes DIR [REPLIES]")
        return cls(*args)

    async def handle_DATA(self, server, session, envelope):
        code = self.replies[min(self.seen, len(self.replies) - 1)]
        self.seen += 1
        with open(self.directory / "replies.log", "a") as log:
            log.write(f"{code}\n")
        if 400 <= code < 500:
            return f"{code} 4.3.0 try again later (test server)"
        if code >= 500:
            return f"{code} 5.7.1 message refused (test server)"
        raw = envelope.original_content
        name = f"{self.seen:04d}"
        summary = _describe(raw, envelope)
        _write_atomically(self.directory / f"{name}.eml", raw)
        _write_atomically(self.directory / f"{name}.json", json.dumps(summary).encode())
        return "250 2.0.0 OK: queued (test server)"
