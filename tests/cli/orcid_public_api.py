#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A stand-in for ORCID's public API (v3.0) on 127.0.0.1, for the tests:
# GET /v3.0/<iD>/person answers the document of that iD from a JSON file
# ({"<iD>": document | {"status": N, "body": "..."}}), 404 for any other iD.
# Each request is appended to a log file (path and Accept header).
#   orcid_public_api.py PORT PEOPLE.json REQUESTS.log
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
PEOPLE = json.load(open(sys.argv[2], encoding="utf-8"))
LOG = sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json;charset=UTF-8"):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "accept": self.headers.get("Accept", "")}) + "\n")
        parts = self.path.split("/")
        if len(parts) != 4 or parts[0] != "" or parts[1] != "v3.0" or parts[3] != "person":
            return self.answer(404, '{"error-code": 9999}')
        if "application/json" not in self.headers.get("Accept", ""):
            return self.answer(406, "<error/>", "application/xml")
        doc = PEOPLE.get(parts[2])
        if doc is None:
            return self.answer(404, '{"response-code": 404, "developer-message": "Not found"}')
        if isinstance(doc, dict) and "status" in doc:
            return self.answer(doc["status"], doc.get("body", ""))
        if isinstance(doc, str):
            return self.answer(200, doc)
        return self.answer(200, json.dumps(doc))


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
