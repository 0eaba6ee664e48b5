//! The pipeline runs one way: a module may use only the stages before it (and the shared
//! modules below everything). This test reads every source file under `src/` and fails on any
//! `crate::` path (in a `use` or in code, test code included; comments are skipped) that
//! names a later stage. The order is the newcomer's map in `src/lib.rs`.

use std::path::{Path, PathBuf};

/// The stages in pipeline order; the shared modules come first and use no other module.
const ORDER: &[&str] = &[
    "units", "config", "error", // shared, below everything
    "capture", "decode", "cert", "event", "flow", "analysis", "detect", "explain", "rank",
    "report", "fuzzing",
];
const SHARED: usize = 3;

fn rank_of(module: &str) -> Option<usize> {
    ORDER.iter().position(|m| *m == module)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The stage a source file belongs to (`src/flow/fold.rs` -> `flow`), or None for the crate
/// root and the binary, which may use everything.
fn stage_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Crate modules a file names: `crate::x` anywhere outside comments, and the members of
/// `use crate::{x, y::z}` groups.
fn named_modules(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if rest.starts_with('{') {
                rest = &rest[1..];
                // `use crate::{a, b::c, ...}` possibly over several lines: take the rest of
                // the group from the whole text.
                let start = text.lines().take(n).map(|l| l.len() + 1).sum::<usize>()
                    + (line.len() - rest.len());
                let tail = &text[start..];
                let end = closing_brace(tail);
                for item in group_items(&tail[..end]) {
                    out.push((n + 1, item));
                }
                continue;
            }
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                out.push((n + 1, ident));
            }
        }
    }
    out
}

/// Where the group that `s` is the inside of ends (the `}` matching an already opened `{`).
fn closing_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn group_items(group: &str) -> Vec<String> {
    let mut depth = 0;
    let mut item = String::new();
    let mut out = Vec::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.push(item);
    out.iter()
        .map(|s| {
            s.trim()
                .trim_start_matches('{')
                .split("::")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn no_stage_uses_a_later_one() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for f in &files {
        let Some(stage) = stage_of(&src, f) else {
            continue;
        };
        let Some(me) = rank_of(&stage) else {
            unknown.push(format!("{}: module `{stage}` is not in ORDER", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (line, module) in named_modules(&text) {
            let Some(them) = rank_of(&module) else {
                continue; // an item of the crate root (`crate::Error`-like re-exports are not used inside)
            };
            let allowed = them == me || (me >= SHARED && them < me);
            if !allowed {
                wrong.push(format!(
                    "{}:{line}: stage `{stage}` uses `crate::{module}`",
                    f.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
    assert!(
        wrong.is_empty(),
        "imports against the pipeline's direction:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_groups_and_paths() {
    let text = "use crate::{flow::Conn, report::{a, b}};\nfn f() { crate::units::rfc3339(0); }\n// crate::rank in a comment\n";
    let got: Vec<String> = named_modules(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, vec!["flow", "report", "units"]);
}

#[test]
fn every_module_has_a_place_in_the_order() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for f in files {
        if let Some(stage) = stage_of(&src, &f) {
            assert!(
                rank_of(&stage).is_some(),
                "{}: add `{stage}` to ORDER",
                f.display()
            );
        }
    }
}
