#!/usr/bin/env python3
"""Generates the misuse suite's case table (Tests/misuse, run by `make misuse`).

    python3 tools/gen_misuse.py api.json Tests/misuse > build/misuse/cases.c

Two kinds of cases end up in the table:

- Hand-written ones: every `CASE(name)` in Tests/misuse/cases_*.c, named
  "<file>/<name>" ("tensor/zeros_absurd_size"). A comment
  `/* KNOWN BUG: what and where */` on the line before the CASE marks a case
  that shows a library bug not fixed yet: the runner reports its failure
  (even a crash) as XFAIL without failing the suite, and fails the suite when
  it passes (XPASS), so that the mark is removed once the bug is fixed.
- Handle misuse, generated from api.json: for every parameter of every
  function that takes a handle (ember_tensor, ember_module, ember_optimizer,
  ember_dataloader, ember_function, ember_scheduler) or a list of handles, a
  case for each of NULL, a freed handle, a handle of the wrong kind and a
  pointer that is not an Ember handle, with every other argument valid. The
  expectations follow the header's rules: a status-returning function gives
  EMBER_ERR_INVALID_HANDLE with a message "<function>: argument '<param>' is
  NULL" (or "... is a tensor handle that has been freed", "... is a module
  handle, not a tensor handle", "... is not an Ember handle"; "element 1 of
  '<param>' ..." in a list) and clears its out-parameters (NULL handles, 0
  scalars; arrays the caller sized are left untouched); a query returns its
  documented sentinel (-1, false, EMBER_DTYPE_INVALID) with that message; a
  _free of NULL is a no-op, of anything else leaves the message and frees
  nothing. Optional handles (documented "or NULL") get no NULL case.

A case file that calls an `ember_` function api.json does not have (a
section of the API not in these headers yet, such as ember/io.h before it
lands) is left out, with a note on stderr:

    python3 tools/gen_misuse.py --sources api.json Tests/misuse

prints the case files that are in, for the build to compile.
"""
import json
import os
import re
import sys

KINDS = {"ember_tensor": "KIND_TENSOR", "ember_module": "KIND_MODULE", "ember_optimizer": "KIND_OPTIMIZER",
         "ember_dataloader": "KIND_DATALOADER", "ember_function": "KIND_FUNCTION", "ember_scheduler": "KIND_SCHEDULER",
         "ember_state_dict": "KIND_STATE_DICT"}
POOL = {"KIND_TENSOR": ["pool.tensor", "pool.tensor2"], "KIND_MODULE": ["pool.module"], "KIND_OPTIMIZER": ["pool.optimizer"],
        "KIND_DATALOADER": ["pool.dataloader"], "KIND_FUNCTION": ["pool.function"],
        "KIND_SCHEDULER": ["pool.scheduler", "pool.scheduler2"], "KIND_STATE_DICT": ["pool.state_dict"]}
VARIANTS = [("BAD_NULL", "null"), ("BAD_FREED", "freed"), ("BAD_WRONG_KIND", "wrong_kind"), ("BAD_STRAY", "stray")]

# Handles the header documents as optional ("or NULL", "may be NULL"): no NULL case.
OPTIONAL = {
    ("ember_tensor_backward", "gradient"), ("ember_tensor_backward_ex", "gradient"),
    ("ember_autograd_backward", "grad_tensors"), ("ember_autograd_grad", "grad_outputs"),
    ("ember_conv1d", "bias"), ("ember_conv1d_padding", "bias"), ("ember_conv2d", "bias"), ("ember_conv2d_padding", "bias"),
    ("ember_conv_transpose2d", "bias"),
    ("ember_cross_entropy_ex", "weight"), ("ember_nll_loss", "weight"), ("ember_binary_cross_entropy", "weight"),
    ("ember_binary_cross_entropy_with_logits", "weight"), ("ember_binary_cross_entropy_with_logits", "pos_weight"),
    ("ember_batch_norm", "running_mean"), ("ember_batch_norm", "running_var"), ("ember_batch_norm", "weight"),
    ("ember_batch_norm", "bias"), ("ember_group_norm", "weight"), ("ember_group_norm", "bias"),
    ("ember_layer_norm", "weight"), ("ember_layer_norm", "bias"),
    ("ember_scaled_dot_product_attention", "attn_mask"), ("ember_scaled_dot_product_attention_scale", "attn_mask"),
} | {(f, p) for f in ("ember_checkpoint_state_dict", "ember_checkpoint_restore", "ember_checkpoint_save", "ember_checkpoint_load")
     for p in ("m", "opt", "sched", "loader")}
