/* libember.so as a generic FFI sees it: dlopen the library, read api.json
   (the machine-readable description generated from the header by
   tools/gen_api.py) and call functions through libffi with call interfaces
   built from the description alone -- what ctypes, cffi or a Rust/Julia/Lua
   FFI does.

   Checks:
   - api.json parses; every kind is a scalar or a pointer; its enums and
     constants equal the header's;
   - every described function resolves with dlsym and gets an ffi_cif from
     its kinds; the description covers every ember_ function the library
     exports (its ELF dynamic symbol table, what nm -D lists), and nothing more;
   - a representative session through libffi: tensors from data, ops, element
     reads, autograd, a module, an optimizer step, error statuses and
     messages, frees; a custom autograd function whose callbacks are libffi
     closures built from the callback signatures in the description;
   - every function called once through libffi with zeroed arguments (NULL
     pointers, zero scalars): no crash, a known status, and a message naming
     the function when it fails.

   Usage: ffi_api [LIBRARY [API_JSON]]; the defaults are compiled in.
   Built with -std=c99 -pedantic -Wall -Wextra -Werror against libffi and libdl
   only: libember.so is loaded at run time, never linked. */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <dlfcn.h>
#include <elf.h>
#include <ffi.h>
#include <link.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember.h> /* only to cross-check the description's enum and macro values */

#ifndef EMBER_FFI_LIB
#define EMBER_FFI_LIB "build/lib/libember.so.0"
#endif
#ifndef EMBER_FFI_API
#define EMBER_FFI_API "api.json"
#endif

static int failures = 0;

#define EXPECT(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static void die(const char *what, const char *detail) {
    fprintf(stderr, "ffi_api: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* ------------------------------------------------------------------------
 * A small JSON reader: enough for api.json (objects, arrays, strings with
 * escapes, numbers, true/false/null).
 */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } json_kind;

typedef struct json {
    json_kind kind;
    double number;     /* J_NUMBER, J_BOOL (0 or 1) */
    char *string;      /* J_STRING */
    size_t count;      /* J_ARRAY, J_OBJECT */
    struct json **items;
    char **keys;       /* J_OBJECT */
} json;

typedef struct { const char *p, *end; } json_cursor;

static void json_free(json *v) {
    size_t i;
    if (!v) return;
    for (i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

static void skip_space(json_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

static char *parse_string(json_cursor *c) {
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (!s || c->p >= c->end || *c->p != '"') { free(s); return NULL; }
    c->p++;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\') {
            if (c->p >= c->end) { free(s); return NULL; }
            ch = *c->p++;
            switch (ch) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'u': { /* api.json is ASCII; keep the code unit if it is one */
                unsigned code = 0;
                int k;
                for (k = 0; k < 4; k++) {
                    char h = c->p < c->end ? *c->p++ : 0;
                    code = code * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                   : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 0);
                }
                ch = code < 128 ? (char)code : '?';
                break;
            }
            default: break; /* \" \\ \/ */
            }
        }
        if (n + 2 > cap) {
            char *bigger = realloc(s, cap *= 2);
            if (!bigger) { free(s); return NULL; }
            s = bigger;
        }
        s[n++] = ch;
    }
    if (c->p >= c->end) { free(s); return NULL; }
    c->p++;
    s[n] = 0;
    return s;
}

static json *parse_value(json_cursor *c, int depth);

static int append(json *v, json *item, char *key) {
    json **items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (!items) return 0;
    v->items = items;
    if (v->kind == J_OBJECT) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (!keys) return 0;
        v->keys = keys;
        v->keys[v->count] = key;
    }
    v->items[v->count++] = item;
    return 1;
}

static json *parse_container(json_cursor *c, int depth, json_kind kind) {
    json *v = calloc(1, sizeof *v);
    char close = kind == J_ARRAY ? ']' : '}';
    if (!v) return NULL;
    v->kind = kind;
    c->p++;
    skip_space(c);
    if (c->p < c->end && *c->p == close) { c->p++; return v; }
    for (;;) {
        char *key = NULL;
        json *item;
        skip_space(c);
        if (kind == J_OBJECT) {
            if (!(key = parse_string(c))) break;
            skip_space(c);
            if (c->p >= c->end || *c->p != ':') { free(key); break; }
            c->p++;
        }
        if (!(item = parse_value(c, depth + 1))) { free(key); break; }
        if (!append(v, item, key)) { json_free(item); free(key); break; }
        skip_space(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == close) { c->p++; return v; }
        break;
    }
    json_free(v);
    return NULL;
}

