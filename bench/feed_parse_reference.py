#!/usr/bin/env python3
"""Python reference for bench/feed-parse-vs-python.bench.ts: the same work as driftwatch's feed
ingest, on the same files, with the standard library only (json, ipaddress, hashlib).

Per version: decode the raw bytes as UTF-8, json.loads, check the document's shape (syncToken
epoch seconds, createDate yyyy-mm-dd-hh-mm-ss, prefixes / ipv6_prefixes non-empty lists of
objects whose ip_prefix / ipv6_prefix, region, service and network_border_group are strings, the
last three non-empty), parse every prefix with ipaddress.ip_network(strict=True) (a network with
zero host bits, of the list's family; IPv4 in canonical dotted-decimal form), key it on
(family, normal prefix, service, region, network_border_group) without repeats, md5 + sha256 of
the raw bytes. Then the diff of the two versions: added and removed keys, sorted.

    python3 bench/feed_parse_reference.py [--rounds N] OLD.json[.gz] NEW.json[.gz]

Reads (and gunzips) both files before timing; prints one JSON line: the per-round times in ms
and what the work found (counts, hashes, the diff), so the caller can check both sides agree.
"""

import gzip
import hashlib
import ipaddress
import json
import re
import sys
import time

SYNC_TOKEN = re.compile(r"\d+")
CREATE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}")
LISTS = (("prefixes", "ip_prefix", 4), ("ipv6_prefixes", "ipv6_prefix", 6))


class Rejected(Exception):
    pass


def label(entry, field, where):
    value = entry.get(field)
    if not isinstance(value, str) or value == "":
        raise Rejected(f"schema: {where}.{field}")
    return value


def normal_prefix(text, family, where):
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise Rejected(f"invalid CIDR {text!r} at {where}: {error}") from None
    if network.version != family:
        raise Rejected(f"invalid CIDR {text!r} at {where}: not IPv{family}")
    if family == 4:
        if str(network) != text:
            raise Rejected(f"invalid CIDR {text!r} at {where}: not canonical")
        return text
    return network.compressed


def parse_version(raw):
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict):
        raise Rejected("schema: (root)")
    token = document.get("syncToken")
    if not isinstance(token, str) or SYNC_TOKEN.fullmatch(token) is None:
        raise Rejected("schema: syncToken")
    created = document.get("createDate")
    if not isinstance(created, str) or CREATE_DATE.fullmatch(created) is None:
        raise Rejected("schema: createDate")
    keys = set()
    counts = {}
    seen = 0
    for list_name, field, family in LISTS:
        entries = document.get(list_name)
        if not isinstance(entries, list):
            raise Rejected(f"schema: {list_name}")
        if not entries:
            raise Rejected(f"empty list: {list_name} has no entries")
        for i, entry in enumerate(entries):
            where = f"{list_name}[{i}]"
            if not isinstance(entry, dict):
                raise Rejected(f"schema: {where}")
            text = entry.get(field)
            if not isinstance(text, str):
                raise Rejected(f"schema: {where}.{field}")
            key = (
                family,
                normal_prefix(text, family, f"{where}.{field}"),
                label(entry, "service", where),
                label(entry, "region", where),
                label(entry, "network_border_group", where),
            )
            keys.add(key)
        counts[f"v{family}"] = len(keys) - seen
        seen = len(keys)
    return {
        "syncToken": token,
        "md5": hashlib.md5(raw).hexdigest(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "keys": keys,
        "counts": counts,
    }


def ingest(old_raw, new_raw):
    old = parse_version(old_raw)
    new = parse_version(new_raw)
    added = sorted(new["keys"] - old["keys"])
    removed = sorted(old["keys"] - new["keys"])
    return old, new, added, removed


def read(path):
    with open(path, "rb") as handle:
        data = handle.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def main(argv):
    rounds = 5
    if len(argv) >= 2 and argv[0] == "--rounds":
        rounds = int(argv[1])
        argv = argv[2:]
    if len(argv) != 2:
        sys.exit("usage: feed_parse_reference.py [--rounds N] OLD.json[.gz] NEW.json[.gz]")
    old_raw, new_raw = read(argv[0]), read(argv[1])
    times = []
    result = None
    for _ in range(rounds):
        start = time.perf_counter()
        result = ingest(old_raw, new_raw)
        times.append((time.perf_counter() - start) * 1000)
    old, new, added, removed = result
    show = lambda key: f"{key[1]} {key[2]} {key[3]} {key[4]}"  # noqa: E731
    print(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "timesMs": times,
                "old": {k: old[k] for k in ("syncToken", "md5", "sha256", "counts")},
                "new": {k: new[k] for k in ("syncToken", "md5", "sha256", "counts")},
                "added": [show(key) for key in added],
                "removed": [show(key) for key in removed],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
