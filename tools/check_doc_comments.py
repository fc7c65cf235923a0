#!/usr/bin/env python3
"""Checks that every public function in Ember's headers has a doc comment.

    python3 tools/check_doc_comments.py include              # ember.h and include/ember/*.h
    python3 tools/check_doc_comments.py path/to/header.h ... # just these files

A function declaration, or a typedef of a callback (function pointer) type,
must be immediately preceded by a `/** ... */` comment with some text in it,
separated from it by nothing but white space. That is the house style of the
headers, and what doxygen attaches to the declaration. A plain `/* ... */`
comment, a trailing `/**< ... */` member comment, or a doc comment that is
followed by another declaration first does not count.

Exits 1, listing file:line and name for each undocumented function, if any
lacks a comment; 0 otherwise.
"""
import os
import re
import sys


def blank(text):
    """The text with comments and preprocessor lines replaced by spaces
    (newlines kept), so that offsets still point into the original."""
    def spaces(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    text = re.sub(r"/\*.*?\*/|//[^\n]*", spaces, text, flags=re.S)
    return re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", spaces, text, flags=re.M)


# A declaration starts after `;`, `{`, `}` or the start of the file (comments
# and preprocessor lines are blanked). Functions: a return type, a name, a
# parameter list, `;`. Callback types: `typedef R (*name)(...)`.
FUNCTION = re.compile(r"(?:(?<=[;{}])|^)(\s*)((?!typedef\b)[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\((?:[^;{}()]|\([^;{}()]*\))*\)\s*;)")
CALLBACK = re.compile(r"(?:(?<=[;{}])|^)(\s*)(typedef\s[^;{}]*?\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\([^;{}]*\)\s*;)")


def doc_comment_before(text, pos):
    """The doc comment that ends right before `pos` (only white space between), or None."""
    head = text[:pos].rstrip()
    if not head.endswith("*/"):
        return None
    start = head.rfind("/*")
    comment = head[start:]
    if not (comment.startswith("/**") or comment.startswith("/*!")) or comment.startswith("/**<") \
            or comment.startswith("/*!<") or comment.startswith("/***"):
        return None
    body = comment[3:-2].replace("*", " ")
    return comment if re.search(r"\w", body) else None


def check(path):
    """(declarations checked, [problems]) for one header."""
    text = open(path, encoding="utf-8").read()
    flat = blank(text)
    problems, seen = [], 0
    for pattern, what in ((FUNCTION, "function"), (CALLBACK, "callback type")):
        for m in pattern.finditer(flat):
            start = m.start(2)
            seen += 1
            if doc_comment_before(text, start) is None:
                line = text.count("\n", 0, start) + 1
                problems.append(f"{path}:{line}: {what} {m.group(3)} has no /** ... */ doc comment right before it")
    return seen, problems


def headers(args):
    for arg in args:
        if os.path.isdir(arg):
            yield os.path.join(arg, "ember.h")
            sub = os.path.join(arg, "ember")
            for name in sorted(os.listdir(sub)):
                if name.endswith(".h"):
                    yield os.path.join(sub, name)
        else:
            yield arg


def main(args):
    if not args:
        print(__doc__.strip().splitlines()[0])
        return 2
    total, files, problems = 0, 0, []
    for path in headers(args):
        seen, found = check(path)
        total += seen
        files += 1
        problems += found
    for p in problems:
        print(p)
    if problems:
        print(f"check-doc-comments: {len(problems)} of {total} declarations in {files} headers lack a doc comment")
        return 1
    print(f"check-doc-comments: all {total} functions and callback types in {files} headers have a doc comment")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
