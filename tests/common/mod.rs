//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_rca::capture::{Batch, FrameReader, Input};
use pcap_rca::decode::{self, Packet};
use pcap_rca::{Analysis, Config};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// The public capture corpus shared by the projects (`../shared/corpus`), if present.
pub fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    p.join("MANIFEST.md").exists().then_some(p)
}

/// Every capture-like file under `dir` (recursively), sorted.
pub fn files_under(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.is_empty()
                || exts
                    .iter()
                    .any(|x| p.to_string_lossy().ends_with(&format!(".{x}")))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The real (non-synthetic) fixture captures under `fixtures/`.
pub fn real_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file() && (p.extension().is_some_and(|e| e == "pcap" || e == "pcapng")));
    v.sort();
    v
}

pub fn cfg(threads: usize) -> Config {
    let mut c = Config::default();
    c.threads = threads;
    c
}

pub fn analyze(path: &Path, threads: usize) -> Analysis {
    pcap_rca::analyze_inputs(&[Input::Path(path.to_path_buf())], &cfg(threads))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every frame of a capture decoded on its own (frame number -> packet).
pub fn decode_all(path: &Path) -> Vec<Packet> {
    let mut r = FrameReader::open(&Input::Path(path.to_path_buf())).unwrap();
    let mut b = Batch::default();
    let mut out = Vec::new();
    while r.next_batch(&mut b).unwrap() {
        for f in &b.frames {
            out.push(decode::decode(
                0,
                f.number,
                f.ts_ns,
                f.linktype,
                b.data(f),
                f.origlen,
                f.malformed,
            ));
        }
    }
    out
}

/// `capinfos -c` for a file, when capinfos is installed and can read it.
pub fn capinfos_count(path: &Path) -> Option<u64> {
    let out = Command::new("capinfos")
        .args(["-c", "-M"])
        .arg(path)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Number of packets:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Packet count the corpus manifest quotes from capinfos for `rel` (e.g. `zeek/q-in-q.pcap`).
pub fn manifest_count(manifest: &str, rel: &str) -> Option<u64> {
    let needle = format!("| `{rel}` |");
    let line = manifest.lines().find(|l| l.starts_with(&needle))?;
    let i = line.find(" packets (capinfos)")?;
    let digits: String = line[..i]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// Reads a tab-separated file with a header line into maps.
pub fn read_tsv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Parses "1772352000.123456789" into nanoseconds.
pub fn epoch_ns(s: &str) -> i64 {
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let mut frac = frac.to_string();
    while frac.len() < 9 {
        frac.push('0');
    }
    sec.parse::<i64>().unwrap() * 1_000_000_000 + frac[..9].parse::<i64>().unwrap()
}

/// The report and flows of an analysis as JSON text (what determinism is judged on).
pub fn outputs(a: &Analysis) -> String {
    format!(
        "{}\n{}",
        a.report().to_json(),
        serde_json::to_string_pretty(&a.flows).unwrap()
    )
}

/// Asserts two long texts are equal, showing only the first differing line.
pub fn assert_same_text(a: &str, b: &str, what: &str) {
    if a == b {
        return;
    }
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            panic!("{what}: first difference at line {}:\n  {x}\n  {y}", i + 1);
        }
    }
    panic!(
        "{what}: lengths differ ({} vs {} lines)",
        a.lines().count(),
        b.lines().count()
    );
}