static json *parse_value(json_cursor *c, int depth) {
    json *v;
    skip_space(c);
    if (c->p >= c->end || depth > 64) return NULL;
    if (*c->p == '{') return parse_container(c, depth, J_OBJECT);
    if (*c->p == '[') return parse_container(c, depth, J_ARRAY);
    if (!(v = calloc(1, sizeof *v))) return NULL;
    if (*c->p == '"') {
        v->kind = J_STRING;
        if (!(v->string = parse_string(c))) { free(v); return NULL; }
    } else if (c->end - c->p >= 4 && !strncmp(c->p, "true", 4)) {
        v->kind = J_BOOL; v->number = 1; c->p += 4;
    } else if (c->end - c->p >= 5 && !strncmp(c->p, "false", 5)) {
        v->kind = J_BOOL; c->p += 5;
    } else if (c->end - c->p >= 4 && !strncmp(c->p, "null", 4)) {
        v->kind = J_NULL; c->p += 4;
    } else {
        char *stop;
        v->kind = J_NUMBER;
        v->number = strtod(c->p, &stop);
        if (stop == c->p) { free(v); return NULL; }
        c->p = stop;
    }
    return v;
}

static const json *get(const json *object, const char *key) {
    size_t i;
    if (!object || object->kind != J_OBJECT) return NULL;
    for (i = 0; i < object->count; i++)
        if (!strcmp(object->keys[i], key)) return object->items[i];
    return NULL;
}

static const char *get_string(const json *object, const char *key) {
    const json *v = get(object, key);
    return v && v->kind == J_STRING ? v->string : NULL;
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    char *data;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
    data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) { free(data); data = NULL; }
    fclose(f);
    if (data) { data[n] = 0; *size = (size_t)n; }
    return data;
}

/* ------------------------------------------------------------------------
 * The library's exports, read from its ELF dynamic symbol table (nm -D).
 */

typedef struct { char **names; size_t count; } name_list;

static void list_add(name_list *l, const char *name) {
    char **names = realloc(l->names, (l->count + 1) * sizeof *names);
    size_t n = strlen(name) + 1;
    if (!names) die("out of memory", NULL);
    l->names = names;
    if (!(l->names[l->count] = malloc(n))) die("out of memory", NULL);
    memcpy(l->names[l->count++], name, n);
}

static int list_has(const name_list *l, const char *name) {
    size_t i;
    for (i = 0; i < l->count; i++) if (!strcmp(l->names[i], name)) return 1;
    return 0;
}

static void list_free(name_list *l) {
    size_t i;
    for (i = 0; i < l->count; i++) free(l->names[i]);
    free(l->names);
}

/* Defined global function symbols starting with ember_ (nm -D --defined-only,
   type T) or, with `needed`, the library's DT_NEEDED entries (readelf -d). */
static name_list elf_names(const char *path, int needed) {
    name_list out = {NULL, 0};
    size_t size = 0, i, j;
    char *data = read_file(path, &size);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(void *)data;
    const Elf64_Shdr *sh;
    if (!data) die("cannot read the library", path);
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof *sh > size)
        die("not a 64-bit ELF file", path);
    sh = (const Elf64_Shdr *)(void *)(data + eh->e_shoff);
    for (i = 0; i < eh->e_shnum; i++) {
        const Elf64_Shdr *strtab;
        const Elf64_Sym *syms;
        if (sh[i].sh_type != (needed ? SHT_DYNAMIC : SHT_DYNSYM)) continue;
        if (sh[i].sh_link >= eh->e_shnum || sh[i].sh_offset + sh[i].sh_size > size) die("bad .dynsym", path);
        strtab = &sh[sh[i].sh_link];
        if (strtab->sh_offset + strtab->sh_size > size) die("bad .dynstr", path);
        if (needed && sh[i].sh_type == SHT_DYNAMIC) {
            const Elf64_Dyn *dyn = (const Elf64_Dyn *)(void *)(data + sh[i].sh_offset);
            for (j = 0; j < sh[i].sh_size / sizeof *dyn && dyn[j].d_tag != DT_NULL; j++)
                if (dyn[j].d_tag == DT_NEEDED && dyn[j].d_un.d_val < strtab->sh_size)
                    list_add(&out, data + strtab->sh_offset + dyn[j].d_un.d_val);
            continue;
        }
        syms = (const Elf64_Sym *)(void *)(data + sh[i].sh_offset);
        for (j = 0; j < sh[i].sh_size / sizeof *syms; j++) {
            const char *name;
            if (syms[j].st_name >= strtab->sh_size || syms[j].st_shndx == SHN_UNDEF) continue;
            if (ELF64_ST_TYPE(syms[j].st_info) != STT_FUNC) continue;
            if (ELF64_ST_BIND(syms[j].st_info) != STB_GLOBAL && ELF64_ST_BIND(syms[j].st_info) != STB_WEAK) continue;
            name = data + strtab->sh_offset + syms[j].st_name;
            if (!strncmp(name, "ember_", 6)) list_add(&out, name);
        }
    }
    free(data);
    return out;
}

/* Loads the library's dependencies that are not loaded yet (libopenblas,
   libstdc++) from the default paths before the library itself, so that the
   loader does not expand its RUNPATH ($ORIGIN) while valgrind watches: glibc's
   ld.so reads that string with a word-at-a-time strncmp that valgrind reports
   as an invalid read (a false positive that does not occur when the library is
   linked). One that is not found on the default paths is left to the RUNPATH.
   Libraries already loaded are not opened again: glibc then loses their
   dependency list, which valgrind reports as a leak. */
