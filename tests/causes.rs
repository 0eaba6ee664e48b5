//! Every real fixture capture: the expected root cause ranks first, on the expected server,
//! with the expected verdict (`fixtures/expected/causes.tsv`), and its evidence frames are
//! frames tshark points at too (`fixtures/expected/<name>.facts.tsv`, frame numbers as
//! Wireshark shows them).

mod common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn expected_cause_ranks_first_on_every_fixture() {
    let rows = read_tsv(&fixtures().join("expected/causes.tsv"));
    assert!(rows.len() >= 25, "{} rows", rows.len());
    let mut failures = Vec::new();
    for r in rows {
        let file = &r["file"];
        let path = fixtures().join(file);
        let a = analyze(&path, 2);
        let report = a.report();
        let top = report.root_causes.first();
        let got_cause = top.map_or("-".to_string(), |c| c.cause.clone());
        let got_server = top
            .and_then(|c| c.server.as_ref())
            .map_or("-".to_string(), |s| match s.port {
                Some(p) => format!("{}:{p}", s.ip),
                None => s.ip.clone(),
            });
        // A healthy capture may still list informational or low causes.
        if r["top_cause"] != "-" || top.is_some_and(|c| c.severity >= pcap_rca::Severity::Medium) {
            if got_cause != r["top_cause"] {
                failures.push(format!(
                    "{file}: top cause {got_cause}, want {}",
                    r["top_cause"]
                ));
                continue;
            }
            if r["server"] != "-" && got_server != r["server"] {
                failures.push(format!("{file}: server {got_server}, want {}", r["server"]));
            }
        }
        if report.summary.verdict != r["verdict"] {
            failures.push(format!(
                "{file}: verdict {}, want {}",
                report.summary.verdict, r["verdict"]
            ));
        }
        let Some(top) = top else { continue };
        let packets = report.captures[0].packets;
        assert!(!top.evidence.is_empty(), "{file}: no evidence");
        assert!(
            !top.wireshark_filter.is_empty() || top.layer == pcap_rca::Layer::Capture,
            "{file}: no filter"
        );
        for e in &top.evidence {
            assert!(
                e.frame >= 1 && e.frame <= packets,
                "{file}: evidence frame {} out of range",
                e.frame
            );
        }
        let facts = fixtures().join(format!(
            "expected/{}.facts.tsv",
            path.file_stem().unwrap().to_string_lossy()
        ));
        if facts.exists() {
            let fact_frames: BTreeSet<u64> = read_tsv(&facts)
                .iter()
                .filter_map(|r| r.get("frame").and_then(|f| f.parse().ok()))
                .collect();
            let ours: BTreeSet<u64> = top.evidence.iter().map(|e| e.frame).collect();
            if ours.is_disjoint(&fact_frames) {
                failures.push(format!(
                    "{file}: evidence frames {ours:?} share none with tshark's {fact_frames:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// In the mixed captures the cause that breaks the service outranks the noise around it.
#[test]
fn the_breaking_cause_outranks_the_noise() {
    for (file, first, noise) in [
        (
            "mixed-dropped-plus-noise.pcap",
            "tcp_syn_unanswered",
            "tcp_retransmissions",
        ),
        (
            "mixed-reject-plus-scan.pcap",
            "tcp_rejected_rst",
            "port_scan",
        ),
        (
            "mixed-loss-plus-zero-window.pcap",
            "tcp_retransmissions",
            "tcp_zero_window",
        ),
    ] {
        let r = analyze(&fixtures().join(file), 2).report();
        assert_eq!(r.root_causes[0].cause, first, "{file}");
        let n = r.root_causes.iter().position(|c| c.cause == noise);
        if let Some(n) = n {
            assert!(n > 0, "{file}: {noise} ranked first");
        }
    }
}

/// Names learned from DNS answers are put on servers across the report, and only the name
/// that failed is blamed when a working name coexists with a typo.
#[test]
fn names_reach_servers_and_only_the_failing_name_is_blamed() {
    let r = analyze(&fixtures().join("mixed-dns-nxdomain-plus-ok.pcap"), 2).report();
    let dns: Vec<_> = r
        .root_causes
        .iter()
        .filter(|c| c.cause.starts_with("dns_"))
        .collect();
    assert_eq!(
        dns.len(),
        1,
        "{:?}",
        dns.iter().map(|c| &c.title).collect::<Vec<_>>()
    );
    assert!(
        dns[0].title.contains("fpdk.exmaple.gov"),
        "{}",
        dns[0].title
    );
    assert!(
        dns[0].explanation.contains("no connection"),
        "{}",
        dns[0].explanation
    );
    let r = analyze(&fixtures().join("mixed-dropped-plus-noise.pcap"), 2).report();
    let top = &r.root_causes[0];
    assert_eq!(
        top.server.as_ref().and_then(|s| s.name.as_deref()),
        Some("fpdk.example")
    );
    assert!(
        top.title.contains("fpdk.example (10.30.0.5:8081)"),
        "{}",
        top.title
    );
}

/// A client retrying after 503 answers is not a duplicate-request problem: the 503 is.
#[test]
fn retries_after_errors_are_not_duplicates() {
    let r = analyze(&fixtures().join("http-503.pcap"), 1).report();
    assert!(
        r.root_causes
            .iter()
            .all(|c| c.cause != "http_duplicate_request")
    );
    let r = analyze(&fixtures().join("http-duplicate.pcap"), 1).report();
    assert_eq!(r.root_causes[0].cause, "http_duplicate_request");
}

/// With a record budget of zero every finished flow is folded (see `pcap_rca::flow::fold`):
/// the detectors then see one record per server and outcome. On every fixture the top cause,
/// its server, the verdict and the flow count stay the same.
#[test]
fn folding_every_flow_keeps_the_top_cause_on_every_fixture() {
    let rows = read_tsv(&fixtures().join("expected/causes.tsv"));
    let mut failures = Vec::new();
    for r in rows {
        let file = &r["file"];
        let path = fixtures().join(file);
        let plain = analyze(&path, 1);
        let mut cfg = pcap_rca::Config::default();
        cfg.threads = 1;
        cfg.max_records = 0;
        let folded = pcap_rca::analyze_inputs(&[pcap_rca::Input::Path(path.clone())], &cfg)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let (p, f) = (plain.report(), folded.report());
        let top = |r: &pcap_rca::Report| {
            r.root_causes.first().map(|c| {
                (
                    c.cause.clone(),
                    c.server.as_ref().map(|s| (s.ip.clone(), s.port)),
                )
            })
        };
        if top(&p) != top(&f) || p.summary.verdict != f.summary.verdict {
            failures.push(format!("{file}: {:?} became {:?}", top(&p), top(&f)));
        }
        if p.summary.flows != f.summary.flows {
            failures.push(format!(
                "{file}: {} flows became {}",
                p.summary.flows, f.summary.flows
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
