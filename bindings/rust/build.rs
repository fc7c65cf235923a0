//! Finds libember and its headers, and writes the raw bindings (`ffi.rs` in
//! OUT_DIR) from the headers, so the extern declarations always match the
//! library the crate links. No external crates.
//!
//! Where the library comes from, first match wins:
//!   EMBER_LIBRARY       the path of libember.so (or of a directory holding it)
//!   pkg-config ember    its libdir (set PKG_CONFIG_PATH for a private prefix)
//!   ../../build/lib     the library built in this source tree (`make lib`)
//! Where the headers come from: EMBER_INCLUDE_DIR, else pkg-config's
//! includedir, else LIBDIR/../include, else ../../include.
//!
//! The header parser follows tools/gen_api.py's rules: every `ember_*`
//! function declaration, every callback typedef, the opaque handle types and
//! the enum constants. A section header that is present (ember/io.h,
//! ember/dlpack.h) also sets a cfg (`ember_io`, `ember_dlpack`) so the safe
//! layer wraps it.

use std::collections::BTreeSet;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pkg_config(args: &[&str]) -> Option<String> {
    let out = Command::new("pkg-config").args(args).arg("ember").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    if s.is_empty() { None } else { Some(s) }
}

fn main() {
    for var in ["EMBER_LIBRARY", "EMBER_INCLUDE_DIR", "PKG_CONFIG_PATH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(ember_io)");
    println!("cargo:rustc-check-cfg=cfg(ember_dlpack)");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let tree = manifest.join("../..");

    // The library: a directory to search and the name to link.
    let (libdir, link): (PathBuf, String) = if let Ok(path) = env::var("EMBER_LIBRARY") {
        let p = PathBuf::from(&path);
        if p.is_dir() {
            (p, "ember".into())
        } else if p.is_file() {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
            if name == "libember.so" { (dir, "ember".into()) } else { (dir, format!(":+verbatim={name}")) }
        } else {
            panic!("EMBER_LIBRARY={path}: no such file or directory");
        }
    } else if let Some(dir) = pkg_config(&["--variable=libdir"]) {
        (PathBuf::from(dir), "ember".into())
    } else if tree.join("build/lib/libember.so").exists() {
        (tree.join("build/lib"), "ember".into())
    } else {
        panic!(
            "libember not found: set EMBER_LIBRARY to the path of libember.so, or make `pkg-config ember` work \
             (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig after `make install PREFIX=...`), or run `make lib` in the source tree"
        );
    };
    let libdir = fs::canonicalize(&libdir).unwrap_or(libdir);

    let include = env::var("EMBER_INCLUDE_DIR").ok().map(PathBuf::from)
        .or_else(|| pkg_config(&["--variable=includedir"]).map(PathBuf::from))
        .filter(|d| d.join("ember.h").exists())
        .or_else(|| Some(libdir.join("../include")).filter(|d| d.join("ember.h").exists()))
        .unwrap_or_else(|| tree.join("include"));
    if !include.join("ember.h").exists() {
        panic!("ember.h not found in {}: set EMBER_INCLUDE_DIR", include.display());
    }

    if link == "ember" {
        println!("cargo:rustc-link-lib=dylib=ember");
    } else {
        println!("cargo:rustc-link-lib=dylib{link}");
    }
    println!("cargo:rustc-link-search=native={}", libdir.display());
    // The crate's own tests and examples find the library without LD_LIBRARY_PATH.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", libdir.display());

    let mut headers = vec![include.join("ember.h")];
    let mut sections: Vec<_> = fs::read_dir(include.join("ember"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "h")).collect())
        .unwrap_or_default();
    sections.sort();
    headers.extend(sections);
    let mut api = Api::default();
    for h in &headers {
        println!("cargo:rerun-if-changed={}", h.display());
        let name = h.file_name().unwrap().to_string_lossy().to_string();
        if name == "io.h" {
            println!("cargo:rustc-cfg=ember_io");
        }
        if name == "dlpack.h" {
            println!("cargo:rustc-cfg=ember_dlpack");
        }
        let section = if h.parent() == Some(include.as_path()) { name.clone() } else { format!("ember/{name}") };
        api.parse(&fs::read_to_string(h).unwrap(), &section);
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("ffi.rs");
    fs::write(&out, api.render(&include)).unwrap();
}

