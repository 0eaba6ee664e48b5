//! The command line: exit codes, messages on stderr, stdin, several files.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pcap-rca"))
}

#[test]
fn not_a_capture_is_one_line_and_exit_2() {
    let f = fixtures().join("synthetic/not-a-capture.txt");
    let out = bin().arg("analyze").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not-a-capture.txt") && err.contains("text"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_is_exit_2() {
    let out = bin()
        .args(["analyze", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn cut_off_capture_warns_once_and_is_analysed() {
    let f = fixtures().join("synthetic/truncated-mid-record.pcap");
    let out = bin()
        .args(["analyze", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    assert!(err.contains("cut off"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["captures"][0]["packets"], 16);
}

#[test]
fn stdin_gives_the_same_report_as_the_file() {
    let f = fixtures().join("synthetic/pcapng-multi.pcapng.zst");
    let from_file = bin()
        .args(["analyze", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let mut child = bin()
        .args(["analyze", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&f).unwrap())
        .unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert_eq!(from_stdin.status.code(), Some(0));
    let a: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let mut b: serde_json::Value = serde_json::from_slice(&from_stdin.stdout).unwrap();
    assert_eq!(b["captures"][0]["file"], "-");
    b["captures"][0]["file"] = a["captures"][0]["file"].clone();
    assert_eq!(a, b);
}

#[test]
fn several_files_are_one_incident_in_time_order() {
    let d = fixtures().join("synthetic");
    // pcap-le-us (08:00:00) after linktype-sll (08:00:04) on the command line.
    let out = bin()
        .args(["flows", "--format", "json"])
        .arg(d.join("linktype-sll.pcap"))
        .arg(d.join("pcap-le-us.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let flows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let caps: Vec<u64> = flows
        .iter()
        .map(|f| f["capture"].as_u64().unwrap())
        .collect();
    assert!(caps.contains(&0) && caps.contains(&1));
    let ts: Vec<&str> = flows.iter().map(|f| f["ts"].as_str().unwrap()).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted);
    assert_eq!(caps[0], 1, "the earlier capture's flows come first");
    let rep = bin()
        .args(["analyze", "--format", "json"])
        .arg(d.join("linktype-sll.pcap"))
        .arg(d.join("pcap-le-us.pcap"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&rep.stdout).unwrap();
    assert_eq!(v["captures"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["packets"], 16 + 5);
}

#[test]
fn text_report_fits_100_columns() {
    for f in real_fixtures() {
        let out = bin().arg("analyze").arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", f.display());
        let text = String::from_utf8_lossy(&out.stdout);
        // Piped: no colour.
        assert!(!text.contains('\u{1b}'), "{}", f.display());
        for line in text.lines() {
            // File names and Wireshark filters are printed whole; everything else wraps.
            let is_filter = line.trim_start().starts_with("Wireshark filter:");
            if is_filter || line.trim_start().starts_with('/') || line.contains(".pcap") {
                continue;
            }
            assert!(line.chars().count() <= 100, "{}: {line:?}", f.display());
        }
    }
}

#[test]
fn markdown_and_html_formats_and_the_focus_options() {
    let f = fixtures().join("links/dns-tcp-blocked.pcap");
    let md = bin()
        .args(["analyze", "--format", "markdown", "--top", "1"])
        .arg(&f)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.starts_with("# pcap-rca report"), "{md}");
    assert!(md.contains("### 1.") && !md.contains("### 2."), "{md}");
    let html = bin()
        .args(["analyze", "--format", "html", "--server", "10.80.0.54:53"])
        .arg(&f)
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("id=\"cause-2\"") && !html.contains("id=\"cause-1\""));
    let colour = bin()
        .args(["analyze", "--color", "always"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&colour.stdout).contains("\u{1b}["));
}

#[test]
fn flows_text_has_one_row_per_connection() {
    let f = fixtures().join("synthetic/pcap-le-us.pcap");
    let out = bin().arg("flows").arg(&f).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = bin()
        .args(["flows", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(text.lines().count(), rows.len() + 1);
    assert!(text.lines().next().unwrap().contains("history"));
    let tcp = rows.iter().find(|r| r["proto"] == "tcp").unwrap();
    assert_eq!(tcp["conn_state"], "SF");
    assert_eq!(tcp["history"], "ShADadFf");
}

#[test]
fn fail_on_sets_exit_code_1_at_or_above_the_severity() {
    let bad = fixtures().join("syn-dropped-8081.pcap");
    let ok = fixtures().join("healthy-mix.pcap");
    let code = |f: &std::path::Path, sev: &str| {
        bin()
            .args(["analyze", "--fail-on", sev])
            .arg(f)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&bad, "high"), Some(1));
    assert_eq!(code(&bad, "critical"), Some(1));
    assert_eq!(code(&ok, "medium"), Some(0));
    // Without --fail-on an analysis that ran is a success whatever it found.
    assert_eq!(
        bin()
            .arg("analyze")
            .arg(&bad)
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    assert_eq!(code(&bad, "bogus"), Some(2));
}

/// `--ca-bundle` makes a private CA trusted; a bundle without a certificate is a clear error.
#[test]
fn ca_bundle_trusts_a_private_ca() {
    let cap = fixtures().join("tls-ok-12.pcap");
    let causes = |args: &[&std::ffi::OsStr]| {
        let out = bin()
            .arg("analyze")
            .arg("--format")
            .arg("json")
            .args(args)
            .arg(&cap)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["root_causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cause"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(causes(&[]).contains(&"tls_unknown_ca".to_string()));
    let root = fixtures().join("certs/root.pem");
    assert!(causes(&["--ca-bundle".as_ref(), root.as_os_str()]).is_empty());
    let bad = fixtures().join("synthetic/not-a-capture.txt");
    let out = bin()
        .args(["analyze", "--ca-bundle"])
        .arg(&bad)
        .arg(&cap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no PEM certificate"), "{err}");
}

#[test]
fn detectors_lists_every_detector_its_causes_and_tunables() {
    let out = bin().arg("detectors").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for d in pcap_rca::detectors() {
        assert!(text.contains(&format!("{}\n  causes: ", d.id)), "{}", d.id);
        for t in d.tunables {
            assert!(!t.doc.trim().is_empty(), "{} has no documentation", t.name);
            assert!(
                text.contains(&format!("  {} = {}", t.name, t.value)),
                "{}",
                t.name
            );
        }
    }
    assert!(text.contains("WINDOW_NS = 10_000_000_000"));
}