static int has_basename(struct dl_phdr_info *info, size_t size, void *name) {
    const char *slash = strrchr(info->dlpi_name, '/');
    (void)size;
    return !strcmp(slash ? slash + 1 : info->dlpi_name, (const char *)name);
}

static void preload_dependencies(const char *lib_path) {
    name_list needed = elf_names(lib_path, 1);
    size_t i;
    for (i = 0; i < needed.count; i++)
        if (!dl_iterate_phdr(has_basename, needed.names[i])) (void)dlopen(needed.names[i], RTLD_NOW | RTLD_GLOBAL);
    list_free(&needed);
}

/* ------------------------------------------------------------------------
 * The description as call interfaces.
 */

#define MAX_PARAMS 16

typedef union { void *obj; void (*fn)(void); } symbol;

typedef struct {
    const char *name;
    const json *desc;
    symbol sym;
    size_t nparams;
    const char *kinds[MAX_PARAMS];
    const char *ret_kind;
    const char *ret_type;
    ffi_type *types[MAX_PARAMS];
    ffi_cif cif;
} function;

static function *functions;
static size_t nfunctions;
static const json *api;

static ffi_type *ffi_type_of(const char *kind) {
    if (!kind) return NULL;
    if (!strcmp(kind, "void")) return &ffi_type_void;
    if (!strcmp(kind, "bool")) return &ffi_type_uint8; /* C99 bool: one byte, 0 or 1 */
    if (!strcmp(kind, "int32")) return &ffi_type_sint32;
    if (!strcmp(kind, "int64")) return &ffi_type_sint64;
    if (!strcmp(kind, "uint64")) return &ffi_type_uint64;
    if (!strcmp(kind, "size")) return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
    if (!strcmp(kind, "double")) return &ffi_type_double;
    if (!strcmp(kind, "pointer")) return &ffi_type_pointer;
    return NULL; /* anything else (a struct by value) is not allowed across this boundary */
}

static const function *find(const char *name) {
    size_t i;
    for (i = 0; i < nfunctions; i++) if (!strcmp(functions[i].name, name)) return &functions[i];
    return NULL;
}

/* An argument or a result, as a dynamic language holds it. */
typedef union { int64_t i; uint64_t u; double d; void *p; } value;

#define I(x) ((value){.i = (int64_t)(x)})
#define U(x) ((value){.u = (uint64_t)(x)})
#define D(x) ((value){.d = (double)(x)})
#define P(x) ((value){.p = (void *)(x)})
#define CALL(name, ...) call_by_name(name, sizeof((value[]){__VA_ARGS__}) / sizeof(value), (value[]){__VA_ARGS__})
#define CALL0(name) call_by_name(name, 0, NULL)

/* Converts each argument to its described kind, calls, converts the result back. */
static value call_function(const function *f, size_t nargs, const value *args) {
    union { int32_t i32; int64_t i64; uint64_t u64; size_t size; double d; uint8_t b; void *p; } store[MAX_PARAMS];
    void *avalues[MAX_PARAMS];
    union { ffi_arg word; ffi_sarg sword; double d; void *p; int64_t i64; uint64_t u64; } ret;
    value result;
    size_t i;
    ffi_cif cif = f->cif; /* ffi_call does not modify it, but keep the table pristine */
    if (nargs != f->nparams) {
        fprintf(stderr, "ffi_api: %s takes %zu arguments per api.json, called with %zu\n", f->name, f->nparams, nargs);
        exit(1);
    }
    for (i = 0; i < nargs; i++) {
        const char *k = f->kinds[i];
        if (!strcmp(k, "bool")) store[i].b = args[i].i != 0;
        else if (!strcmp(k, "int32")) store[i].i32 = (int32_t)args[i].i;
        else if (!strcmp(k, "int64")) store[i].i64 = args[i].i;
        else if (!strcmp(k, "uint64")) store[i].u64 = args[i].u;
        else if (!strcmp(k, "size")) store[i].size = (size_t)args[i].u;
        else if (!strcmp(k, "double")) store[i].d = args[i].d;
        else store[i].p = args[i].p;
        avalues[i] = &store[i];
    }
    memset(&ret, 0, sizeof ret);
    ffi_call(&cif, f->sym.fn, &ret, nargs ? avalues : NULL);
    memset(&result, 0, sizeof result);
    if (!strcmp(f->ret_kind, "bool")) result.i = (uint8_t)ret.word != 0;
    else if (!strcmp(f->ret_kind, "int32")) result.i = (int32_t)ret.sword;
    else if (!strcmp(f->ret_kind, "int64")) result.i = ret.i64;
    else if (!strcmp(f->ret_kind, "uint64") || !strcmp(f->ret_kind, "size")) result.u = ret.u64;
    else if (!strcmp(f->ret_kind, "double")) result.d = ret.d;
    else if (!strcmp(f->ret_kind, "pointer")) result.p = ret.p;
    return result;
}

static value call_by_name(const char *name, size_t nargs, const value *args) {
    const function *f = find(name);
    if (!f) die("no such function in api.json", name);
    return call_function(f, nargs, args);
}