// ---------------------------------------------------------------------------
// A small C declaration parser: enough for the house style of the headers.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Str,
    Punct(char),
}

fn strip_comments_and_directives(text: &str, defines: &mut Vec<(String, String)>) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut line_start = true;
    // Conditionals: 0 an ordinary one (kept), 1 the C++ branch of
    // `#ifdef __cplusplus` (dropped), 2 its `#else` (kept).
    let mut conds: Vec<u8> = Vec::new();
    while i < b.len() {
        let skipping = conds.contains(&1);
        if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
            let end = text[i + 2..].find("*/").map(|e| i + 2 + e + 2).unwrap_or(b.len());
            out.push(' ');
            i = end;
        } else if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if line_start && b[i] == b'#' {
            let mut directive = String::new();
            while i < b.len() && b[i] != b'\n' {
                if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\n' {
                    i += 2;
                    continue;
                }
                directive.push(b[i] as char);
                i += 1;
            }
            let words: Vec<&str> = directive[1..].split_whitespace().collect();
            match words.first().copied() {
                Some("ifdef") if words.get(1) == Some(&"__cplusplus") => conds.push(1),
                Some("if") if directive.contains("__cplusplus") => conds.push(1),
                Some("if") | Some("ifdef") | Some("ifndef") => conds.push(0),
                Some("else") => {
                    if let Some(top) = conds.last_mut() {
                        if *top == 1 {
                            *top = 2;
                        }
                    }
                }
                Some("endif") => {
                    conds.pop();
                }
                _ => {}
            }
            if !skipping && words.len() >= 3 && words[0] == "define" {
                defines.push((words[1].to_string(), words[2..].join(" ")));
            }
        } else {
            let c = text[i..].chars().next().unwrap();
            if c == '\n' {
                line_start = true;
            } else if !c.is_whitespace() {
                line_start = false;
            }
            if !skipping || c == '\n' {
                out.push(c);
            }
            i += c.len_utf8();
        }
    }
    out
}

fn tokenize(text: &str) -> Vec<Tok> {
    let cs: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Ident(cs[s..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Num(cs[s..i].iter().collect()));
        } else if c == '"' {
            i += 1;
            while i < cs.len() && cs[i] != '"' {
                i += if cs[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            toks.push(Tok::Str);
        } else {
            toks.push(Tok::Punct(c));
            i += 1;
        }
    }
    toks
}

/// Splits at top-level `;`, dropping `extern "C" {` ... `}` wrappers.
fn statements(toks: Vec<Tok>) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut stack: Vec<bool> = Vec::new(); // true for an extern "C" brace
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if *t == Tok::Ident("extern".into()) && toks.get(i + 1) == Some(&Tok::Str) && toks.get(i + 2) == Some(&Tok::Punct('{')) {
            stack.push(true);
            i += 3;
            continue;
        }
        match t {
            Tok::Punct('{') => {
                stack.push(false);
                cur.push(t.clone());
            }
            Tok::Punct('}') => {
                if stack.pop() != Some(true) {
                    cur.push(t.clone());
                }
            }
            Tok::Punct(';') if !stack.contains(&false) => {
                out.push(std::mem::take(&mut cur));
            }
            _ => cur.push(t.clone()),
        }
        i += 1;
    }
    out
}

