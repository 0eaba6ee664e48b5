//! Every capture of the public corpus (`../shared/corpus`, see its MANIFEST.md): analysed
//! without a panic, within a time bound, with `capinfos`' packet count, and the same report
//! whatever the thread count or chunk size.

mod common;

use std::time::{Duration, Instant};

use common::*;
use pcap_rca::Input;

#[test]
fn every_corpus_capture_is_read_with_capinfos_counts() {
    let Some(dir) = corpus() else {
        eprintln!("no ../shared/corpus: skipped");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.md")).unwrap();
    let files = files_under(&dir, &["pcap", "pcapng"]);
    assert!(files.len() >= 30, "corpus has {} captures", files.len());
    for path in files {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let start = Instant::now();
        let res = pcap_rca::analyze_inputs(&[Input::Path(path.clone())], &cfg(2));
        let took = start.elapsed();
        assert!(took < Duration::from_secs(60), "{rel}: took {took:?}");
        let a = res.unwrap_or_else(|e| panic!("{rel}: {e}"));
        let c = &a.captures[0];
        assert_eq!(
            c.decoded_packets + c.truncated_packets + c.undecoded_packets,
            c.meta.packets,
            "{rel}: every packet accounted for"
        );
        let want = capinfos_count(&path).or_else(|| manifest_count(&manifest, &rel));
        match want {
            Some(n) => assert_eq!(c.meta.packets, n, "{rel}: packets vs capinfos"),
            None => {
                // capinfos cannot read it (a corrupt record): we keep what precedes the
                // corruption and say so.
                assert!(!c.meta.warnings.is_empty(), "{rel}: corrupt but no warning");
            }
        }
    }
}

#[test]
fn corrupt_record_keeps_the_frames_before_it() {
    let Some(dir) = corpus() else { return };
    let a = analyze(
        &dir.join("suricata-verify/tls_DER-incomplete-header.pcap"),
        1,
    );
    let c = &a.captures[0];
    assert_eq!(c.meta.packets, 6, "{:?}", c.meta.warnings);
    assert_eq!(c.meta.warnings.len(), 1);
    assert!(
        c.meta.warnings[0].contains("4325376"),
        "{}",
        c.meta.warnings[0]
    );
}

/// Zeek's conn.log baselines quoted in the manifest.
#[test]
fn zeek_conn_states_agree() {
    let Some(dir) = corpus() else { return };
    let cases = [
        ("zeek/tcp-single-rst.pcap", vec![("OTH", "R")]),
        (
            "zeek/tcp-syn-then-stuff-then-rst.pcap",
            vec![("OTH", "SaFR")],
        ),
        ("zeek/q-in-q.pcap", vec![("S0", "D"), ("S0", "D")]),
    ];
    for (file, want) in cases {
        let a = analyze(&dir.join(file), 1);
        let got: Vec<(&str, &str)> = a
            .flows
            .iter()
            .map(|f| (f.conn_state.as_str(), f.history.as_str()))
            .collect();
        assert_eq!(got, want, "{file}");
    }
    // q-in-q: Zeek reports 36 payload bytes and 92 IP bytes for the first flow.
    let a = analyze(&dir.join("zeek/q-in-q.pcap"), 1);
    assert_eq!((a.flows[0].orig_bytes, a.flows[0].orig_ip_bytes), (36, 92));
}

fn clock_jumps_back(path: &std::path::Path) -> bool {
    let mut max = i64::MIN;
    decode_all(path).iter().any(|p| {
        let back = p.ts_ns < max.saturating_sub(60_000_000_000);
        max = max.max(p.ts_ns);
        back
    })
}

#[test]
fn the_report_does_not_depend_on_threads_or_chunk_size() {
    let mut files = real_fixtures();
    files.extend(files_under(
        &fixtures().join("synthetic"),
        &["pcap", "pcapng"],
    ));
    if let Some(dir) = corpus() {
        files.extend(files_under(&dir, &["pcap", "pcapng"]));
    }
    for path in files {
        let run = |threads: usize, chunk: usize| {
            let mut c = cfg(threads);
            c.chunk_bytes = chunk;
            let a = pcap_rca::analyze_inputs(&[Input::Path(path.clone())], &c)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            outputs(&a)
        };
        let one = run(1, 1 << 22);
        let name = path.display().to_string();
        assert_same_text(&one, &run(4, 1 << 22), &format!("{name}: --threads 1 vs 4"));
        // Flows expire against each batch's latest time, so where the clock jumps backwards
        // by more than an idle timeout, flow boundaries near the jump may follow the chunk
        // size. Everywhere else the chunk size changes nothing.
        if !clock_jumps_back(&path) {
            assert_same_text(&one, &run(3, 1000), &format!("{name}: small chunks"));
        }
    }
}

/// TLS peers' expectations from the manifest: Zeek's protocol_version aborts, Arkime's RC4 and
/// TLS 1.0 sessions, and the two healthy traps (a warning alert, a clean ECDHE session).
#[test]
fn tls_expectations_agree() {
    let Some(dir) = corpus() else { return };
    let top = |f: &str| {
        let r = analyze(&dir.join(f), 1).report();
        (
            r.summary.verdict.clone(),
            r.root_causes
                .iter()
                .map(|c| c.cause.clone())
                .collect::<Vec<_>>(),
        )
    };
    let (v, c) = top("zeek/tls13-ff52-aborted-protocol-version.pcap");
    assert_eq!(
        (v.as_str(), c[0].as_str()),
        ("problems_found", "tls_version_mismatch")
    );
    let (_, c) = top("arkime/tls1-rc4.pcap");
    assert!(
        c.contains(&"tls_weak_cipher".to_string())
            && c.contains(&"tls_obsolete_version".to_string()),
        "{c:?}"
    );
    let (_, c) = top("suricata-verify/sslv2-hello-upgrade.pcap");
    assert_eq!(c[0], "tls_obsolete_version");
    // nDPI: the 2011-2013 certificate seen in a 1999 capture is not yet valid (capture time).
    let (_, c) = top("ndpi/tls-rdn-extract.pcap");
    assert_eq!(c[0], "tls_cert_not_yet_valid");
    // nDPI: SNI www.internetbadguys.com answered with a block-page certificate.
    let (_, c) = top("ndpi/malware-cert-mismatch.pcapng");
    assert!(c.contains(&"tls_hostname_mismatch".to_string()), "{c:?}");
    // The clean 2013 Google session stays healthy. Its chain ends at GeoTrust Global CA, which
    // today's Mozilla store no longer holds: that shows as a low `tls_unknown_ca` (the store
    // is today's, not the capture's; the client accepted the chain).
    let r = analyze(&dir.join("zeek/tls12-ecdhe-clean.pcap"), 1).report();
    assert_eq!(r.summary.verdict, "healthy");
    assert!(
        r.root_causes
            .iter()
            .all(|c| c.severity <= pcap_rca::Severity::Low)
    );
    // The warning alert is not a failure; its expired certificate (2011, seen in 2015) is
    // reported, but as low: the client accepted it and the session worked.
    let r = analyze(&dir.join("zeek/tls-early-alert-warning.pcap"), 1).report();
    assert_eq!(r.summary.verdict, "healthy");
    assert!(r.root_causes.iter().all(|c| c.cause != "tls_alert"));
}

/// With every finished flow folded (a record budget of zero, see `pcap_rca::flow::fold`),
/// every corpus capture keeps its verdict, its flow count and its top cause, and its report
/// does not depend on the thread count.
#[test]
fn folding_every_flow_keeps_the_verdict_on_every_corpus_capture() {
    let Some(dir) = corpus() else { return };
    let mut failures = Vec::new();
    for path in files_under(&dir, &["pcap", "pcapng", "gz", "zst"]) {
        let run = |max_records: usize, threads: usize| {
            let mut c = cfg(threads);
            c.max_records = max_records;
            pcap_rca::analyze_inputs(&[Input::Path(path.clone())], &c)
                .ok()
                .map(|a| a.report())
        };
        let (Some(p), Some(f)) = (run(usize::MAX, 1), run(0, 1)) else {
            continue;
        };
        // Folded, the report still does not depend on the thread count.
        if let Some(f4) = run(0, 4) {
            if f4.to_json() != f.to_json() {
                failures.push(format!(
                    "{}: folded, 1 and 4 threads differ",
                    path.display()
                ));
            }
        }
        let top = |r: &pcap_rca::Report| {
            r.root_causes.first().map(|c| {
                (
                    c.cause.clone(),
                    c.server.as_ref().map(|s| (s.ip.clone(), s.port)),
                )
            })
        };
        if (top(&p), &p.summary.verdict, p.summary.flows)
            != (top(&f), &f.summary.verdict, f.summary.flows)
        {
            failures.push(format!(
                "{}: {:?} {} {} became {:?} {} {}",
                path.display(),
                top(&p),
                p.summary.verdict,
                p.summary.flows,
                top(&f),
                f.summary.verdict,
                f.summary.flows
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