/* A value of the description's enums or constants. */
static int64_t constant(const char *group, const char *name) {
    const json *v = !strcmp(group, "constants") ? get(get(api, "constants"), name) : get(get(get(api, "enums"), group), name);
    if (!v || v->kind != J_NUMBER) die("api.json lacks", name);
    return (int64_t)v->number;
}

#define STATUS(name) constant("ember_status", name)
#define DTYPE(name) constant("ember_dtype", name)

static const char *last_error(void) { return (const char *)CALL0("ember_last_error").p; }

#define EXPECT_STATUS(call, name) do { int64_t s_ = (call).i; if (s_ != STATUS(name)) { \
    fprintf(stderr, "%s:%d: %s -> %lld, expected %s (last error: %s)\n", __FILE__, __LINE__, #call, (long long)s_, \
            name, last_error()); failures++; } } while (0)
#define OK(call) do { int64_t s_ = (call).i; if (s_ != 0) { \
    fprintf(stderr, "%s:%d: %s -> %lld: %s\n", __FILE__, __LINE__, #call, (long long)s_, last_error()); exit(1); } } while (0)

/* ------------------------------------------------------------------------
 * Loading and checking the description.
 */

static int kind_allowed(const char *kind, int is_return) {
    return kind && ffi_type_of(kind) && (is_return || strcmp(kind, "void") != 0);
}

static void check_signature(const char *owner, const json *sig) {
    const json *params = get(sig, "params");
    const json *ret = get(sig, "returns");
    size_t i;
    if (!params || params->kind != J_ARRAY || !ret) { fprintf(stderr, "%s: malformed description\n", owner); failures++; return; }
    if (!kind_allowed(get_string(ret, "kind"), 1)) {
        fprintf(stderr, "%s: return kind '%s' is not a scalar or a pointer\n", owner, get_string(ret, "kind"));
        failures++;
    }
    for (i = 0; i < params->count; i++) {
        const json *cb = get(params->items[i], "callback");
        if (!kind_allowed(get_string(params->items[i], "kind"), 0)) {
            fprintf(stderr, "%s: parameter '%s' has kind '%s', not a scalar or a pointer\n", owner,
                    get_string(params->items[i], "name"), get_string(params->items[i], "kind"));
            failures++;
        }
        if (cb) check_signature(owner, cb);
    }
}

static void load_functions(void *lib) {
    const json *list = get(api, "functions");
    size_t i, j;
    if (!list || list->kind != J_ARRAY) die("api.json has no function list", NULL);
    nfunctions = list->count;
    if (!(functions = calloc(nfunctions, sizeof *functions))) die("out of memory", NULL);
    for (i = 0; i < nfunctions; i++) {
        function *f = &functions[i];
        const json *params = get(list->items[i], "params");
        f->desc = list->items[i];
        f->name = get_string(f->desc, "name");
        if (!f->name || !params || params->kind != J_ARRAY) die("malformed function entry in api.json", f->name);
        check_signature(f->name, f->desc);
        f->ret_kind = get_string(get(f->desc, "returns"), "kind");
        f->ret_type = get_string(get(f->desc, "returns"), "type");
        f->nparams = params->count;
        if (f->nparams > MAX_PARAMS) die("too many parameters", f->name);
        for (j = 0; j < f->nparams; j++) {
            f->kinds[j] = get_string(params->items[j], "kind");
            f->types[j] = ffi_type_of(f->kinds[j]);
            if (!f->types[j]) f->types[j] = &ffi_type_pointer; /* reported by check_signature */
        }
        dlerror();
        f->sym.obj = dlsym(lib, f->name);
        if (!f->sym.obj) {
            fprintf(stderr, "api.json describes %s, which the library does not export (%s)\n", f->name, dlerror());
            failures++;
        }
        if (!ffi_type_of(f->ret_kind) ||
            ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)f->nparams, ffi_type_of(f->ret_kind), f->types) != FFI_OK) {
            fprintf(stderr, "%s: ffi_prep_cif failed for the described signature\n", f->name);
            failures++;
            f->sym.obj = NULL;
        }
    }
}

static void check_coverage(const char *lib_path) {
    name_list exports = elf_names(lib_path, 0), described = {NULL, 0};
    size_t i;
    for (i = 0; i < nfunctions; i++) {
        if (list_has(&described, functions[i].name)) {
            fprintf(stderr, "api.json describes %s twice\n", functions[i].name);
            failures++;
        }
        list_add(&described, functions[i].name);
    }
    for (i = 0; i < exports.count; i++)
        if (!list_has(&described, exports.names[i])) {
            fprintf(stderr, "the library exports %s, which api.json does not describe\n", exports.names[i]);
            failures++;
        }
    for (i = 0; i < described.count; i++)
        if (!list_has(&exports, described.names[i])) {
            fprintf(stderr, "api.json describes %s, which is not in the library's dynamic symbol table\n", described.names[i]);
            failures++;
        }
    EXPECT(exports.count > 0 && exports.count == described.count);
    printf("ffi_api: %zu functions described, %zu ember_ exports, all resolved and prepared\n", described.count, exports.count);
    list_free(&exports);
    list_free(&described);
}

