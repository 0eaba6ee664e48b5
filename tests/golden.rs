//! Golden reports: the JSON report and the flow table of every fixture capture, compared
//! with `fixtures/golden/`. Rewrite them with `UPDATE_GOLDEN=1 cargo test --test golden`
//! and review the diff like code.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use pcap_rca::Input;

fn golden_inputs() -> Vec<PathBuf> {
    let mut v = real_fixtures();
    v.extend(files_under(
        &fixtures().join("synthetic"),
        &["pcap", "pcapng"],
    ));
    v.into_iter()
        .map(|p| p.strip_prefix(root()).map(Path::to_path_buf).unwrap_or(p))
        .collect()
}

#[test]
fn reports_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = fixtures().join("golden");
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for rel in golden_inputs() {
        // Relative paths keep the `file` field stable wherever the checkout lives.
        let a = pcap_rca::analyze_inputs(&[Input::Path(root().join(&rel))], &cfg(2)).unwrap();
        let mut report = a.report();
        report.captures[0].file = rel.to_string_lossy().replace('\\', "/");
        let got = format!(
            "{}{}\n",
            report.to_json(),
            serde_json::to_string_pretty(&a.flows).unwrap()
        );
        let name = rel.file_name().unwrap().to_string_lossy().to_string();
        let sub = if rel.starts_with("fixtures/synthetic") {
            "synthetic-"
        } else {
            ""
        };
        let golden = dir.join(format!("{sub}{name}.json"));
        if update {
            std::fs::write(&golden, &got).unwrap();
        } else {
            let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
                panic!(
                    "{} missing: run UPDATE_GOLDEN=1 cargo test --test golden",
                    golden.display()
                )
            });
            assert_same_text(&got, &want, &golden.display().to_string());
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} golden files");
}

/// Every TCP conversation tshark sees in the real fixtures, with the same first frame,
/// endpoints, and packets and bytes each way (`fixtures/expected/*.tcpconv.tsv`).
#[test]
fn tcp_flows_match_tshark_conversations() {
    let expected = fixtures().join("expected");
    let mut compared = 0;
    for path in real_fixtures() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let conv = expected.join(format!("{stem}.tcpconv.tsv"));
        if !conv.exists() {
            continue;
        }
        let a = analyze(&path, 2);
        let tcp: Vec<_> = a
            .flows
            .iter()
            .filter(|f| f.proto == pcap_rca::Proto::Tcp)
            .collect();
        let rows = read_tsv(&conv);
        assert_eq!(tcp.len(), rows.len(), "{stem}: number of TCP conversations");
        for r in rows {
            let ff: u64 = r["first_frame"].parse().unwrap();
            let f = tcp
                .iter()
                .find(|f| f.first_frame == ff)
                .unwrap_or_else(|| panic!("{stem}: no flow starting at frame {ff}"));
            let ours_orig = (f.orig_ip.to_string(), f.orig_port.to_string());
            let theirs_orig = (r["orig_ip"].clone(), r["orig_port"].clone());
            let (op, rp, ob, rb) = if ours_orig == theirs_orig {
                (
                    f.orig_pkts,
                    f.resp_pkts,
                    f.orig_wire_bytes,
                    f.resp_wire_bytes,
                )
            } else {
                (
                    f.resp_pkts,
                    f.orig_pkts,
                    f.resp_wire_bytes,
                    f.orig_wire_bytes,
                )
            };
            let ctx = format!("{stem} frame {ff}");
            // tshark counts ICMP errors that quote a segment of the connection as part of it
            // (its TCP dissector runs on the quoted header); we count them as ICMP.
            let quoting = a
                .icmp_errors
                .iter()
                .filter(|e| {
                    e.icmp.quoted.is_some_and(|q| {
                        q.proto == 6
                            && ((q.src == f.orig_ip
                                && q.src_port == f.orig_port
                                && q.dst == f.resp_ip
                                && q.dst_port == f.resp_port)
                                || (q.src == f.resp_ip
                                    && q.src_port == f.resp_port
                                    && q.dst == f.orig_ip
                                    && q.dst_port == f.orig_port))
                    })
                })
                .count() as u64;
            if quoting > 0 {
                let theirs: u64 =
                    r["orig_pkts"].parse::<u64>().unwrap() + r["resp_pkts"].parse::<u64>().unwrap();
                assert_eq!(
                    op + rp + quoting,
                    theirs,
                    "{ctx}: packets (with {quoting} quoting ICMP errors)"
                );
                compared += 1;
                continue;
            }
            assert_eq!(op.to_string(), r["orig_pkts"], "{ctx}: orig packets");
            assert_eq!(rp.to_string(), r["resp_pkts"], "{ctx}: resp packets");
            assert_eq!(ob.to_string(), r["orig_bytes"], "{ctx}: orig bytes");
            assert_eq!(rb.to_string(), r["resp_bytes"], "{ctx}: resp bytes");
            compared += 1;
        }
    }
    if fixtures().join("healthy-mix.pcap").exists() {
        assert!(compared > 0, "no conversation compared");
    }
}

/// Packet counts of the real fixtures equal `capinfos -c` (recorded in
/// `fixtures/expected/counts.tsv`, and re-checked live when capinfos is installed).
#[test]
fn fixture_counts_match_capinfos() {
    let counts = fixtures().join("expected/counts.tsv");
    if !counts.exists() {
        return;
    }
    for r in read_tsv(&counts) {
        let path = fixtures().join(&r["file"]);
        let a = analyze(&path, 1);
        assert_eq!(
            a.captures[0].meta.packets.to_string(),
            r["packets"],
            "{}",
            r["file"]
        );
        if let Some(n) = capinfos_count(&path) {
            assert_eq!(
                a.captures[0].meta.packets, n,
                "{} (live capinfos)",
                r["file"]
            );
        }
    }
}
