# SPDX-License-Identifier: Apache-2.0
"""A second S3 client for the replication tests (boto3, run with the Python
that has moto): set up a user, key and bucket on a moto server started with
INITIAL_NO_AUTH_ACTION_COUNT=4, and inspect or damage objects.

usage: s3_tool.py ENDPOINT BUCKET CMD ARGS...
  setup OUTDIR            create user, key (OUTDIR/s3.access, s3.secret, 0600), policy, bucket
  sums PREFIX             print "sha256  key-below-prefix" of every object but temporaries, sorted
  temps PREFIX            print the number of objects under PREFIX/.hemera-tmp/
  put KEY FILE            write an object (no checksum headers), as a foreign client would
  put-forged KEY FILE SHA256
                          write an object declaring the given SHA-256 (hex) as its stored
                          checksum and x-amz-meta-sha256, whatever its content (a forgery)
  exists KEY              exit 0 if the object exists, else 1
  rm KEY                  delete an object
  uploads PREFIX          print "<key below PREFIX> <parts>" for each unfinished multipart upload
  start-upload KEY SIZE   leave an unfinished multipart upload of KEY with one part of SIZE bytes
Keys for the commands other than setup come from $S3_KEYS (the OUTDIR of setup).
"""
import base64
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config


def client(endpoint, service, keys=None):
    if keys is None:
        access, secret = "AKIASETUP0000000000", "setup-secret"
    else:
        access = open(os.path.join(keys, "s3.access")).read().strip()
        secret = open(os.path.join(keys, "s3.secret")).read().strip()
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def main():
    endpoint, bucket, cmd = sys.argv[1:4]
    args = sys.argv[4:]
    if cmd == "setup":
        out = args[0]
        iam = client(endpoint, "iam")
        iam.create_user(UserName="hemera")
        key = iam.create_access_key(UserName="hemera")["AccessKey"]
        iam.put_user_policy(UserName="hemera", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        old = os.umask(0o077)
        with open(os.path.join(out, "s3.access"), "w") as f:
            f.write(key["AccessKeyId"] + "\n")
        with open(os.path.join(out, "s3.secret"), "w") as f:
            f.write(key["SecretAccessKey"] + "\n")
        os.umask(old)
        client(endpoint, "s3", out).create_bucket(Bucket=bucket)
        return 0
    s3 = client(endpoint, "s3", os.environ["S3_KEYS"])
    if cmd in ("sums", "temps"):
        prefix = args[0].rstrip("/") + "/"
        keys = []
        # moto 5.2 rejects the signature of a listing whose prefix holds "/"
        # (boto3 sends it as %2F): list by the bare name and filter.
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.split("/")[0]):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].startswith(prefix)]
        temps = [k for k in keys if k.startswith(prefix + ".hemera-tmp/")]
        if cmd == "temps":
            print(len(temps))
            return 0
        lines = []
        for k in keys:
            if k in temps:
                continue
            body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
            lines.append(hashlib.sha256(body).hexdigest() + "  " + k[len(prefix):])
        print("\n".join(sorted(lines, key=lambda l: l[66:])))
        return 0
    if cmd == "put":
        with open(args[1], "rb") as f:
            s3.put_object(Bucket=bucket, Key=args[0], Body=f.read())
        return 0
    if cmd == "put-forged":
        digest = bytes.fromhex(args[2])
        with open(args[1], "rb") as f:
            s3.put_object(Bucket=bucket, Key=args[0], Body=f.read(), ChecksumAlgorithm="SHA256",
                          ChecksumSHA256=base64.b64encode(digest).decode(),
                          Metadata={"sha256": args[2]})
        head = s3.head_object(Bucket=bucket, Key=args[0], ChecksumMode="ENABLED")
        if head.get("ChecksumSHA256") != base64.b64encode(digest).decode():
            print("the server did not keep the forged checksum", file=sys.stderr)
            return 1
        return 0
    if cmd == "exists":
        try:
            s3.head_object(Bucket=bucket, Key=args[0])
            return 0
        except Exception:
            return 1
    if cmd == "rm":
        s3.delete_object(Bucket=bucket, Key=args[0])
        return 0
    if cmd == "uploads":
        prefix = args[0].rstrip("/") + "/"
        for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            if u["Key"].startswith(prefix):
                parts = s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]).get("Parts", [])
                print("%s %d" % (u["Key"][len(prefix):], len(parts)))
        return 0
    if cmd == "start-upload":
        up = s3.create_multipart_upload(Bucket=bucket, Key=args[0])
        s3.upload_part(Bucket=bucket, Key=args[0], UploadId=up["UploadId"], PartNumber=1,
                       Body=os.urandom(int(args[1])))
        return 0
    print("unknown command " + cmd, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
