#!/usr/bin/env python3
"""Checks that the documentation names only functions the headers declare.

    python3 tools/check_doc_names.py include docs/TUTORIAL.md README.md ...

Every `ember_xxx(` or backquoted `ember_xxx` in the given Markdown files must
be a function, callback, type or macro of include/ (or a header's name); in a table row whose last cell is a
header name (`nn.h`), the row's functions must be declared in that header.
Exits 1 listing what is wrong.
"""
import os
import re
import sys


def declared(include):
    by_header, every = {}, set()
    # ember.h with include/ember/*.h, and the other top-level headers (ember_dist.h).
    paths = [os.path.join(include, f) for f in sorted(os.listdir(include)) if f.endswith(".h")]
    paths += [os.path.join(include, "ember", f) for f in sorted(os.listdir(os.path.join(include, "ember"))) if f.endswith(".h")]
    for path in paths:
        text = re.sub(r"/\*.*?\*/", " ", open(path, encoding="utf-8").read(), flags=re.S)
        names = set(re.findall(r"\b(ember_\w+)\s*\(", text)) | set(re.findall(r"#define\s+(EMBER_\w+)", text))
        names |= set(re.findall(r"typedef\s+(?:struct|enum)\s+(ember_\w+)", text))
        by_header[os.path.basename(path)] = names
        every |= names
        every.add(os.path.basename(path)[:-2])  # a header's own name (`ember_dist.h`)
    return by_header, every


def main(include, docs):
    by_header, every = declared(include)
    problems, seen = [], 0
    for doc in docs:
        for n, line in enumerate(open(doc, encoding="utf-8"), 1):
            names = set(re.findall(r"\b(ember_[a-z0-9_]+)\s*\(", line)) | set(re.findall(r"`(ember_[a-z0-9_]+)`", line))
            names |= set(re.findall(r"`[^`]*?\b(ember_[a-z0-9_]+)\b(?!\.h\b)[^`]*`", line))   # not a header's name (`ember_dist.h`)
            names = {x for x in names if not x.startswith("ember_fixture") and x not in ("ember_consumer",)}
            seen += len(names)
            for name in sorted(names - every):
                problems.append(f"{doc}:{n}: {name} is not declared in {include}")
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if cells and cells[-1] in by_header:
                for name in sorted((names & every) - by_header[cells[-1]]):
                    problems.append(f"{doc}:{n}: {name} is not in {cells[-1]}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"check-doc-names: the {seen} function names in {', '.join(docs)} are declared where they say")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
