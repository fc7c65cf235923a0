#!/usr/bin/env python3
"""Generates api.json, a machine-readable description of every function in
Ember's public headers, for generic FFIs (libffi, ctypes, ...).

    python3 tools/gen_api.py include > api.json
    python3 tools/gen_api.py include --check api.json   # exit 1 if api.json is stale

Each function is described by its name, section header, return type and
parameters, each with its C spelling and an FFI kind:
  "void", "bool", "int32" (enums such as ember_status/ember_dtype), "int64",
  "uint64", "size", "double", "pointer" (handles, arrays, strings, callbacks).
Only scalars and pointers cross the boundary; no struct is passed by value.
"""
import json
import os
import re
import sys

ENUMS = {"ember_status", "ember_dtype"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def split_top_level(args):
    """Splits a parameter list at commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for c in args:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


def kind_of(ctype, callbacks):
    t = " ".join(ctype.replace("const", " ").split())
    if "*" in t or "(" in t or t in callbacks:
        return "pointer"
    table = {"void": "void", "bool": "bool", "int64_t": "int64", "uint64_t": "uint64", "size_t": "size",
             "double": "double", "int": "int32"}
    if t in table:
        return table[t]
    if t in ENUMS:
        return "int32"
    raise ValueError(f"unsupported type '{ctype}'")


def parse_param(text, callbacks):
    """(name, C type, kind) of one parameter declaration."""
    fp = re.match(r"(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", text)
    if fp:  # a function pointer parameter: void (*destroy)(void *user_data)
        return fp.group(2), text, "pointer"
    m = re.match(r"(.*?)(\w+)\s*(\[\s*\])?$", text)
    ctype, name = m.group(1).strip(), m.group(2)
    if m.group(3):
        ctype += " *"
    return name, ctype, kind_of(ctype, callbacks)


def parse(include_dir):
    files = [os.path.join(include_dir, "ember.h")] + sorted(
        os.path.join(include_dir, "ember", f) for f in os.listdir(os.path.join(include_dir, "ember")) if f.endswith(".h"))
    callbacks, functions = set(), []
    for path in files:
        text = strip_comments(open(path).read())
        text = re.sub(r"#[^\n]*", " ", text)
        for m in re.finditer(r"typedef\s+[\w\s\*]+?\(\s*\*\s*(\w+)\s*\)", text):
            callbacks.add(m.group(1))
        section = os.path.relpath(path, include_dir)
        flat = re.sub(r"typedef[^;]*;", " ", " ".join(text.split()))
        for m in re.finditer(r"(?:EMBER_NODISCARD\s+)?((?:const\s+)?\w+(?:\s+|\s*\*+\s*))(ember_\w+)\s*\(([^;{]*?)\)\s*;", flat):
            ret, name, args = m.group(1).strip(), m.group(2), m.group(3).strip()
            params = [] if args in ("", "void") else [parse_param(a, callbacks) for a in split_top_level(args)]
            functions.append({
                "name": name,
                "header": section,
                "returns": {"type": ret, "kind": kind_of(ret, callbacks)},
                "nodiscard": flat[max(0, m.start() - 20):m.start() + 16].find("EMBER_NODISCARD") >= 0,
                "params": [{"name": n, "type": t, "kind": k} for n, t, k in params],
            })
    functions.sort(key=lambda f: f["name"])
    return {"library": "libember.so.0", "callbacks": sorted(callbacks), "functions": functions}


if __name__ == "__main__":
    include = sys.argv[1] if len(sys.argv) > 1 else "include"
    api = parse(include)
    text = json.dumps(api, indent=1) + "\n"
    if "--check" in sys.argv:
        target = sys.argv[sys.argv.index("--check") + 1]
        if open(target).read() != text:
            print(f"{target} is out of date with the headers; run: python3 tools/gen_api.py include > {target}")
            sys.exit(1)
        print(f"{target}: {len(api['functions'])} functions, up to date")
    else:
        sys.stdout.write(text)