static void check_constants(void) {
    EXPECT(STATUS("EMBER_OK") == EMBER_OK);
    EXPECT(STATUS("EMBER_ERR_INVALID_ARGUMENT") == EMBER_ERR_INVALID_ARGUMENT);
    EXPECT(STATUS("EMBER_ERR_INVALID_HANDLE") == EMBER_ERR_INVALID_HANDLE);
    EXPECT(STATUS("EMBER_ERR_SHAPE") == EMBER_ERR_SHAPE);
    EXPECT(STATUS("EMBER_ERR_DTYPE") == EMBER_ERR_DTYPE);
    EXPECT(STATUS("EMBER_ERR_OUT_OF_MEMORY") == EMBER_ERR_OUT_OF_MEMORY);
    EXPECT(STATUS("EMBER_ERR_STATE") == EMBER_ERR_STATE);
    EXPECT(STATUS("EMBER_ERR_IO") == EMBER_ERR_IO);
    EXPECT(STATUS("EMBER_ERR_INTERNAL") == EMBER_ERR_INTERNAL);
    EXPECT(DTYPE("EMBER_FLOAT32") == EMBER_FLOAT32);
    EXPECT(DTYPE("EMBER_FLOAT64") == EMBER_FLOAT64);
    EXPECT(DTYPE("EMBER_INT64") == EMBER_INT64);
    EXPECT(DTYPE("EMBER_BOOL") == EMBER_BOOL);
    EXPECT(constant("constants", "EMBER_DTYPE_INVALID") == (int64_t)(int)EMBER_DTYPE_INVALID);
    EXPECT(constant("constants", "EMBER_VERSION_MAJOR") == EMBER_VERSION_MAJOR);
    EXPECT(constant("constants", "EMBER_VERSION_MINOR") == EMBER_VERSION_MINOR);
    EXPECT(constant("constants", "EMBER_VERSION_PATCH") == EMBER_VERSION_PATCH);
    /* EMBER_END is INT64_MAX, beyond a double's exact range: check its text form instead. */
    EXPECT(get(get(api, "constants"), "EMBER_END") != NULL);
}

/* ------------------------------------------------------------------------
 * A session through libffi.
 */

static void test_tensors_and_autograd(void) {
    const float data[] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[] = {2, 3};
    void *t = NULL, *tt = NULL, *m = NULL, *s = NULL, *g = NULL, *e = NULL, *out = (void *)&failures;
    float mv[4], gv[6];
    double item = -1;
    char version[32];
    const int64_t dt_f32 = DTYPE("EMBER_FLOAT32");

    snprintf(version, sizeof version, "%d.%d.%d", (int)constant("constants", "EMBER_VERSION_MAJOR"),
             (int)constant("constants", "EMBER_VERSION_MINOR"), (int)constant("constants", "EMBER_VERSION_PATCH"));
    EXPECT(!strcmp((const char *)CALL0("ember_version").p, version));
    EXPECT(!strcmp((const char *)CALL("ember_status_name", I(STATUS("EMBER_ERR_SHAPE"))).p, "EMBER_ERR_SHAPE"));
    EXPECT(!strcmp((const char *)CALL("ember_dtype_name", I(DTYPE("EMBER_INT64"))).p, "int64"));

    OK(CALL("ember_tensor_from_data", P(data), I(dt_f32), P(shape), I(2), P(&t)));
    EXPECT(CALL("ember_tensor_numel", P(t)).i == 6);                      /* int64 result */
    EXPECT(CALL("ember_tensor_ndim", P(t)).i == 2);
    EXPECT(CALL("ember_tensor_size", P(t), I(-1)).i == 3);                /* a negative int64 argument */
    EXPECT(CALL("ember_tensor_dtype", P(t)).i == dt_f32);                 /* enum result */
    EXPECT(CALL("ember_tensor_is_contiguous", P(t)).i == 1);              /* bool result */
    OK(CALL("ember_transpose", P(t), I(0), I(1), P(&tt)));
    EXPECT(CALL("ember_tensor_is_contiguous", P(tt)).i == 0);
    OK(CALL("ember_matmul", P(t), P(tt), P(&m)));                         /* [[14, 32], [32, 77]] */
    OK(CALL("ember_tensor_copy_to", P(m), P(mv), U(sizeof mv)));          /* size_t argument */
    EXPECT(mv[0] == 14 && mv[1] == 32 && mv[2] == 32 && mv[3] == 77);
    EXPECT_STATUS(CALL("ember_tensor_copy_to", P(m), P(mv), U(8)), "EMBER_ERR_INVALID_ARGUMENT");
    EXPECT(strstr(last_error(), "ember_tensor_copy_to") != NULL);

    /* Autograd: loss = sum(t * 0.5), dloss/dt = 0.5. */
    OK(CALL("ember_tensor_set_requires_grad", P(t), I(true)));             /* bool argument */
    EXPECT(CALL("ember_tensor_requires_grad", P(t)).i == 1);
    OK(CALL("ember_mul_scalar", P(t), D(0.5), P(&e)));                    /* double argument */
    OK(CALL("ember_sum", P(e), P(&s)));
    OK(CALL("ember_tensor_item", P(s), P(&item)));                        /* double out-parameter */
    EXPECT(item == 10.5);
    OK(CALL("ember_tensor_backward", P(s), P(NULL)));
    OK(CALL("ember_tensor_grad", P(t), P(&g)));
    OK(CALL("ember_tensor_copy_to", P(g), P(gv), U(sizeof gv)));
    EXPECT(gv[0] == 0.5f && gv[5] == 0.5f);
    EXPECT_STATUS(CALL("ember_tensor_backward", P(s), P(NULL)), "EMBER_ERR_STATE");   /* the graph is freed */

    /* Grad mode: a bool in, the previous bool out. */
    EXPECT(CALL("ember_set_grad_enabled", I(false)).i == 1);
    EXPECT(CALL0("ember_is_grad_enabled").i == 0);
    EXPECT(CALL("ember_set_grad_enabled", I(true)).i == 0);

    /* Errors: a status, a NULL out-parameter, a message naming the function and the argument. */
    EXPECT_STATUS(CALL("ember_add", P(NULL), P(t), P(&out)), "EMBER_ERR_INVALID_HANDLE");
    EXPECT(out == NULL);
    EXPECT(strstr(last_error(), "ember_add") && strstr(last_error(), "argument 'a' is NULL"));
    CALL("ember_tensor_free", P(e));
    out = (void *)&failures;
    EXPECT_STATUS(CALL("ember_relu", P(e), P(&out)), "EMBER_ERR_INVALID_HANDLE");
    EXPECT(out == NULL && strstr(last_error(), "freed"));

    CALL("ember_tensor_free", P(t)); CALL("ember_tensor_free", P(tt)); CALL("ember_tensor_free", P(m));
    CALL("ember_tensor_free", P(s)); CALL("ember_tensor_free", P(g));
}

