//! Every container format and link type, checked against what tshark and capinfos say about
//! the synthetic edge-case captures in `fixtures/synthetic/` (see its README).

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::*;
use pcap_rca::decode::{DecodeStatus, Network, Transport};

#[test]
fn capinfos_counts_link_types_and_times_match() {
    let dir = fixtures().join("synthetic");
    for row in read_tsv(&dir.join("expected.tsv")) {
        let file = &row["file"];
        let path = dir.join(file);
        if row["packets"] == "-" {
            continue;
        }
        let a = analyze(&path, 2);
        let c = &a.captures[0];
        let want: u64 = row["packets"].parse().unwrap();
        assert_eq!(c.meta.packets, want, "{file}: packet count");
        let lts: Vec<String> = c.meta.link_types.iter().map(|l| l.to_string()).collect();
        let mut want_lts: Vec<String> = row["link_types"].split(',').map(String::from).collect();
        want_lts.dedup();
        let mut uniq = Vec::new();
        for l in want_lts {
            if !uniq.contains(&l) {
                uniq.push(l);
            }
        }
        assert_eq!(lts, uniq, "{file}: link types");
        let cut = file.starts_with("truncated-");
        assert_eq!(
            c.meta.warnings.len(),
            usize::from(cut),
            "{file}: {:?}",
            c.meta.warnings
        );
        if row["first_ts"] != "-" {
            let report = a.report();
            let got = report.captures[0].first_ts.clone().unwrap();
            assert_eq!(got[..26], row["first_ts"][..26], "{file}: first_ts");
            let got = report.captures[0].last_ts.clone().unwrap();
            assert_eq!(got[..26], row["last_ts"][..26], "{file}: last_ts");
        }
    }
}

fn proto_name(p: &pcap_rca::decode::Packet) -> &'static str {
    match &p.net {
        Network::Arp(_) => "arp",
        Network::Ip(ip) => match ip.transport {
            Transport::Tcp(_) => "tcp",
            Transport::Udp(_) => "udp",
            Transport::Icmp(i) if i.v6 => "icmpv6",
            Transport::Icmp(_) => "icmp",
            _ => "other",
        },
        _ => "other",
    }
}

/// Frame by frame: numbering, link type, lengths, timestamps to the nanosecond, addresses,
/// protocol and ports, as tshark decodes them.
#[test]
fn every_frame_matches_tshark() {
    let dir = fixtures().join("synthetic");
    let rows = read_tsv(&dir.join("frames.tsv"));
    let mut by_file: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for r in rows {
        by_file.entry(r["file"].clone()).or_default().push(r);
    }
    assert!(
        by_file.len() >= 20,
        "frames.tsv covers {} files",
        by_file.len()
    );
    for (file, rows) in by_file {
        let packets = decode_all(&dir.join(&file));
        let by_frame: BTreeMap<u64, _> = packets.iter().map(|p| (p.frame, p)).collect();
        for r in rows {
            let n: u64 = r["frame"].parse().unwrap();
            let ctx = format!("{file} frame {n}");
            if r["linktype"] == "-" {
                // A pcapng custom block: a frame to Wireshark, not a packet.
                assert!(
                    !by_frame.contains_key(&n),
                    "{ctx}: custom block decoded as packet"
                );
                continue;
            }
            let p = by_frame.get(&n).unwrap_or_else(|| panic!("{ctx}: missing"));
            assert_eq!(p.linktype.to_string(), r["linktype"], "{ctx}: linktype");
            assert_eq!(p.caplen.to_string(), r["caplen"], "{ctx}: caplen");
            assert_eq!(p.wire_len.to_string(), r["origlen"], "{ctx}: origlen");
            if r["time_epoch"] != "-" {
                assert_eq!(p.ts_ns, epoch_ns(&r["time_epoch"]), "{ctx}: timestamp");
            }
            if p.status == DecodeStatus::Undecodable {
                // tshark shows what it can of malformed headers; we count them instead.
                assert_ne!(r["tshark_protocols"], "", "{ctx}");
                continue;
            }
            if r["ip_src"] != "-" {
                let ip = p
                    .ip()
                    .unwrap_or_else(|| panic!("{ctx}: no IP layer ({:?})", p.status));
                assert_eq!(ip.src, r["ip_src"].parse::<IpAddr>().unwrap(), "{ctx}: src");
                assert_eq!(ip.dst, r["ip_dst"].parse::<IpAddr>().unwrap(), "{ctx}: dst");
            }
            if p.status == DecodeStatus::Truncated && proto_name(p) == "other" {
                // A transport header cut before its fixed part ends (tshark still shows the
                // ports of a 10-byte TCP stub): counted as truncated, kept out of flows.
                continue;
            }
            assert_eq!(proto_name(p), r["proto"], "{ctx}: protocol");
            if r["src_port"] != "-" {
                let (sp, dp) = match p.ip().map(|i| i.transport) {
                    Some(Transport::Tcp(t)) => (t.src_port, t.dst_port),
                    Some(Transport::Udp(u)) => (u.src_port, u.dst_port),
                    other => panic!("{ctx}: no ports in {other:?}"),
                };
                assert_eq!(sp.to_string(), r["src_port"], "{ctx}: src port");
                assert_eq!(dp.to_string(), r["dst_port"], "{ctx}: dst port");
            }
        }
    }
}