# Lists that may be NULL as a whole when they are not the list under test.
NULL_LISTS = {("ember_autograd_backward", "grad_tensors"), ("ember_autograd_grad", "grad_outputs")}
# Output arrays the caller sizes: nothing is written on failure.
UNTOUCHED_OUTS = {"outs", "outputs"}

STRINGS = {
    "reduction": "mean", "rounding_mode": "trunc", "nonlinearity": "relu", "padding": "same", "equation": "ij,jk->ik",
    "path": "/nonexistent-ember-misuse/file", "key": "k", "value": "v",
}
STRINGS_BY_FUNCTION = {
    ("ember_pad", "mode"): "constant", ("ember_interpolate_size", "mode"): "nearest",
    ("ember_interpolate_scale", "mode"): "nearest", ("ember_init_kaiming_uniform_", "mode"): "fan_in",
    ("ember_init_kaiming_normal_", "mode"): "fan_in", ("ember_reducelronplateau_new", "mode"): "min",
    ("ember_optimizer_set", "name"): "lr", ("ember_optimizer_get", "name"): "lr",
    ("ember_optimizer_set_group", "name"): "lr", ("ember_optimizer_get_group", "name"): "lr",
    ("ember_dataloader_set", "name"): "drop_last", ("ember_dataloader_get", "name"): "drop_last",
    ("ember_scheduler_get", "name"): "gamma", ("ember_scheduler_set", "name"): "gamma",
    ("ember_module_parameter", "name"): "weight", ("ember_module_buffer", "name"): "running_mean",
    ("ember_module_child", "name"): "0", ("ember_module_register_module", "name"): "extra",
    ("ember_module_register_parameter", "name"): "extra", ("ember_module_register_buffer", "name"): "extra",
    ("ember_optimizer_new", "type"): "SGD", ("ember_scheduler_new", "type"): "StepLR",
    ("ember_optimizer_new", "args"): "lr=0.1", ("ember_optimizer_add_param_group", "args"): "",
    ("ember_scheduler_new", "args"): "step_size=1",
}
DOUBLES = {"eps": "1e-5", "lr": "0.1", "max_norm": "1.0", "norm_type": "2.0", "gamma": "0.5", "factor": "0.5",
           "p": "0.5", "dropout_p": "0.0", "momentum": "0.1", "std": "1.0", "max": "1.0", "min": "-1.0", "b": "1.0",
           "a": "0.0", "max_val": "1.0", "min_val": "-1.0", "start_factor": "0.5", "end_factor": "1.0"}
CALLBACKS = {"ember_grad_hook": "misuse_hook_ok", "ember_function_forward": "misuse_forward_identity",
             "ember_function_backward": "misuse_backward_identity", "ember_module_forward_fn": "misuse_module_forward_identity",
             "ember_closure_fn": "misuse_closure_ok", "ember_lr_lambda_fn": "misuse_lambda_one"}
# Functions documented to call `destroy` at once when they fail.
DESTROY_ON_FAILURE = {"ember_lambdalr_new", "ember_multiplicativelr_new"}


def norm(ctype):
    return ctype.replace("const", " ").replace(" ", "")


def handle_kind(ctype):
    m = re.search(r"\b(ember_(?:tensor|module|optimizer|dataloader|function|scheduler|state_dict))\b", ctype)
    return KINDS[m.group(1)] if m else None


def role(param):
    """'handle', 'list', 'out' (a handle out-parameter) or None, for a parameter."""
    ctype, kind = param["type"], handle_kind(param["type"])
    if not kind or "(" in ctype:
        return None
    if re.search(r"\*\s*const\s*\*$", ctype):
        return "list"
    if norm(ctype).endswith("**"):
        return "out"
    return "handle"