static void test_random_and_creation(void) {
    const int64_t n[] = {4};
    void *a = NULL, *b = NULL, *r = NULL;
    float av[4], bv[4];
    int64_t rv[5];
    CALL("ember_manual_seed", U(UINT64_C(0)));                           /* uint64 argument, void result */
    OK(CALL("ember_tensor_rand", P(n), I(1), I(DTYPE("EMBER_FLOAT32")), P(&a)));
    CALL("ember_manual_seed", U(UINT64_C(0)));
    OK(CALL("ember_tensor_rand", P(n), I(1), I(DTYPE("EMBER_FLOAT32")), P(&b)));
    OK(CALL("ember_tensor_copy_to", P(a), P(av), U(sizeof av)));
    OK(CALL("ember_tensor_copy_to", P(b), P(bv), U(sizeof bv)));
    EXPECT(memcmp(av, bv, sizeof av) == 0);
    EXPECT(av[0] == 0.49625658988952637f);                               /* torch.manual_seed(0); torch.rand(1) */
    OK(CALL("ember_tensor_arange", D(0), D(5), D(1), I(DTYPE("EMBER_INT64")), P(&r)));
    OK(CALL("ember_tensor_copy_to", P(r), P(rv), U(sizeof rv)));
    EXPECT(rv[0] == 0 && rv[4] == 4);
    EXPECT_STATUS(CALL("ember_tensor_zeros", P(n), I(1), I(9), P(&a)), "EMBER_ERR_DTYPE");
    EXPECT(a == NULL);
    CALL("ember_tensor_free", P(b)); CALL("ember_tensor_free", P(r));
}

