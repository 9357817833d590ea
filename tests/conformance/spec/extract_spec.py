#!/usr/bin/env python3
"""Extract, from the OpenAI OpenAPI spec, the required keys of every
Responses stream event and output item type respmock emits, into
spec_shapes.json beside this script (tests/conformance/test_conformance.c,
test "spec", checks respmock's streams and bodies against it).

Usage: extract_spec.py /path/to/openapi.yaml > spec_shapes.json

For each schema under components.schemas whose "type" property is a
one-value enum, the value is the type, its "required" list the keys. Events
are the members of ResponseStreamEvent; items the members of OutputItem,
plus the compaction body (CompactResource) and its output items (ItemField).
Nothing else of the spec is copied."""
import json
import sys

import yaml


def const_type(schema):
    t = (schema.get("properties") or {}).get("type") or {}
    enum = t.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def members(schemas, name):
    s = schemas[name]
    out = []
    for alt in s.get("anyOf") or s.get("oneOf") or []:
        ref = alt.get("$ref")
        if ref:
            out.append(ref.rsplit("/", 1)[1])
    return out


def shapes(schemas, names):
    got = {}
    for n in names:
        s = schemas.get(n) or {}
        t = const_type(s)
        if t and t not in got:
            got[t] = {"schema": n, "required": sorted(s.get("required") or [])}
    return dict(sorted(got.items()))


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    schemas = spec["components"]["schemas"]
    out = {
        "source": "openapi.yaml of ../shared/spec (components.schemas); see SOURCES",
        "events": shapes(schemas, members(schemas, "ResponseStreamEvent")),
        "items": shapes(schemas, members(schemas, "OutputItem") + members(schemas, "ItemField")),
        "compacted": {"schema": "CompactResource",
                      "required": sorted(schemas["CompactResource"].get("required") or [])},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


main()