def element_type(ctype):
    """`const ember_tensor *const *` -> `const ember_tensor *`."""
    return re.sub(r"\*\s*const\s*\*$", "*", ctype).strip()


def generate_case(f, target, variant):
    """The body of one generated case: C statements, or None if the combination makes no sense."""
    fname, params = f["name"], f["params"]
    decls, args, checks = [], [], []
    list_len = 2
    prev_array = None
    tensor_turn = 0
    for i, p in enumerate(params):
        name, ctype, kind_ = p["name"], p["type"], p["kind"]
        r = role(p)
        n = norm(ctype)
        hk = handle_kind(ctype)
        if r == "handle":
            if i == target:
                args.append(f"misuse_bad({hk}, variant)")
            else:
                choices = POOL[hk]
                args.append(choices[tensor_turn % len(choices)] if hk == "KIND_TENSOR" else choices[0])
                if hk == "KIND_TENSOR":
                    tensor_turn += 1
            prev_array = None
        elif r == "list":
            et = element_type(ctype)
            if i != target and (fname, name) in NULL_LISTS:
                args.append("NULL")
            else:
                items = [POOL[hk][k % len(POOL[hk])] for k in range(list_len)]
                if i == target:
                    items[1] = f"misuse_bad({hk}, variant)"
                decls.append(f"{et} l{i}[{list_len}];")
                for k, item in enumerate(items):
                    decls.append(f"l{i}[{k}] = {item};")
                args.append(f"l{i}")
            prev_array = "list"
        elif r == "out":
            decls.append(f"{element_type(ctype.replace('**', '*const *'))} o{i}[16];")
            decls.append(f"{{ int k_; for (k_ = 0; k_ < 16; k_++) o{i}[k_] = SENTINEL; }}")
            args.append(f"o{i}")
            if name in UNTOUCHED_OUTS:
                checks.append(f"{{ int k_; for (k_ = 0; k_ < 16; k_++) if (o{i}[k_] != SENTINEL) return FAILED(\"%s wrote '{name}[%d]' on failure\", \"{fname}\", k_); }}")
            elif name == "grads":
                checks.append(f"if (o{i}[0] != NULL || o{i}[1] != NULL) return FAILED(\"{fname}: 'grads' entries are not NULL after a failure\");")
            else:
                checks.append(f"if (o{i}[0] != NULL) return FAILED(\"{fname}: out-parameter '{name}' is not NULL after a failure\");")
            prev_array = None
        elif "(" in ctype:  # an inline function pointer: destroy
            args.append("misuse_destroy")
        elif n in CALLBACKS or ctype in CALLBACKS:
            args.append(CALLBACKS[ctype])
        elif n == "int64_t*" and "const" in ctype:
            decls.append(f"const int64_t a{i}[16] = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}};")
            args.append(f"a{i}")
            prev_array = "ints"
        elif n == "int64_t*":
            decls.append(f"int64_t s{i}[16] = {{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}};")
            args.append(f"s{i}")
            if name != "shape":
                checks.append(f"if (s{i}[0] != 0) return FAILED(\"{fname}: '*{name}' is %lld, not 0, after a failure\", (long long)s{i}[0]);")
        elif n == "double*" and "const" in ctype:
            decls.append(f"const double c{i}[4] = {{2, 2, 2, 2}};")
            args.append(f"c{i}")
        elif n == "double*":
            decls.append(f"double d{i}[16] = {{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}};")
            args.append(f"d{i}")
            if name != "lrs":
                checks.append(f"if (d{i}[0] != 0) return FAILED(\"{fname}: '*{name}' is %g, not 0, after a failure\", d{i}[0]);")
        elif n == "size_t*":
            decls.append(f"size_t z{i} = 7;")
            args.append(f"&z{i}")
            checks.append(f"if (z{i} != 0) return FAILED(\"{fname}: '*{name}' is %zu, not 0, after a failure\", z{i});")
        elif n == "char*" and "const" not in ctype:
            decls.append(f"char b{i}[256];")
            args.append(f"b{i}")
        elif ctype == "const char *":
            value = STRINGS_BY_FUNCTION.get((fname, name), STRINGS.get(name, "x"))
            args.append(json.dumps(value))
        elif ctype == "const char *const *":
            args.append("names_")
            decls.append('const char *names_[2] = {"a", "b"};')
        elif n == "void*" and name == "user_data":
            args.append("NULL")
        elif n in ("void*",):
            args.append("bytes_")
        elif n.endswith("**") and "const" not in ctype:    # an out-parameter of another type (DLManagedTensor **)
            base = ctype.replace("*", "").strip()
            decls.append(f"{base} *q{i}[16];")
            decls.append(f"{{ int k_; for (k_ = 0; k_ < 16; k_++) q{i}[k_] = SENTINEL; }}")
            args.append(f"q{i}")
            checks.append(f"if (q{i}[0] != NULL) return FAILED(\"{fname}: out-parameter '{name}' is not NULL after a failure\");")
        elif n.endswith("*"):                                # any other pointer (DLManagedTensor *): none
            args.append("NULL")
        elif kind_ == "int64":
            if prev_array == "list" and (name.startswith("n") or name == "count"):
                args.append(str(list_len))
            elif prev_array == "ints" and (name.startswith("n") or name == "count"):
                args.append("1")
            elif name == "capacity":
                args.append("16")
            elif "dim" in name or name in ("index", "group", "start", "diagonal", "ignore_index", "padding_idx", "id"):
                args.append("0")
            else:
                args.append("1")
            prev_array = None
        elif kind_ == "double":
            args.append(DOUBLES.get(name, "0.5"))
        elif kind_ == "bool":
            args.append("false")
        elif kind_ == "size":
            args.append("256" if name.endswith("_size") else "16")
        elif kind_ == "uint64":
            args.append("0")
        elif ctype == "ember_dtype":
            args.append("EMBER_FLOAT32")
        elif kind_ == "int32":
            args.append("0")
        else:
            raise ValueError(f"{fname}: no argument for {ctype} {name}")

    p = params[target]
    element = "1" if role(p) == "list" else "-1"
    ret = f["returns"]["type"]
    hk = handle_kind(p["type"])
    call = f"{fname}({', '.join(args)})"
    body = [f"/* {fname}: {p['name']} */"] + decls + ["misuse_destroyed = 0;"]
    if ret == "ember_status":
        body.append(f"if (!misuse_expect_status(\"{fname}\", {call}, {hk}, variant, \"{p['name']}\", {element})) return 1;")
    elif ret == "int64_t":
        body.append(f"{{ int64_t r_ = {call}; if (r_ != -1) return FAILED(\"{fname} returned %lld for a bad handle, not -1\", (long long)r_); }}")
        body.append(f"if (!misuse_expect_message(\"{fname}\", {hk}, variant, \"{p['name']}\", {element})) return 1;")
    elif ret == "bool":
        body.append(f"if ({call}) return FAILED(\"{fname} returned true for a bad handle\");")
        body.append(f"if (!misuse_expect_message(\"{fname}\", {hk}, variant, \"{p['name']}\", {element})) return 1;")
    elif ret == "ember_dtype":
        body.append(f"if ({call} != EMBER_DTYPE_INVALID) return FAILED(\"{fname} did not return EMBER_DTYPE_INVALID for a bad handle\");")
        body.append(f"if (!misuse_expect_message(\"{fname}\", {hk}, variant, \"{p['name']}\", {element})) return 1;")
    elif ret == "void" and fname.endswith("_free"):
        body.append(f"{call};")
        body.append(f"if (variant == BAD_NULL) return misuse_expect_marker(\"{fname}\") ? 0 : 1;")
        body.append(f"if (!misuse_expect_message(\"{fname}\", {hk}, variant, \"{p['name']}\", {element})) return 1;")
        body.append(f"if (variant == BAD_WRONG_KIND && !misuse_alive(misuse_wrong_kind({hk}))) "
                    f"return FAILED(\"{fname} released a handle of another kind\");")
        body.append(f"if (!misuse_alive({hk})) return FAILED(\"{fname} of a bad handle released the pool's handle\");")
    else:
        raise ValueError(f"{fname}: unexpected return type {ret} with a handle parameter")
    body += checks
    if fname in DESTROY_ON_FAILURE:
        body.append(f"if (misuse_destroyed != 1) return FAILED(\"{fname} called destroy %d times on failure, not once\", misuse_destroyed);")
    body.append("return 0;")
    return body