static void test_module_and_optimizer(void) {
    void *model = NULL, *x = NULL, *y = NULL, *opt = NULL, *w = NULL, *w2 = NULL;
    const int64_t xs[] = {4, 3};
    char summary[256], name[32];
    size_t length = 0;
    double momentum = -1;
    float before[6], after[6];
    int i, changed = 0;
    CALL("ember_manual_seed", U(UINT64_C(1)));
    OK(CALL("ember_module_new", P("Linear"), P("3, 2"), P(&model)));
    OK(CALL("ember_module_summary", P(model), P(summary), U(sizeof summary), P(&length)));
    EXPECT(!strcmp(summary, "Linear(in_features=3, out_features=2, bias=True)") && length == strlen(summary));
    EXPECT(CALL("ember_module_parameter_count", P(model)).i == 2);
    OK(CALL("ember_module_parameter_at", P(model), I(0), P(name), U(sizeof name), P(&w)));
    EXPECT(!strcmp(name, "weight"));
    OK(CALL("ember_tensor_copy_to", P(w), P(before), U(sizeof before)));
    OK(CALL("ember_tensor_ones", P(xs), I(2), I(DTYPE("EMBER_FLOAT32")), P(&x)));
    OK(CALL("ember_module_forward", P(model), P(x), P(&y)));
    EXPECT(CALL("ember_tensor_size", P(y), I(1)).i == 2);
    OK(CALL("ember_sgd_new", P(model), D(0.1), P(&opt)));
    OK(CALL("ember_optimizer_set", P(opt), P("momentum"), D(0.9)));
    OK(CALL("ember_optimizer_get", P(opt), P("momentum"), P(&momentum)));
    EXPECT(momentum == 0.9);
    EXPECT_STATUS(CALL("ember_optimizer_set", P(opt), P("betas"), D(0.9)), "EMBER_ERR_INVALID_ARGUMENT");
    EXPECT(strstr(last_error(), "momentum") != NULL);                    /* the message lists the valid names */
    {
        void *loss = NULL;
        OK(CALL("ember_mean", P(y), P(&loss)));
        OK(CALL("ember_tensor_backward", P(loss), P(NULL)));
        OK(CALL("ember_optimizer_step", P(opt)));
        OK(CALL("ember_optimizer_zero_grad", P(opt)));
        CALL("ember_tensor_free", P(loss));
    }
    OK(CALL("ember_module_parameter", P(model), P("weight"), P(&w2)));
    OK(CALL("ember_tensor_copy_to", P(w2), P(after), U(sizeof after)));
    for (i = 0; i < 6; i++) changed += before[i] != after[i];
    EXPECT(changed == 6);                                               /* every weight had a gradient of 1/2 */
    EXPECT_STATUS(CALL("ember_module_forward", P(opt), P(x), P(&y)), "EMBER_ERR_INVALID_HANDLE");
    EXPECT(y == NULL && strstr(last_error(), "optimizer handle, not a module handle"));
    CALL("ember_optimizer_free", P(opt)); CALL("ember_module_free", P(model));
    CALL("ember_tensor_free", P(x)); CALL("ember_tensor_free", P(w)); CALL("ember_tensor_free", P(w2));
}

/* A custom autograd function whose forward, backward and destroy are libffi
   closures, their signatures taken from the description: y = x^2, dy/dx = 2x. */

typedef struct { ffi_closure *closure; void *code; ffi_cif cif; ffi_type *types[MAX_PARAMS]; } closure;

static const json *callback_signature(const char *function_name, const char *param) {
    const json *params = get(find(function_name)->desc, "params");
    size_t i;
    for (i = 0; params && i < params->count; i++)
        if (!strcmp(get_string(params->items[i], "name"), param)) return get(params->items[i], "callback");
    return NULL;
}

static void make_closure(closure *c, const json *sig, void (*handler)(ffi_cif *, void *, void **, void *), void *user) {
    const json *params = get(sig, "params");
    size_t i;
    if (!sig || !params) die("no callback signature in api.json", NULL);
    for (i = 0; i < params->count && i < MAX_PARAMS; i++) c->types[i] = ffi_type_of(get_string(params->items[i], "kind"));
    c->closure = ffi_closure_alloc(sizeof(ffi_closure), &c->code);
    if (!c->closure) die("ffi_closure_alloc failed", NULL);
    if (ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, (unsigned)params->count, ffi_type_of(get_string(get(sig, "returns"), "kind")),
                     c->types) != FFI_OK ||
        ffi_prep_closure_loc(c->closure, &c->cif, handler, user, c->code) != FFI_OK)
        die("cannot prepare a closure", NULL);
}

static void on_forward(ffi_cif *cif, void *ret, void **args, void *user) {
    void *const *inputs = *(void *const **)args[0];
    int64_t count = *(int64_t *)args[1];
    void **output = *(void ***)args[3];
    (void)cif; (void)user;
    *(ffi_sarg *)ret = count == 1 ? (ffi_sarg)CALL("ember_mul", P(inputs[0]), P(inputs[0]), P(output)).i
                                  : (ffi_sarg)STATUS("EMBER_ERR_INVALID_ARGUMENT");
}

static void on_backward(ffi_cif *cif, void *ret, void **args, void *user) {
    void *grad_output = *(void **)args[0];
    void *const *inputs = *(void *const **)args[1];
    void **grad_inputs = *(void ***)args[4];
    void *twice = NULL;
    int64_t status;
    (void)cif; (void)user;
    status = CALL("ember_mul_scalar", P(inputs[0]), D(2), P(&twice)).i;
    if (status == 0) status = CALL("ember_mul", P(twice), P(grad_output), P(&grad_inputs[0])).i;
    CALL("ember_tensor_free", P(twice));
    *(ffi_sarg *)ret = (ffi_sarg)status;
}

static void on_destroy(ffi_cif *cif, void *ret, void **args, void *user) {
    (void)cif; (void)ret;
    (*(int *)user)++;
    EXPECT(*(int **)args[0] == (int *)user);                             /* user_data reaches destroy */
}

