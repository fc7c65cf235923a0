#!/usr/bin/env python3
"""Writes the API reference's front page: docs/api/mainpage.md followed by a
table of the header's sections in the order include/ember.h includes them
(and they include theirs), each with its @brief, so the reference is grouped
as the header is and a new section appears without editing anything.

    python3 tools/doc_mainpage.py include docs/api/mainpage.md > build/docs/mainpage.md
"""
import os
import re
import sys


def brief(text):
    m = re.search(r"@brief\s+(.*?)(?:\n\s*\*\s*\n|\*/)", text, flags=re.S)
    return " ".join(m.group(1).replace("*", " ").split()) if m else ""


def sections(include_dir, name, seen):
    """(file name relative to include_dir, brief) in include order, depth first."""
    path = os.path.join(include_dir, name)
    if name in seen or not os.path.exists(path):
        return []
    seen.add(name)
    text = open(path, encoding="utf-8").read()
    out = [(name, brief(text))]
    for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, flags=re.M):
        inc = os.path.normpath(os.path.join(os.path.dirname(name), inc))
        out += sections(include_dir, inc, seen)
    return out


def main(include_dir, intro):
    sys.stdout.write(open(intro, encoding="utf-8").read().rstrip() + "\n\n")
    sys.stdout.write("## Sections\n\n"
                     "The header's sections in the order `ember.h` includes them; each page lists\n"
                     "its types, constants and functions in the order the header declares them.\n\n"
                     "| Header | What it holds |\n|---|---|\n")
    for name, text in sections(include_dir, "ember.h", set()):
        sys.stdout.write(f"| @ref {name} \"{name}\" | {text} |\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
