# SPDX-License-Identifier: Apache-2.0
"""A local stand-in for the part of DataCite's REST API hemera-doi uses.

PUT /dois/{prefix}/{suffix} creates or updates (201 / 200), GET /dois/{doi}
reads; HTTP Basic with one repository id and password (401 otherwise, 403
for a prefix the repository does not own); states draft -> registered ->
findable with the events publish, register and hide (a findable or
registered DOI never returns to draft); the base64 `xml` attribute is
validated against the DataCite kernel-4 XSD (422 with the schema's messages,
one error per problem, as DataCite's {"errors":[{"source","title"}]}).

Test controls, read from files in the state directory before each request:
  drop      exists: close the next connection without answering (then removed)
  status    holds a number, or {"status": N, "errors": [...]}: answer every
            request with that HTTP status (and those errors)
Every request is appended to requests.jsonl (method, path, status, auth ok),
and every XML document accepted or refused is kept as xml-<n>.xml.

Usage: datacite_server.py PORT STATE_DIR XSD REPOSITORY_ID PASSWORD_FILE PREFIX
"""
import base64
import binascii
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lxml import etree

PORT, STATE, XSD, REPO, PASSWORD_FILE, PREFIX = sys.argv[1:7]
SCHEMA = etree.XMLSchema(etree.parse(XSD))
NS = "{http://datacite.org/schema/kernel-4}"
DOIS = {}
LOCK = threading.Lock()
COUNTER = [0]


def log(entry):
    with open(os.path.join(STATE, "requests.jsonl"), "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.api+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log({"method": self.command, "path": self.path, "status": status})

    def errors(self, status, items):
        self.reply(status, {"errors": items})

    def controlled(self):
        drop = os.path.join(STATE, "drop")
        if os.path.exists(drop):
            os.unlink(drop)
            log({"method": self.command, "path": self.path, "status": "dropped"})
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        status = os.path.join(STATE, "status")
        if os.path.exists(status):
            forced = json.loads(open(status).read())
            if isinstance(forced, int):
                forced = {"status": forced, "errors": [{"status": str(forced), "title": "Forced by the test."}]}
            self.errors(forced["status"], forced["errors"])
            return True
        return False

    def authorised(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == REPO and password == open(PASSWORD_FILE).read().strip()

    def doi_of_path(self):
        m = re.fullmatch(r"/dois/(10\.\d{4,9}/[-._;()/:a-zA-Z0-9]+)", self.path)
        return m.group(1).lower() if m else None

    def record(self, doi):
        d = DOIS[doi]
        return {"data": {"id": doi, "type": "dois",
                         "attributes": {"doi": doi, "state": d["state"], "url": d.get("url"),
                                        "xml": d.get("xml"), "created": d["created"],
                                        "updated": d["updated"]}}}

    def do_GET(self):
        if self.controlled():
            return
        doi = self.doi_of_path()
        if doi is None:
            return self.errors(404, [{"status": "404", "title": "The resource you are looking for doesn't exist."}])
        if not self.authorised():
            return self.errors(401, [{"status": "401", "title": "Bad credentials."}])
        with LOCK:
            if doi not in DOIS:
                return self.errors(404, [{"status": "404", "title": "The resource you are looking for doesn't exist."}])
            return self.reply(200, self.record(doi))

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.controlled():
            return
        doi = self.doi_of_path()
        if doi is None:
            return self.errors(404, [{"status": "404", "title": "The resource you are looking for doesn't exist."}])
        if not self.authorised():
            return self.errors(401, [{"status": "401", "title": "Bad credentials."}])
        if not doi.startswith(PREFIX.lower() + "/"):
            return self.errors(403, [{"status": "403", "title": "You are not authorized to access this resource."}])
        if self.headers.get("Content-Type") != "application/vnd.api+json":
            return self.errors(415, [{"status": "415", "title": "Unsupported media type."}])
        try:
            body = json.loads(raw)
            attrs = body["data"]["attributes"]
            assert body["data"]["type"] == "dois"
        except (ValueError, KeyError, TypeError, AssertionError):
            return self.errors(400, [{"status": "400", "title": "Error occurred while parsing request parameters."}])
        problems = []
        xml_b64 = attrs.get("xml")
        if xml_b64 is not None:
            COUNTER[0] += 1
            try:
                xml = base64.b64decode(xml_b64, validate=True)
            except binascii.Error:
                return self.errors(400, [{"status": "400", "title": "xml is not base64."}])
            with open(os.path.join(STATE, "xml-%d.xml" % COUNTER[0]), "wb") as f:
                f.write(xml)
            try:
                doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
                if not SCHEMA.validate(doc):
                    for e in SCHEMA.error_log:
                        problems.append({"source": "xml", "uid": doi, "title": "Line %d: %s" % (e.line, e.message)})
                ident = doc.find(NS + "identifier")
                if ident is not None and (ident.text or "").lower() != doi:
                    problems.append({"source": "doi", "uid": doi,
                                     "title": "The identifier %s does not match the DOI" % ident.text})
            except etree.XMLSyntaxError as e:
                problems.append({"source": "xml", "uid": doi, "title": "Not well-formed: %s" % e})
        event = attrs.get("event")
        if event not in (None, "publish", "register", "hide"):
            problems.append({"source": "event", "uid": doi, "title": "Unknown event %s" % event})
        with LOCK:
            current = DOIS.get(doi)
            state = current["state"] if current else "draft"
            target = {"publish": "findable", "register": "registered", "hide": "registered", None: state}.get(event, state)
            if event == "hide" and state != "findable":
                problems.append({"source": "event", "uid": doi, "title": "Only a findable DOI can be hidden"})
            if event == "register" and state == "findable":
                problems.append({"source": "event", "uid": doi, "title": "A findable DOI cannot be registered"})
            url = attrs.get("url", current.get("url") if current else None)
            if target in ("registered", "findable"):
                if not url:
                    problems.append({"source": "url", "uid": doi, "title": "Can't be blank"})
                if xml_b64 is None and not (current and current.get("xml")):
                    problems.append({"source": "xml", "uid": doi, "title": "Can't be blank"})
            if problems:
                return self.errors(422, problems)
            now = "2026-11-26T12:00:00Z"
            rec = current or {"created": now}
            rec.update({"state": target, "updated": now})
            if url:
                rec["url"] = url
            if xml_b64 is not None:
                rec["xml"] = xml_b64
            DOIS[doi] = rec
            return self.reply(200 if current else 201, self.record(doi))


server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
with open(os.path.join(STATE, "ready"), "w") as f:
    f.write("ready\n")
server.serve_forever()
