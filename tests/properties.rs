//! Property tests: decoders never panic, flow keys are symmetric, sequence numbers compare
//! across wrap-around, ranking does not depend on input order, and the report does not depend
//! on the thread count, on generated inputs.

use std::net::{IpAddr, Ipv4Addr};

use pcap_rca::Input;
use pcap_rca::flow::{Addr, FlowKey, Proto};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(lt in prop::sample::select(vec![0u32, 1, 101, 108, 113, 228, 229, 276, 239, 9999]),
                            bytes in prop::collection::vec(any::<u8>(), 0..400),
                            extra in 0u32..2000) {
        let p = pcap_rca::decode::decode(0, 1, 0, lt, &bytes, bytes.len() as u32 + extra, false);
        let _ = p.payload(&bytes);
        pcap_rca::fuzzing::dns(&bytes);
        pcap_rca::fuzzing::http(&bytes);
        pcap_rca::fuzzing::capture(&bytes);
    }

    #[test]
    fn flow_keys_are_symmetric(a in any::<[u8; 4]>(), b in any::<[u8; 4]>(), pa in any::<u16>(), pb in any::<u16>()) {
        let x = Addr { ip: IpAddr::V4(Ipv4Addr::from(a)), port: pa };
        let y = Addr { ip: IpAddr::V4(Ipv4Addr::from(b)), port: pb };
        let k1 = FlowKey::new(Proto::Tcp, x, y);
        let k2 = FlowKey::new(Proto::Tcp, y, x);
        prop_assert_eq!(k1, k2);
        prop_assert_eq!(k1.shard_hash(), k2.shard_hash());
    }

    #[test]
    fn sequence_numbers_compare_across_wrap_around(a in any::<u32>(), d in -(1i64 << 31) + 1..(1i64 << 31)) {
        let b = a.wrapping_add(d as i32 as u32);
        prop_assert_eq!(pcap_rca::flow::tcp::seq_delta(b, a) as i64, d);
    }

    #[test]
    fn thread_count_never_changes_the_report(pkts in prop::collection::vec((0u8..6, 0u8..4, 0u8..8, 0u16..3, 0u16..1400), 1..120)) {
        let pcap = generated_pcap(&pkts);
        let run = |threads: usize| {
            let mut cfg = pcap_rca::Config::default();
            cfg.threads = threads;
            cfg.chunk_bytes = 512;
            let input = Input::Bytes { name: "gen".into(), data: &pcap };
            let a = pcap_rca::analyze_inputs(&[input], &cfg).unwrap();
            format!("{}{}", a.report().to_json(), serde_json::to_string(&a.flows).unwrap())
        };
        prop_assert_eq!(run(1), run(3));
    }
}

/// A pcap of TCP segments between a few hosts: (client, server, flags selector, port
/// selector, payload length) per packet, time advancing by 10 ms.
fn generated_pcap(pkts: &[(u8, u8, u8, u16, u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    const FLAGS: [u8; 8] = [0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19];
    for (i, &(c, s, fl, port, len)) in pkts.iter().enumerate() {
        let (src, dst, sp, dp) = if fl == 1 || fl == 6 {
            ([10, 0, 1, s], [10, 0, 0, c], 8080 + port, 40000 + c as u16)
        } else {
            ([10, 0, 0, c], [10, 0, 1, s], 40000 + c as u16, 8080 + port)
        };
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0];
        let total = 40 + len;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[0, i as u8, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sp.to_be_bytes());
        f.extend_from_slice(&dp.to_be_bytes());
        f.extend_from_slice(&(1000u32 + i as u32 * 100).to_be_bytes());
        f.extend_from_slice(&(5000u32 + i as u32 * 7).to_be_bytes());
        f.extend_from_slice(&[0x50, FLAGS[fl as usize], 0x10, 0, 0, 0, 0, 0]);
        f.extend(std::iter::repeat_n(b'x', len as usize));
        let t = 1_772_352_000u64 * 1_000_000 + i as u64 * 10_000;
        out.extend_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}

/// Analyses `data` on `threads` threads with the default configuration changed by `tweak`.
fn analyze_with(
    data: &[u8],
    threads: usize,
    tweak: impl Fn(&mut pcap_rca::Config),
) -> pcap_rca::Analysis {
    let mut cfg = pcap_rca::Config::default();
    cfg.threads = threads;
    tweak(&mut cfg);
    pcap_rca::analyze_inputs(
        &[Input::Bytes {
            name: "generated".into(),
            data,
        }],
        &cfg,
    )
    .unwrap()
}

/// A classic pcap of `n` SYNs to 10.0.0.5:8081, `gap_us` apart, from `sources` distinct
/// addresses (round-robin) and distinct ports.
fn syn_flood_pcap(n: u32, gap_us: u64, sources: u32) -> Vec<u8> {
    syn_pcap(n, gap_us, |i| {
        let s = i % sources;
        let src = [10, 100 + (s >> 16) as u8, (s >> 8) as u8, s as u8];
        (src, [10, 0, 0, 5], 1024 + (i % 60000) as u16, 8081)
    })
}

/// A classic pcap of `n` SYNs, `gap_us` apart; `tuple(i)` gives the i-th one's source,
/// destination, source port and destination port.
fn syn_pcap(n: u32, gap_us: u64, tuple: impl Fn(u32) -> ([u8; 4], [u8; 4], u16, u16)) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..n {
        let (src, dst, sport, dport) = tuple(i);
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0, 0x45, 0, 0, 40];
        f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&i.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0]);
        let t = 1_772_352_000u64 * 1_000_000 + i as u64 * gap_us;
        out.extend_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}

