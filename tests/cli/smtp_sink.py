# SPDX-License-Identifier: Apache-2.0
"""An SMTP sink for the alert tests (Debian's python3-aiosmtpd, loopback only).

usage: smtp_sink.py PORT OUTDIR [CERT KEY]
Each message received is written to OUTDIR/<n>.eml, with OUTDIR/<n>.json
holding the envelope (mail_from, rcpt_tos) and whether STARTTLS was in force.
With CERT and KEY the server offers STARTTLS and refuses mail without it.
Writes OUTDIR/ready once listening; runs until killed.
"""
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.outdir, "%d" % n)
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None}
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.part", base + ".eml")
        return "250 Message accepted"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    kwargs = {}
    if len(sys.argv) > 4:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        kwargs = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(Sink(outdir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    open(os.path.join(outdir, "ready"), "w").close()
    threading.Event().wait()


if __name__ == "__main__":
    main()