def case_files(directory, api):
    """The case files whose every `ember_` call api.json knows, and a note for each left out."""
    known = {f["name"] for f in api["functions"]}
    files, notes = [], []
    for path in sorted(os.listdir(directory)):
        if not re.fullmatch(r"cases_\w+\.c", path):
            continue
        text = open(os.path.join(directory, path)).read()
        code = re.sub(r'/\*.*?\*/|"(?:\\.|[^"\\\n])*"', " ", text, flags=re.S)   # calls, not comments or messages
        missing = sorted({m for m in re.findall(r"\b(ember_\w+)\s*\(", code) if m not in known})
        if missing:
            notes.append(f"gen_misuse.py: {path} left out: api.json has no {', '.join(missing[:3])}"
                         f"{' ...' if len(missing) > 3 else ''} ({len(missing)} functions)")
            continue
        files.append(os.path.join(directory, path))
    return files, notes


def hand_written(paths):
    cases = []
    for full in paths:
        m = re.fullmatch(r"cases_(\w+)\.c", os.path.basename(full))
        text = open(full).read()
        for c in re.finditer(r"^(?:/\* KNOWN BUG: (.*?) \*/\n)?CASE\((\w+)\)", text, flags=re.M):
            cases.append((m.group(1), c.group(2), c.group(1)))
    return cases