fn split_commas(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0;
    for t in toks {
        match t {
            Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                parts.push(Vec::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().unwrap().push(t.clone());
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// The index of the `)` matching the `(` at `open`.
fn matching(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

#[derive(Default)]
struct Api {
    opaque: BTreeSet<String>,
    enums: Vec<(String, Vec<(String, String)>)>,
    callbacks: Vec<(String, String)>,
    functions: Vec<(String, String, String)>, // name, header, Rust declaration
    consts: Vec<(String, String, String)>,    // name, type, value
    names: BTreeSet<String>,
}

fn rust_scalar(name: &str) -> Option<&'static str> {
    Some(match name {
        "void" => "c_void",
        "bool" => "bool",
        "char" => "c_char",
        "int" => "c_int",
        "float" => "f32",
        "double" => "f64",
        "int8_t" => "i8",
        "uint8_t" => "u8",
        "int16_t" => "i16",
        "uint16_t" => "u16",
        "int32_t" => "i32",
        "uint32_t" => "u32",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        "size_t" => "usize",
        _ => return None,
    })
}

impl Api {
    fn parse(&mut self, text: &str, header: &str) {
        let mut defines = Vec::new();
        let flat = strip_comments_and_directives(text, &mut defines);
        for (name, value) in defines {
            if !name.starts_with("EMBER_") || name.ends_with("_H") {
                continue;
            }
            let v = value.trim();
            if v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() {
                self.consts.push((name, "i64".into(), v.into()));
            } else if v == "INT64_MAX" {
                self.consts.push((name, "i64".into(), "i64::MAX".into()));
            }
        }
        for st in statements(tokenize(&flat)) {
            let st: Vec<Tok> = st.into_iter().filter(|t| *t != Tok::Ident("EMBER_NODISCARD".into())).collect();
            if st.is_empty() {
                continue;
            }
            if st[0] == Tok::Ident("typedef".into()) {
                self.typedef(&st[1..]);
            } else if let Some(open) = st.iter().position(|t| *t == Tok::Punct('(')) {
                if let Some(Tok::Ident(name)) = st.get(open.wrapping_sub(1)) {
                    if name.starts_with("ember_") {
                        let ret = self.rust_type(&st[..open - 1]);
                        let close = matching(&st, open);
                        let params = self.params(&st[open + 1..close]);
                        let ret = if ret == "c_void" { String::new() } else { format!(" -> {ret}") };
                        self.names.insert(name.clone());
                        self.functions.push((name.clone(), header.into(), format!("pub fn {name}({params}){ret};")));
                    }
                }
            }
        }
    }

    fn typedef(&mut self, t: &[Tok]) {
        let last = match t.last() {
            Some(Tok::Ident(n)) => n.clone(),
            _ => String::new(),
        };
        let is = |i: usize, s: &str| t.get(i) == Some(&Tok::Ident(s.into()));
        let body = t.contains(&Tok::Punct('{'));
        if let Some(p) = t.windows(2).position(|w| w[0] == Tok::Punct('(') && w[1] == Tok::Punct('*')).filter(|_| !body) {
            // A callback: R (*name)(params)
            if let Some(Tok::Ident(name)) = t.get(p + 2) {
                let ret = self.rust_type(&t[..p]);
                let open = p + 4;
                let close = matching(t, open);
                let params = self.params(&t[open + 1..close]);
                let ret = if ret == "c_void" { String::new() } else { format!(" -> {ret}") };
                self.callbacks.push((name.clone(), format!("Option<unsafe extern \"C\" fn({params}){ret}>")));
                self.names.insert(name.clone());
            }
        } else if is(0, "enum") {
            let mut values = Vec::new();
            if let (Some(open), Some(close)) = (t.iter().position(|x| *x == Tok::Punct('{')), t.iter().rposition(|x| *x == Tok::Punct('}'))) {
                for part in split_commas(&t[open + 1..close]) {
                    if let (Some(Tok::Ident(n)), Some(Tok::Punct('=')), Some(Tok::Num(v))) = (part.first(), part.get(1), part.get(2)) {
                        values.push((n.clone(), v.trim_end_matches(['U', 'u', 'L', 'l']).to_string()));
                    }
                }
            }
            if !last.is_empty() && !self.enums.iter().any(|(n, _)| *n == last) {
                self.names.insert(last.clone());
                self.enums.push((last, values));
            }
        } else if is(0, "struct") && !last.is_empty() {
            self.opaque.insert(last);
        }
    }

    fn params(&mut self, t: &[Tok]) -> String {
        if t.is_empty() || (t.len() == 1 && t[0] == Tok::Ident("void".into())) {
            return String::new();
        }
        let mut out = Vec::new();
        for (i, p) in split_commas(t).iter().enumerate() {
            if let Some(fp) = p.windows(2).position(|w| w[0] == Tok::Punct('(') && w[1] == Tok::Punct('*')) {
                let name = match p.get(fp + 2) {
                    Some(Tok::Ident(n)) => n.clone(),
                    _ => format!("arg{i}"),
                };
                let ret = self.rust_type(&p[..fp]);
                let open = fp + 4;
                let close = matching(p, open);
                let params = self.params(&p[open + 1..close]);
                let ret = if ret == "c_void" { String::new() } else { format!(" -> {ret}") };
                out.push(format!("{}: Option<unsafe extern \"C\" fn({params}){ret}>", rust_name(&name)));
                continue;
            }
            let mut p = p.clone();
            let mut extra = 0;
            while p.last() == Some(&Tok::Punct(']')) {
                let open = p.iter().rposition(|x| *x == Tok::Punct('[')).unwrap();
                p.truncate(open);
                extra += 1;
            }
            let idents = p.iter().filter(|x| matches!(x, Tok::Ident(s) if s != "const" && s != "struct")).count();
            let (ty, name) = match p.last() {
                Some(Tok::Ident(n)) if idents >= 2 => (&p[..p.len() - 1], n.clone()),
                _ => (&p[..], format!("arg{i}")),
            };
            let mut ty = self.rust_type(ty);
            for _ in 0..extra {
                ty = format!("*mut {ty}");
            }
            out.push(format!("{}: {ty}", rust_name(&name)));
        }
        out.join(", ")
    }

    /// The Rust spelling of a C type: `const ember_tensor *const *` -> `*const *const ember_tensor`.
    fn rust_type(&mut self, t: &[Tok]) -> String {
        let mut base = String::new();
        let mut base_const = false;
        let mut stars: Vec<bool> = Vec::new(); // per `*`: is the pointer itself const
        for x in t {
            match x {
                Tok::Ident(s) if s == "const" => {
                    if let Some(last) = stars.last_mut() {
                        *last = true;
                    } else {
                        base_const = true;
                    }
                }
                Tok::Ident(s) if s == "struct" || s == "enum" => {}
                Tok::Ident(s) => base = s.clone(),
                Tok::Punct('*') => stars.push(false),
                _ => {}
            }
        }
        let mut ty = match rust_scalar(&base) {
            Some(r) => r.to_string(),
            None => {
                if !self.names.contains(&base) && !stars.is_empty() {
                    self.opaque.insert(base.clone());
                }
                base
            }
        };
        let mut pointee_const = base_const;
        for c in stars {
            ty = format!("{} {ty}", if pointee_const { "*const" } else { "*mut" });
            pointee_const = c;
        }
        ty
    }

    fn render(&self, include: &Path) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "// Generated by build.rs from the headers in {}. Do not edit.", include.display());
        s.push_str("#[allow(unused_imports)]\nuse core::ffi::{c_char, c_int, c_void};\n\n");
        for name in &self.opaque {
            if self.enums.iter().any(|(n, _)| n == name) {
                continue;
            }
            let _ = writeln!(s, "/// The opaque C type `{name}`, only ever used behind a pointer.\n#[repr(C)]\npub struct {name} {{\n    _private: [u8; 0],\n    _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,\n}}\n");
        }
        for (name, values) in &self.enums {
            let _ = writeln!(s, "/// The C enum `{name}`.\npub type {name} = c_int;");
            for (n, v) in values {
                let _ = writeln!(s, "pub const {n}: {name} = {v};");
            }
            s.push('\n');
        }
        for (name, ty, value) in &self.consts {
            let _ = writeln!(s, "pub const {name}: {ty} = {value};");
        }
        s.push('\n');
        for (name, ty) in &self.callbacks {
            let _ = writeln!(s, "/// The callback type `{name}`.\npub type {name} = {ty};");
        }
        s.push_str("\nextern \"C\" {\n");
        for (name, header, decl) in &self.functions {
            let _ = writeln!(s, "    /// `{name}`, declared in `{header}`: see its comment there.\n    {decl}");
        }
        s.push_str("}\n\n/// The name of every function declared above, sorted.\npub const FUNCTIONS: &[&str] = &[\n");
        let mut names: Vec<_> = self.functions.iter().map(|f| f.0.as_str()).collect();
        names.sort();
        for n in names {
            let _ = writeln!(s, "    \"{n}\",");
        }
        s.push_str("];\n");
        s
    }
}

fn rust_name(name: &str) -> String {
    match name {
        "type" | "ref" | "fn" | "mod" | "loop" | "match" | "move" | "self" | "in" | "impl" | "where" | "use" => format!("{name}_"),
        _ => name.to_string(),
    }
}
