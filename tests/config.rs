//! `--config FILE.toml`: overrides reach the detectors, mistakes are one line and exit 2, and
//! the template `pcap-rca detectors --format toml` writes reads back without changing a thing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pcap-rca"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A config file holding `text`, in a directory that lives as long as the returned guard.
fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pcap-rca.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn run(args: &[&str], config: Option<&Path>) -> Output {
    let mut c = bin();
    c.args(args);
    if let Some(p) = config {
        c.arg("--config").arg(p);
    }
    c.output().unwrap()
}

/// The JSON report of `capture`, with `config` if given.
fn report(capture: &str, config: Option<&Path>) -> String {
    let f = fixture(capture);
    let out = run(
        &["analyze", "--format", "json", f.to_str().unwrap()],
        config,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{capture}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// (cause, severity) of every finding of a JSON report.
fn findings(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["cause"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn causes(json: &str) -> Vec<String> {
    findings(json).into_iter().map(|(c, _)| c).collect()
}

#[test]
fn raising_a_threshold_makes_a_finding_disappear() {
    let plain = causes(&report("rst-storm.pcap", None));
    assert!(plain.contains(&"rst_storm".into()), "{plain:?}");
    let (_d, cfg) = config("[tcp.rst_storm]\nmin_conns = 1000\nmin_burst_conns = 1000\n");
    let raised = causes(&report("rst-storm.pcap", Some(&cfg)));
    assert!(!raised.contains(&"rst_storm".into()), "{raised:?}");
}

#[test]
fn lowering_a_threshold_makes_a_finding_appear() {
    let plain = causes(&report("reset-midstream.pcap", None));
    assert!(!plain.contains(&"rst_storm".into()), "{plain:?}");
    let (_d, cfg) = config("[tcp.rst_storm]\nMIN_CONNS = 1\nmin_peers = 1\n");
    let lowered = causes(&report("reset-midstream.pcap", Some(&cfg)));
    assert!(lowered.contains(&"rst_storm".into()), "{lowered:?}");
}

#[test]
fn an_override_changes_a_severity() {
    let syn = |cfg: Option<&Path>| findings(&report("syn-dropped-8081.pcap", cfg));
    let critical = vec![("tcp_syn_unanswered".to_string(), "critical".to_string())];
    assert_eq!(syn(None), critical);
    let (_d, cfg) = config(
        "[tcp]\nsyn_unanswered.critical_attempts = 100\nsyn_unanswered.critical_syns = 100\n",
    );
    let high = vec![("tcp_syn_unanswered".to_string(), "high".to_string())];
    assert_eq!(syn(Some(&cfg)), high);
}

/// One line on stderr, exit 2, nothing on stdout.
fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn an_unknown_key_is_one_line_naming_the_file_and_the_key_before_any_capture_is_read() {
    let (_d, cfg) = config("[tcp.syn_unanswered]\nmin_failed = 5\n");
    // The capture does not exist: the config is checked first.
    for args in [
        &["analyze", "/nonexistent/x.pcap"][..],
        &["flows", "/nonexistent/x.pcap"],
        &["detectors"],
    ] {
        let err = one_line_error(&run(args, Some(&cfg)));
        assert!(
            err.contains("pcap-rca.toml: tcp.syn_unanswered.min_failed"),
            "{err}"
        );
        assert!(
            err.contains("critical_attempts") && !err.contains("/nonexistent"),
            "{err}"
        );
    }
}

#[test]
fn bad_values_and_tables_are_one_line_naming_what_was_expected() {
    let cases = [
        (
            "[tcp.syn_unanswered]\ncritical_syns = -1\n",
            "tcp.syn_unanswered.critical_syns: expected a non-negative integer (u64 count, default 3), got -1",
        ),
        (
            "[tls.handshake]\nabort_max_len = 70000\n",
            "expected an integer from 0 to 65535 (u16 bytes, default 40), got 70000",
        ),
        (
            "[tcp.rst_storm]\nwindow_ns = \"ten seconds\"\n",
            "tcp.rst_storm.window_ns: expected a duration",
        ),
        ("[tcp.rst_storm]\nwindow_ns = true\n", "got true"),
        ("[tcp.syn_unanswerd]\n", "did you mean tcp.syn_unanswered?"),
        (
            "[analysis]\nmax_flows = 0\n",
            "analysis.max_flows: expected a positive integer",
        ),
        ("[tcp.rst_storm\n", "TOML syntax error at line 1"),
    ];
    let capture = fixture("rst-storm.pcap");
    for (text, want) in cases {
        let (_d, cfg) = config(text);
        let err = one_line_error(&run(&["analyze", capture.to_str().unwrap()], Some(&cfg)));
        assert!(err.contains(want), "{text}: {err}");
    }
    let err = one_line_error(&run(
        &["analyze", capture.to_str().unwrap()],
        Some(Path::new("/nonexistent/pcap-rca.toml")),
    ));
    assert!(
        err.contains("/nonexistent/pcap-rca.toml: cannot read"),
        "{err}"
    );
}

/// The template `pcap-rca detectors --format toml` prints, for `config` if given.
fn template(config: Option<&Path>) -> String {
    let out = run(&["detectors", "--format", "toml"], config);
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

/// The template with every `#key = value` line (a default) made a setting.
fn uncomment(t: &str) -> String {
    t.lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Captures between them covering every detector that has tunables.
const CAPTURES: &[&str] = &[
    "arp-spoofing.pcap",
    "arp-storm.pcap",
    "arp-unanswered.pcap",
    "capture-loss.pcap",
    "capture-one-sided.pcap",
    "dns-servfail.pcap",
    "dns-tcp.pcap",
    "dns-timeout.pcap",
    "http-duplicate.pcap",
    "http-slow.pcap",
    "links/dns-tcp-blocked.pcap",
    "links/one-client-many-peers.pcap",
    "links/resolver-upstream-servfail.pcap",
    "links/tls-expired-and-weak-dh.pcap",
    "mixed-reject-plus-scan.pcap",
    "pmtu-blackhole.pcap",
    "reset-midstream.pcap",
    "rst-storm.pcap",
    "syn-dropped-8081.pcap",
    "syn-flood.pcap",
    "tls13-cert-rejected.pcap",
    "tls-weak-key.pcap",
    "ttl-exceeded-loop.pcap",
    "zero-window.pcap",
];

#[test]
fn every_tunable_set_to_its_default_changes_no_report() {
    let t = template(None);
    let all = uncomment(&t);
    // Every tunable of every detector is set, under its detector's table.
    for d in pcap_rca::detectors() {
        for tun in d.tunables {
            let table = format!("\n[{}]\n", d.id);
            let at = all.find(&table).unwrap_or_else(|| panic!("no [{}]", d.id));
            let body = all[at + table.len()..].split("\n[").next().unwrap();
            let key = format!("\n{} = ", tun.name.to_ascii_lowercase());
            assert!(
                format!("\n{body}").contains(&key),
                "{}.{} is not in the template",
                d.id,
                tun.name
            );
        }
    }
    let (_d1, as_written) = config(&t);
    let (_d2, every) = config(&all);
    for capture in CAPTURES {
        let plain = report(capture, None);
        assert_eq!(report(capture, Some(&every)), plain, "{capture}");
        assert_eq!(report(capture, Some(&as_written)), plain, "{capture}");
    }
}

#[test]
fn detectors_shows_what_a_config_sets_and_the_template_reads_back() {
    let (_d, cfg) = config(
        "[tcp.syn_unanswered]\ncritical_attempts = 5\nend_grace_ns = \"250ms\"\n\
         [analysis]\ntcp_timeout_ns = \"10min\"\n",
    );
    let out = run(&["detectors"], Some(&cfg));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  CRITICAL_ATTEMPTS = 2 (usize count), set to 5 by "),
        "{text}"
    );
    assert!(
        text.contains("  END_GRACE_NS = 1_000_000_000 (i64 ns, 1s), set to 250ms by "),
        "{text}"
    );
    assert!(text.contains("  CRITICAL_SYNS = 3 (u64 count)\n"), "{text}");
    // The template of a config sets what it sets, and reads back to the same template.
    let t = template(Some(&cfg));
    assert!(
        t.contains("\ncritical_attempts = 5  # usize count, default 2\n"),
        "{t}"
    );
    assert!(
        t.contains("\ntcp_timeout_ns = \"10min\"  # default \"5min\"\n"),
        "{t}"
    );
    assert!(t.contains("\n#critical_syns = 3  # u64 count\n"), "{t}");
    let (_d2, again) = config(&t);
    assert_eq!(template(Some(&again)), t);
}

#[test]
fn the_readme_example_is_a_config_that_sets_what_it_says() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let readme = readme.unwrap();
    let toml = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a TOML example in the README");
    let mut cfg = pcap_rca::Config::default();
    cfg.load_toml(toml).unwrap();
    assert_eq!(
        cfg.tunable("tcp.syn_unanswered", "critical_attempts"),
        Some(pcap_rca::TunableValue::Int(5))
    );
    assert_eq!(cfg.max_records, 500_000);
}

#[test]
fn the_library_checks_tunables_before_reading_a_capture() {
    use pcap_rca::{Config, Error, TunableValue};
    let mut cfg = Config::default();
    cfg.tunables
        .insert("tcp.syn_unanswered.nope".into(), TunableValue::Int(1));
    match pcap_rca::analyze_path("/nonexistent/x.pcap", &cfg) {
        Err(Error::Config(m)) => assert!(m.contains("tcp.syn_unanswered.nope"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut cfg = Config::default();
    cfg.tunables.insert(
        "tcp.syn_unanswered.critical_attempts".into(),
        TunableValue::Int(100),
    );
    cfg.tunables
        .insert("tcp.syn_unanswered.critical_syns".into(), 100i64.into());
    let r = pcap_rca::analyze_path(fixture("syn-dropped-8081.pcap"), &cfg).unwrap();
    assert_eq!(r.findings[0].cause, "tcp_syn_unanswered");
    assert_eq!(r.findings[0].severity, pcap_rca::Severity::High);
}