#[test]
fn byte_orders_and_resolutions_give_identical_analyses() {
    let dir = fixtures().join("synthetic");
    let base = outputs_without_names(&analyze(&dir.join("pcap-le-us.pcap"), 1));
    for f in ["pcap-be-us.pcap", "pcap-le-us.pcap.gz"] {
        assert_eq!(
            outputs_without_names(&analyze(&dir.join(f), 1)),
            base,
            "{f}"
        );
    }
    // Nanosecond files carry finer timestamps but the same flows.
    let ns = analyze(&dir.join("pcap-le-ns.pcap"), 1);
    let be_ns = analyze(&dir.join("pcap-be-ns.pcap"), 1);
    let gz_ns = analyze(&dir.join("compressed-no-extension.bin"), 1);
    assert_eq!(outputs_without_names(&ns), outputs_without_names(&be_ns));
    assert_eq!(outputs_without_names(&ns), outputs_without_names(&gz_ns));
    assert_eq!(
        ns.flows.len(),
        analyze(&dir.join("pcap-le-us.pcap"), 1).flows.len()
    );
}

fn outputs_without_names(a: &pcap_rca::Analysis) -> String {
    let mut r = a.report();
    for c in &mut r.captures {
        c.file.clear();
        c.compression.clear();
        c.bytes = 0;
    }
    format!(
        "{}{}",
        r.to_json(),
        serde_json::to_string(&a.flows).unwrap()
    )
}

#[test]
fn compression_is_detected_by_content() {
    let dir = fixtures().join("synthetic");
    let a = analyze(&dir.join("compressed-no-extension.bin"), 1);
    assert_eq!(a.report().captures[0].compression, "gzip");
    let a = analyze(&dir.join("pcapng-multi.pcapng.zst"), 1);
    assert_eq!(a.report().captures[0].compression, "zstd");
    assert_eq!(a.captures[0].meta.packets, 11);
}

#[test]
fn non_captures_are_refused_with_what_they_look_like() {
    let dir = fixtures().join("synthetic");
    for (f, what) in [("not-a-capture.txt", "text"), ("not-a-capture.png", "PNG")] {
        let err = pcap_rca::analyze_path(dir.join(f), &cfg(1)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, pcap_rca::Error::NotACapture { .. }), "{msg}");
        assert!(msg.contains(f) && msg.contains(what), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}

#[test]
fn truncated_and_garbage_packets_are_counted_not_lost() {
    let dir = fixtures().join("synthetic");
    let a = analyze(&dir.join("snaplen-truncated.pcap"), 1);
    let c = &a.captures[0];
    assert_eq!(c.meta.packets, 18);
    assert!(c.truncated_packets >= 9, "{c:?}");
    assert_eq!(
        c.decoded_packets + c.truncated_packets + c.undecoded_packets,
        18
    );
    let a = analyze(&dir.join("garbage-frames.pcap"), 1);
    let c = &a.captures[0];
    assert_eq!(c.meta.packets, 7);
    assert!(c.undecoded_packets + c.truncated_packets >= 4, "{c:?}");
    assert_eq!(
        c.decoded_packets + c.truncated_packets + c.undecoded_packets,
        7
    );
}

#[test]
fn vlan_qinq_fragments_and_ipv6_extensions() {
    let dir = fixtures().join("synthetic");
    let a = analyze(&dir.join("vlan.pcap"), 1);
    assert_eq!(a.counters.vlan_tagged, 5);
    assert!(a.flows.iter().all(|f| f.vlan.is_some()));
    let a = analyze(&dir.join("ipv4-options-frags.pcap"), 1);
    assert_eq!(a.counters.ip_fragments, 3);
    assert!(a.counters.ipv4_with_options >= 1);
    assert_eq!(a.icmp_errors.len(), 1);
    let q = a.icmp_errors[0].icmp.quoted.expect("quoted header");
    assert_eq!(q.proto, 17);
    let a = analyze(&dir.join("ipv6-ext.pcap"), 1);
    assert!(a.counters.ipv6 >= 6, "{:?}", a.counters);
    assert!(a.flows.iter().any(|f| f.proto == pcap_rca::Proto::Tcp));
    assert_eq!(a.captures[0].undecoded_packets, 0);
}

/// `dumpcap -i any -i eth0` records every packet twice, on two link types: the copies are
/// counted (as Wireshark counts them) but are not retransmissions.
#[test]
fn multi_interface_copies_are_not_retransmissions() {
    let a = analyze(&fixtures().join("multi-iface.pcapng"), 2);
    let c = &a.captures[0];
    assert_eq!(c.meta.link_types, vec![113, 1]);
    assert_eq!(c.meta.packets, 40);
    let tcp: Vec<_> = a
        .flows
        .iter()
        .filter(|f| f.proto == pcap_rca::Proto::Tcp)
        .collect();
    assert_eq!(tcp.len(), 1);
    assert_eq!(tcp[0].conn_state.as_str(), "SF");
    assert_eq!(tcp[0].history, "ShADadFf");
    assert_eq!(tcp[0].orig_retransmissions + tcp[0].resp_retransmissions, 0);
    assert_eq!(tcp[0].duplicates, 10);
}

/// `tcpdump -i any` writes Linux cooked v2; loopback packets carry unfilled checksums, which
/// must not matter.
#[test]
fn any_interface_capture_is_sll2() {
    let a = analyze(&fixtures().join("any-sll2.pcap"), 2);
    assert_eq!(a.captures[0].meta.link_types, vec![276]);
    assert_eq!(a.captures[0].undecoded_packets, 0);
    assert!(
        a.flows
            .iter()
            .filter(|f| f.proto == pcap_rca::Proto::Tcp)
            .all(|f| f.conn_state.as_str() == "SF")
    );
}
