#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A local OpenID provider for the sign-in tests, shaped like ORCID's:
# /oauth/authorize (signs the "user" in at once and redirects back with a
# code), /oauth/token (client_secret_post; returns an id_token signed RS256),
# /oauth/jwks. POST /control {"mode": ...} makes the next id_tokens flawed:
# good, forged, none, hs256, wrong_aud, expired, no_exp, wrong_nonce, bad_sub,
# wrong_iss. Keys are PEM files made by the test with openssl.
# Usage: oidc_provider.py PORT KEY.pem OTHER_KEY.pem CLIENT_ID SECRET_FILE SUB
import base64, hashlib, hmac, json, secrets, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

port, key_file, other_file, client_id, secret_file, subject = sys.argv[1:7]
issuer = f"http://127.0.0.1:{port}"
key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
other = serialization.load_pem_private_key(open(other_file, "rb").read(), None)
secret = open(secret_file).read().strip()
state = {"mode": "good", "codes": {}, "token_requests": 0}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n):
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def id_token(nonce):
    mode = state["mode"]
    now = int(time.time())
    claims = {"iss": issuer, "aud": client_id, "sub": subject, "iat": now, "exp": now + 600,
              "auth_time": now, "nonce": nonce, "jti": secrets.token_hex(8)}
    if mode == "wrong_aud":
        claims["aud"] = "APP-SOMEONE-ELSE"
    if mode == "expired":
        claims["iat"], claims["exp"] = now - 7200, now - 3600
    if mode == "no_exp":
        del claims["exp"]
    if mode == "wrong_nonce":
        claims["nonce"] = "n-" + secrets.token_hex(8)
    if mode == "bad_sub":
        claims["sub"] = "0000-0002-1825-0098"
    if mode == "wrong_iss":
        claims["iss"] = "https://orcid.org"
    header = {"alg": "RS256", "kid": "test-key-1", "typ": "JWT"}
    if mode == "none":
        header = {"alg": "none", "kid": "test-key-1"}
    if mode == "hs256":
        header = {"alg": "HS256", "kid": "test-key-1"}
    signing_input = (b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())).encode()
    if mode == "none":
        sig = b""
    elif mode == "hs256":
        # The classic confusion: HMAC keyed with the RSA public key (PEM).
        pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        sig = hmac.new(pub, signing_input, hashlib.sha256).digest()
    elif mode == "forged":
        sig = other.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode() + "." + b64(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/oauth/jwks":
            pub = key.public_key().public_numbers()
            jwk = {"kty": "RSA", "e": int_b64(pub.e), "use": "sig", "kid": "test-key-1", "alg": "RS256",
                   "n": int_b64(pub.n)}
            return self.reply(200, json.dumps({"keys": [jwk]}))
        if url.path == "/oauth/authorize":
            problems = [k for k in ("client_id", "redirect_uri", "state", "nonce") if not q.get(k)]
            if problems or q.get("response_type") != "code" or q.get("scope") != "openid" \
                    or q.get("client_id") != client_id:
                return self.reply(400, json.dumps({"error": "invalid_request", "missing": problems}))
            code = secrets.token_urlsafe(6)
            state["codes"][code] = {"nonce": q["nonce"], "redirect_uri": q["redirect_uri"]}
            target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
            return self.reply(302, "", "text/plain", [("Location", target)])
        if url.path == "/control":
            return self.reply(200, json.dumps({"mode": state["mode"], "token_requests": state["token_requests"]}))
        return self.reply(404, "{}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        if self.path == "/control":
            state["mode"] = json.loads(body)["mode"]
            return self.reply(200, "{}")
        if self.path != "/oauth/token":
            return self.reply(404, "{}")
        state["token_requests"] += 1
        f = dict(urllib.parse.parse_qsl(body))
        if f.get("client_id") != client_id or f.get("client_secret") != secret:
            return self.reply(401, json.dumps({"error": "invalid_client"}))
        grant = state["codes"].pop(f.get("code", ""), None)
        if f.get("grant_type") != "authorization_code" or grant is None \
                or grant["redirect_uri"] != f.get("redirect_uri"):
            return self.reply(400, json.dumps({"error": "invalid_grant"}))
        return self.reply(200, json.dumps({
            "access_token": secrets.token_hex(16), "token_type": "bearer", "expires_in": 600,
            "scope": "openid", "name": "Josiah Carberry", "orcid": subject,
            "id_token": id_token(grant["nonce"])}))


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
