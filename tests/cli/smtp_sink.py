# SPDX-License-Identifier: Apache-2.0
"""An SMTP sink for the alert tests (Debian's python3-aiosmtpd, loopback only).

usage: smtp_sink.py [--auth USER PASSWORD_FILE] PORT OUTDIR [CERT KEY]
Each message received is written to OUTDIR/<n>.eml, with OUTDIR/<n>.json
holding the envelope (mail_from, rcpt_tos), whether STARTTLS was in force
and the login that authenticated (null without AUTH).
With CERT and KEY the server offers STARTTLS and refuses mail without it.
With --auth the server requires AUTH (PLAIN or LOGIN, allowed without TLS
since it listens on loopback only) and accepts only USER with the password
held in PASSWORD_FILE; each attempt is appended to OUTDIR/auth.log as
"<login> ok|refused" (never the password).
Writes OUTDIR/ready once listening; runs until killed.
"""
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.lock = threading.Lock()
        self.login = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.outdir, "%d" % n)
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "login": self.login if session.authenticated else None}
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.part", base + ".eml")
        return "250 Message accepted"


class Authenticator:
    def __init__(self, sink, user, password):
        self.sink, self.user, self.password = sink, user, password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode("utf-8", "replace")
        ok = login == self.user and auth_data.password.decode("utf-8", "replace") == self.password
        with open(os.path.join(self.sink.outdir, "auth.log"), "a") as f:
            f.write("%s %s %s\n" % (login, mechanism, "ok" if ok else "refused"))
        if ok:
            self.sink.login = login
        return AuthResult(success=ok, handled=False)


def main():
    args = sys.argv[1:]
    auth = None
    if args[:1] == ["--auth"]:
        with open(args[2]) as f:
            auth = (args[1], f.read().rstrip("\n"))
        args = args[3:]
    port, outdir = int(args[0]), args[1]
    sink = Sink(outdir)
    kwargs = {}
    if len(args) > 3:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args[2], args[3])
        kwargs = {"tls_context": ctx, "require_starttls": True}
    if auth:
        kwargs.update(authenticator=Authenticator(sink, *auth), auth_required=True,
                      auth_require_tls=False)
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    open(os.path.join(outdir, "ready"), "w").close()
    threading.Event().wait()


if __name__ == "__main__":
    main()