def main():
    args = [a for a in sys.argv[1:] if a != "--sources"]
    api = json.load(open(args[0]))
    cases_dir = args[1]
    files, notes = case_files(cases_dir, api)
    if "--sources" in sys.argv:
        sys.stdout.write(" ".join(files) + "\n")
        return
    for note in notes:
        sys.stderr.write(note + "\n")
    out = ["/* Generated by tools/gen_misuse.py from api.json and Tests/misuse/cases_*.c: do not edit. */",
           "#include \"misuse.h\"", "#include <stdbool.h>", "#include <stddef.h>", "",
           "static char bytes_[4096];", ""]
    table = []
    hand = hand_written(files)
    seen = set()
    for section, name, known_bug in hand:
        if name in seen:
            raise SystemExit(f"gen_misuse.py: CASE({name}) is defined twice")
        seen.add(name)
        out.append(f"int misuse_{name}(void);")
        out.append(f"static int hand_{name}(int variant) {{ (void)variant; return misuse_{name}(); }}")
        bug = json.dumps(" ".join(known_bug.split())) if known_bug else "NULL"
        table.append(f"    {{\"{section}/{name}\", hand_{name}, 0, {bug}}},")
    out.append("")
    for f in api["functions"]:
        for i, p in enumerate(f["params"]):
            if role(p) not in ("handle", "list"):
                continue
            fn = f"gen_{f['name']}__{p['name']}"
            try:
                body = generate_case(f, i, "variant")
            except ValueError as e:  # a signature this generator does not know how to fill: say so, skip it
                sys.stderr.write(f"gen_misuse.py: warning: no handle cases for {f['name']}: {e}\n")
                out.append(f"/* no handle cases for {f['name']}: {e} */")
                break
            out.append(f"static int {fn}(int variant) {{")
            out += ["    " + line for line in body]
            out.append("}")
            for enum, label in VARIANTS:
                if enum == "BAD_NULL" and (f["name"], p["name"]) in OPTIONAL:
                    continue
                table.append(f"    {{\"handle/{f['name']}/{p['name']}/{label}\", {fn}, {enum}, NULL}},")
    out.append("")
    out.append("const misuse_case misuse_cases[] = {")
    out += table
    out.append("};")
    out.append("const size_t misuse_case_count = sizeof misuse_cases / sizeof misuse_cases[0];")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