/// A SYN flood from 60,000 distinct sources with a 4,000-flow table: the table never holds
/// more than its bound, every connection attempt is still reported, and the report does not
/// depend on the thread count.
#[test]
fn flow_table_stays_within_its_bound_under_a_syn_flood() {
    let n = 60_000u32;
    let out = syn_flood_pcap(n, 20, n);
    let run = |threads| {
        analyze_with(&out, threads, |cfg| {
            cfg.max_flows = 4_000;
        })
    };
    let a = run(1);
    assert!(a.peak_flows <= 4_000 + 16, "peak {}", a.peak_flows);
    assert!(a.counters.flows_evicted > 0);
    // 60,000 records: within the default record budget, nothing is folded.
    assert_eq!(a.flows.len(), n as usize);
    assert_eq!(a.counters.flows_folded, 0);
    assert_eq!(a.report().root_causes[0].cause, "syn_flood");
    // Flows finished early are not a silent loss: the report says so.
    let limits = a.report().summary.limits;
    assert!(
        limits.iter().any(|l| l.contains("finished early")),
        "{limits:?}"
    );
    let b = run(2);
    assert_eq!(a.report().to_json(), b.report().to_json());
}

/// A long SYN flood (150,000 attempts from 40,000 sources over 300 s) with a 2,000-record
/// budget and short timeouts, so few flows are alive at once: finished records stay within the
/// budget (folded into a few group records), yet the report still counts every attempt, the
/// sources (exactly where listed, estimated beyond) and the peak, whatever the thread count.
#[test]
fn finished_records_stay_within_the_budget_under_a_long_flood() {
    let (n, sources) = (150_000u32, 40_000u32);
    let out = syn_flood_pcap(n, 2_000, sources);
    let run = |threads| {
        analyze_with(&out, threads, |cfg| {
            cfg.max_records = 2_000;
            cfg.timeouts.tcp_ns = 5_000_000_000;
        })
    };
    let a = run(1);
    // Few flows alive at once: 5 s of a 300 s flood, plus one read chunk (expiry runs per
    // chunk: 512 KiB of 70-byte records is 15 s here). And few finished records.
    assert!(a.peak_flows < 15_000, "peak {}", a.peak_flows);
    let groups = a.flows.iter().filter(|f| f.fold.is_some()).count();
    assert!(a.flows.len() <= 2_000 + groups, "{} records", a.flows.len());
    assert!((1..=16).contains(&groups), "{groups} groups");
    assert_eq!(a.flow_count(), n as usize);
    assert_eq!(a.counters.flows_folded + 2_000, n as u64);
    let r = a.report();
    assert_eq!(r.summary.flows, n as u64);
    let c = &r.root_causes[0];
    assert_eq!(c.cause, "syn_flood");
    assert_eq!(c.affected_flows, n as u64);
    // "… half-open connections from 40,xyz sources": the estimate is within 3%.
    let est: f64 = c
        .title
        .split("from ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{}", c.title));
    assert!((est / sources as f64 - 1.0).abs() < 0.03, "{}", c.title);
    // The client list stays short; its total says how many there are.
    assert!(c.clients.len() <= pcap_rca::detect::finding::MAX_CLIENTS);
    let total = c.clients_total.unwrap_or(0) as f64;
    assert!((total / sources as f64 - 1.0).abs() < 0.03, "{total}");
    assert!(
        r.summary.limits.iter().any(|l| l.contains("folded")),
        "{:?}",
        r.summary.limits
    );
    let b = run(2);
    assert_eq!(r.to_json(), b.report().to_json());
}

