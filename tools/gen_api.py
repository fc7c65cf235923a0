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
A parameter that is a function pointer (a callback typedef such as
ember_grad_hook, or an inline one such as `void (*destroy)(void *user_data)`)
also carries "callback": its own "returns" and "params", described the same
way, so that an FFI can build the callback (e.g. with ffi_prep_closure).
"enums" gives the values of the header's enums (ember_status, ember_dtype,
DLPack's) and "constants" those of its integer macros (EMBER_END,
EMBER_DTYPE_INVALID, the versions, DLPack's flags), so that a binding needs
nothing from the header.
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


def parse_signature(ret, args, callbacks):
    """The "returns" and "params" of a function or callback signature."""
    params = [] if args.strip() in ("", "void") else [parse_param(a, callbacks) for a in split_top_level(args)]
    return {"returns": {"type": ret, "kind": kind_of(ret, callbacks)}, "params": params}


def parse_param(text, callbacks):
    """The description of one parameter declaration: name, C type, kind (and callback)."""
    fp = re.match(r"(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", text)
    if fp:  # a function pointer parameter: void (*destroy)(void *user_data)
        return {"name": fp.group(2), "type": text, "kind": "pointer",
                "callback": parse_signature(fp.group(1).strip(), fp.group(3), callbacks)}
    m = re.match(r"(.*?)(\w+)\s*(\[\s*\])?$", text)
    ctype, name = m.group(1).strip(), m.group(2)
    if m.group(3):
        ctype += " *"
    param = {"name": name, "type": ctype, "kind": kind_of(ctype, callbacks)}
    base = " ".join(ctype.replace("const", " ").split())
    if base in callbacks:
        param["callback"] = callbacks[base]
    return param


def macro_value(text):
    """The integer value of a constant expression such as `0`, `2U`, `INT64_MAX`,
    `((ember_dtype)-1)` or `(1UL << 2UL)`, or None if it is not one."""
    t = re.sub(r"\(\s*(?:ember_|DL)\w+\s*\)", "", text.strip())           # casts to the header's types
    t = t.replace("INT64_MAX", str(2**63 - 1)).replace("INT64_MIN", f"({-2**63})")
    t = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", t)           # integer suffixes
    if not re.fullmatch(r"[\s\d()xXa-fA-F+\-*<>|&~]*", t) or not re.search(r"\d", t):
        return None
    try:
        value = eval(t, {"__builtins__": {}}, {})
    except Exception:
        return None
    return value if isinstance(value, int) else None


def enum_values(body):
    """The enumerators of an enum body with their values (implicit ones count
    up from the previous), or None if a value is not a constant expression."""
    values, following = {}, 0
    for item in body.split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        if value.strip():
            following = macro_value(value)
            if following is None:
                return None
        values[name.strip()] = following
        following += 1
    return values


def parse(include_dir):
    files = [os.path.join(include_dir, "ember.h")] + sorted(
        os.path.join(include_dir, "ember", f) for f in os.listdir(os.path.join(include_dir, "ember")) if f.endswith(".h"))
    callbacks, functions, enums, constants = {}, [], {}, {}
    for path in files:
        text = strip_comments(open(path).read())
        for m in re.finditer(r"^\s*#\s*define\s+((?:EMBER|DLPACK)_\w+)[ \t]+([^\n]+)$", text, flags=re.M):
            if macro_value(m.group(2)) is not None:
                constants[m.group(1)] = macro_value(m.group(2))
        for m in re.finditer(r"typedef\s+enum\s+\w*\s*\{([^}]*)\}\s*(\w+)\s*;", text):
            values = enum_values(" ".join(m.group(1).split()))
            if values is not None:
                enums[m.group(2)] = values
                ENUMS.add(m.group(2))
        text = re.sub(r"#[^\n]*", " ", text)
        for m in re.finditer(r"typedef\s+([\w\s\*]+?)\(\s*\*\s*(\w+)\s*\)\s*\(([^;]*)\)\s*;", text):
            callbacks[m.group(2)] = parse_signature(" ".join(m.group(1).split()), " ".join(m.group(3).split()), callbacks)
        section = os.path.relpath(path, include_dir)
        flat = re.sub(r"typedef[^;]*;", " ", " ".join(text.split()))
        for m in re.finditer(r"(?:EMBER_NODISCARD\s+)?((?:const\s+)?\w+(?:\s+|\s*\*+\s*))(ember_\w+)\s*\(([^;{]*?)\)\s*;", flat):
            ret, name, args = m.group(1).strip(), m.group(2), m.group(3).strip()
            signature = parse_signature(ret, args, callbacks)
            functions.append({
                "name": name,
                "header": section,
                "returns": signature["returns"],
                "nodiscard": m.group(0).startswith("EMBER_NODISCARD"),
                "params": signature["params"],
            })
    functions.sort(key=lambda f: f["name"])
    return {"library": "libember.so.0", "callbacks": sorted(callbacks), "enums": enums,
            "constants": dict(sorted(constants.items())), "functions": functions}


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
