#!/usr/bin/env python3
"""Refresh the recordings of the conformance tier (not run by the tests).

Reads one VCR cassette of pydantic-ai (YAML) or one chunks file of the Vercel
AI SDK (one JSON event per line) and writes it as the JSON the tier reads:

  {"source": {...}, "interactions": [
     {"method", "path", "request" (the recorded body or null), "status",
      "sse": the recorded event-stream bytes, verbatim   -- or --
      "json": the recorded JSON body (cassettes keep it parsed: key order lost) -- or --
      "chunks": the recorded lines of one stream of a chunks file, verbatim}]}

usage: extract.py cassette FILE.yaml OUT.json REPO PATH COMMIT LICENCE
       extract.py chunks FILE.txt OUT.json REPO PATH COMMIT LICENCE
Needs PyYAML for cassettes. Strings are copied exactly; nothing is edited.
"""
import json
import sys
from urllib.parse import urlsplit


def main():
    kind, src, out, repo, path, commit, licence = sys.argv[1:8]
    source = {"repo": repo, "path": path, "commit": commit, "licence": licence}
    interactions = []
    if kind == "cassette":
        import yaml
        with open(src, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for it in doc["interactions"]:
            rq, rs = it["request"], it["response"]
            u = urlsplit(rq["uri"])
            one = {"method": rq["method"],
                   "path": u.path + ("?" + u.query if u.query else ""),
                   "request": rq.get("parsed_body"),
                   "status": rs["status"]["code"]}
            body = rs.get("body", {}).get("string") if "body" in rs else None
            if body is not None:
                one["sse"] = body
            else:
                one["json"] = rs.get("parsed_body")
            interactions.append(one)
    elif kind == "chunks":
        # one interaction per stream: a chunks file of a multi-step test holds
        # several streams one after the other, each from its response.created
        with open(src, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        streams = []
        for line in lines:
            if not line.strip():
                continue
            if not streams or json.loads(line).get("type") == "response.created":
                streams.append("")
            streams[-1] += line
        for text in streams:
            interactions.append({"method": "POST", "path": "/v1/responses", "request": None,
                                 "status": 200, "chunks": text})
    else:
        sys.exit("kind must be cassette or chunks")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"source": source, "interactions": interactions}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