/// A scan of 160,000 (host, port) targets from one source, with a 1,000-record budget: more
/// servers than the flow tables keep groups for (16 x 4,096), so the rest fold per source.
/// Records stay bounded; `port_scan` still names the scanner with about the right numbers of
/// hosts and ports, and the flow count is exact.
#[test]
fn a_scan_of_many_targets_folds_per_source() {
    let n = 160_000u32;
    let out = syn_pcap(n, 500, |i| {
        let host = i / 1000;
        (
            [10, 9, 9, 9],
            [10, 50, (host >> 8) as u8, host as u8],
            40000 + (i % 20000) as u16,
            1 + (i % 1000) as u16,
        )
    });
    let run = |threads| {
        analyze_with(&out, threads, |cfg| {
            cfg.max_records = 1_000;
            cfg.timeouts.tcp_ns = 5_000_000_000;
        })
    };
    let a = run(1);
    assert!(!a.scattered.is_empty());
    assert!(a.scattered.len() <= 16, "{}", a.scattered.len());
    assert!(a.flows.len() <= 1_000 + 16 * 4_096, "{}", a.flows.len());
    assert_eq!(a.flow_count(), n as usize);
    let r = a.report();
    let scan = r
        .findings
        .iter()
        .find(|f| f.cause == "port_scan")
        .unwrap_or_else(|| panic!("{:#?}", r.root_causes));
    assert_eq!(scan.affected_flows, n as u64);
    // "10.9.9.9 scans 160 hosts and 1000 ports", the scattered part estimated.
    let words: Vec<&str> = scan.title.split(' ').collect();
    let hosts: f64 = words[2].parse().unwrap();
    let ports: f64 = words[5].parse().unwrap();
    assert!(
        (hosts / 160.0 - 1.0).abs() < 0.1 && (ports / 1000.0 - 1.0).abs() < 0.1,
        "{}",
        scan.title
    );
    assert!(
        r.summary.limits.iter().any(|l| l.contains("per source")),
        "{:?}",
        r.summary.limits
    );
    assert_eq!(r.to_json(), run(2).report().to_json());
}

/// Events beyond `max_events` are counted, not kept, and the report says so.
#[test]
fn events_beyond_the_limit_are_counted_and_reported() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/dns-nxdomain.pcap"
    ))
    .unwrap();
    let mut cfg = pcap_rca::Config::default();
    cfg.max_events = 4;
    let a = pcap_rca::analyze_inputs(
        &[Input::Bytes {
            name: "dns".into(),
            data: &data,
        }],
        &cfg,
    )
    .unwrap();
    assert_eq!(a.dns.len(), 4);
    assert_eq!(a.counters.events_dropped, 16);
    let r = a.report();
    assert!(r.summary.limits[0].starts_with("16 DNS/HTTP/TLS/ARP/ICMP events"));
    assert!(r.to_text().contains("Limit: 16 DNS"));
    // Within the limits, nothing is said.
    let full = pcap_rca::analyze_bytes(&data, &pcap_rca::Config::default()).unwrap();
    assert!(full.summary.limits.is_empty());
}

/// A capture read from memory gives the report of the same capture read from its file,
/// whatever the thread count (from memory as from a file, more than one thread means a
/// reader thread beside the flows).
#[test]
fn a_capture_in_memory_reads_as_its_file_on_any_thread_count() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{}", files.len());
    for path in files {
        let name = path.display().to_string();
        let data = std::fs::read(&path).unwrap();
        let report = |input: Input<'_>, threads: usize| {
            let mut cfg = pcap_rca::Config::default();
            cfg.threads = threads;
            pcap_rca::analyze_inputs(&[input], &cfg)
                .unwrap()
                .report()
                .to_json()
        };
        let from_file = report(Input::Path(path.clone()), 1);
        for threads in [1, 2, 3] {
            let from_memory = report(
                Input::Bytes {
                    name: name.clone(),
                    data: &data,
                },
                threads,
            );
            assert!(
                from_memory == from_file,
                "{name}: from memory on {threads} threads differs from the file on one"
            );
        }
    }
}