static void test_callbacks_through_closures(void) {
    closure forward, backward, destroy;
    int destroyed = 0;
    const double xv[] = {1, 2, 3};
    const int64_t n[] = {3};
    void *fn = NULL, *x = NULL, *y = NULL, *s = NULL, *g = NULL;
    double yv[3], gv[3];
    make_closure(&forward, callback_signature("ember_function_new", "forward"), on_forward, NULL);
    make_closure(&backward, callback_signature("ember_function_new", "backward"), on_backward, NULL);
    make_closure(&destroy, callback_signature("ember_function_new", "destroy"), on_destroy, &destroyed);
    OK(CALL("ember_function_new", P("FfiSquare"), P(forward.code), P(backward.code), P(&destroyed), P(destroy.code), P(&fn)));
    OK(CALL("ember_tensor_from_data", P(xv), I(DTYPE("EMBER_FLOAT64")), P(n), I(1), P(&x)));
    OK(CALL("ember_tensor_set_requires_grad", P(x), I(true)));
    OK(CALL("ember_function_apply", P(fn), P(&x), I(1), P(&y)));
    OK(CALL("ember_tensor_copy_to", P(y), P(yv), U(sizeof yv)));
    EXPECT(yv[0] == 1 && yv[1] == 4 && yv[2] == 9);
    OK(CALL("ember_sum", P(y), P(&s)));
    OK(CALL("ember_tensor_backward", P(s), P(NULL)));
    OK(CALL("ember_tensor_grad", P(x), P(&g)));
    OK(CALL("ember_tensor_copy_to", P(g), P(gv), U(sizeof gv)));
    EXPECT(gv[0] == 2 && gv[1] == 4 && gv[2] == 6);
    EXPECT_STATUS(CALL("ember_function_apply", P(fn), P(&x), I(0), P(&y)), "EMBER_ERR_INVALID_ARGUMENT");
    EXPECT(y == NULL && strstr(last_error(), "ember_function_apply"));  /* the callback's failure reaches the caller */
    CALL("ember_tensor_free", P(s)); CALL("ember_tensor_free", P(g)); CALL("ember_tensor_free", P(x));
    CALL("ember_function_free", P(fn));
    EXPECT(destroyed == 1);                                              /* the function and its graph are gone */
    ffi_closure_free(forward.closure); ffi_closure_free(backward.closure); ffi_closure_free(destroy.closure);
}

/* Every function once, with zeroed arguments: NULL for every pointer, 0 (or
   false, 0.0) for every scalar. Nothing may crash; a status-returning function
   returns a known status, and when it fails its message names it. */
static void test_every_function_with_zero_arguments(void) {
    value zeros[MAX_PARAMS];
    size_t i, failed = 0, ok = 0;
    int64_t threads = CALL0("ember_get_num_threads").i;
    memset(zeros, 0, sizeof zeros);
    for (i = 0; i < nfunctions; i++) {
        const function *f = &functions[i];
        value r;
        if (!f->sym.obj) continue;
        CALL("ember_set_last_error", P(""));
        r = call_function(f, f->nparams, zeros);
        if (!strcmp(f->ret_type, "ember_status")) {
            if (r.i < STATUS("EMBER_OK") || r.i > STATUS("EMBER_ERR_INTERNAL")) {
                fprintf(stderr, "%s(0...) returned %lld, not an ember_status\n", f->name, (long long)r.i);
                failures++;
            } else if (r.i != 0) {
                failed++;
                if (!strstr(last_error(), f->name)) {
                    fprintf(stderr, "%s(0...) failed with %lld and the message \"%s\", which does not name it\n", f->name,
                            (long long)r.i, last_error());
                    failures++;
                }
                if (r.i == STATUS("EMBER_ERR_INTERNAL")) {
                    fprintf(stderr, "%s(0...) reports an internal error: %s\n", f->name, last_error());
                    failures++;
                }
            } else {
                printf("ffi_api: %s accepts zeroed arguments\n", f->name);
                ok++;
            }
        }
    }
    CALL("ember_set_num_threads", I(threads));
    CALL("ember_set_grad_enabled", I(true));
    CALL("ember_set_last_error", P(NULL));
    EXPECT(!strcmp(last_error(), ""));
    printf("ffi_api: every function called with zeroed arguments: %zu statuses failed cleanly, %zu succeeded\n", failed, ok);
}

int main(int argc, char **argv) {
    const char *lib_path = argc > 1 ? argv[1] : EMBER_FFI_LIB, *api_path = argc > 2 ? argv[2] : EMBER_FFI_API;
    size_t size = 0;
    char *text = read_file(api_path, &size);
    json_cursor cursor;
    json *root;
    void *lib;
    if (!text) die("cannot read", api_path);
    cursor.p = text;
    cursor.end = text + size;
    root = parse_value(&cursor, 0);
    skip_space(&cursor);
    if (!root || cursor.p != cursor.end) die("api.json is not valid JSON", api_path);
    free(text);
    api = root;
    preload_dependencies(lib_path);
    if (!(lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL))) die("dlopen failed", dlerror());

    load_functions(lib);
    check_coverage(lib_path);
    check_constants();
    test_tensors_and_autograd();
    test_random_and_creation();
    test_module_and_optimizer();
    test_callbacks_through_closures();
    test_every_function_with_zero_arguments();

    free(functions);
    json_free(root);
    /* The library stays loaded, as with every FFI: it carries the Swift runtime,
       whose global state dlclose would strand. */
    if (failures) { fprintf(stderr, "ffi_api: %d failure(s)\n", failures); return 1; }
    printf("ffi_api: all passed\n");
    return 0;
}
