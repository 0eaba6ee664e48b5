//! Threshold edges of the detectors, on hand-built flow and ARP records.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::detect::arp_bindings::ARP_SPOOFING;
use crate::detect::arp_storm::ARP_STORM;
use crate::detect::arp_unanswered::ARP_UNANSWERED;
use crate::detect::arp_bindings::ARP_VIP_MOVE;
use crate::detect::arp_bindings::IP_CONFLICT;
use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
use crate::detect::port_scan::PORT_SCAN;
use crate::detect::rst_storm::RST_STORM;
use crate::detect::syn_flood::SYN_FLOOD;
use crate::detect::tcp_rejected_rst::TCP_REJECTED_RST;
use crate::detect::tcp_reset_midstream::TCP_RESET_MIDSTREAM;
use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;
use crate::analysis::{Analysis, CaptureStats};
use crate::event::ArpEvent;
use crate::flow::tcp::History;

pub(crate) fn ip(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 9, a, b))
}

fn hist(s: &str) -> History {
    let mut h = History::default();
    for c in s.bytes() {
        h.push(c);
    }
    h
}

/// A TCP flow record as the flow table would finish it.
pub(crate) fn conn(
    orig: IpAddr,
    oport: u16,
    resp: IpAddr,
    rport: u16,
    state: &'static str,
    h: &str,
    t_ms: i64,
) -> Conn {
    let handshake = h.contains('h');
    Conn {
        first_ts_ns: t_ms * 1_000_000,
        last_ts_ns: t_ms * 1_000_000 + 1_000,
        capture: 0,
        first_frame: t_ms as u64 + 1,
        last_frame: t_ms as u64 + 2,
        proto: Proto::Tcp,
        orig_ip: orig,
        orig_port: oport,
        resp_ip: resp,
        resp_port: rport,
        duration_s: 0.0,
        orig_pkts: 1,
        orig_bytes: 0,
        orig_ip_bytes: 40,
        orig_wire_bytes: 54,
        resp_pkts: u64::from(handshake || state == "REJ"),
        resp_bytes: 0,
        resp_ip_bytes: 0,
        resp_wire_bytes: 0,
        conn_state: state,
        history: hist(h),
        missed_bytes: 0,
        orig_retransmissions: 0,
        resp_retransmissions: 0,
        orig_zero_windows: 0,
        resp_zero_windows: 0,
        duplicates: 0,
        orig_max_rtx_len: 0,
        resp_max_rtx_len: 0,
        orig_unacked_bytes: 0,
        resp_unacked_bytes: 0,
        rtx_frame: None,
        zero_window_frame: None,
        gap_frame: None,
        vlan: None,
        syn_frame: Some(t_ms as u64 + 1),
        synack_frame: handshake.then_some(t_ms as u64 + 2),
        rst_frame: state.starts_with('R').then_some(t_ms as u64 + 2),
        rst_by: None,
        orig_ttl: Some(64),
        resp_ttl: handshake.then_some(64),
        rst_ttl: None,
        fold: None,
    }
}

fn analysis(flows: Vec<Conn>, arp: Vec<ArpEvent>) -> Analysis {
    let mut a = Analysis::default();
    let c = CaptureStats {
        first_ts_ns: flows.iter().map(|f| f.first_ts_ns).min(),
        last_ts_ns: Some(flows.iter().map(|f| f.last_ts_ns).max().unwrap_or(0) + 60_000_000_000),
        ..CaptureStats::default()
    };
    a.captures.push(c);
    a.flows = flows;
    a.arp = arp;
    a
}

fn causes(a: &Analysis) -> Vec<String> {
    run_all(a).into_iter().map(|f| f.cause).collect()
}

#[test]
fn syn_flood_needs_enough_half_open_connections_and_sources() {
    let server = ip(0, 5);
    let flood = |n: usize, sources: usize| {
        let flows = (0..n)
            .map(|i| {
                conn(
                    ip(100, (i % sources) as u8),
                    1000 + i as u16,
                    server,
                    8081,
                    "S1",
                    "Sh",
                    i as i64,
                )
            })
            .collect();
        analysis(flows, vec![])
    };
    assert!(
        causes(&flood(syn_flood::MIN_HALF_OPEN, syn_flood::MIN_SOURCES))
            .contains(&SYN_FLOOD.into())
    );
    assert!(
        !causes(&flood(syn_flood::MIN_HALF_OPEN - 1, syn_flood::MIN_SOURCES))
            .contains(&SYN_FLOOD.into())
    );
    assert!(
        !causes(&flood(syn_flood::MIN_HALF_OPEN, syn_flood::MIN_SOURCES - 1))
            .contains(&SYN_FLOOD.into())
    );
}

#[test]
fn port_scan_needs_enough_targets_and_takes_the_probes() {
    let scan = |ports: u16| {
        let flows = (0..ports)
            .map(|p| conn(ip(0, 66), 40000, ip(0, 5), 1 + p, "REJ", "Sr", p as i64))
            .collect();
        analysis(flows, vec![])
    };
    let at = causes(&scan(port_scan::MIN_TARGETS as u16));
    assert!(at.contains(&PORT_SCAN.into()), "{at:?}");
    assert!(
        !at.contains(&TCP_REJECTED_RST.into()),
        "scan probes blamed: {at:?}"
    );
    let below = causes(&scan(port_scan::MIN_TARGETS as u16 - 1));
    assert!(!below.contains(&PORT_SCAN.into()), "{below:?}");
}

#[test]
fn unanswered_syn_at_the_end_of_the_capture_is_not_blamed() {
    let mut a = analysis(
        vec![conn(ip(0, 2), 40000, ip(0, 5), 8081, "S0", "S", 0)],
        vec![],
    );
    a.captures[0].last_ts_ns = Some(500_000_000);
    assert!(causes(&a).is_empty());
    let mut two = conn(ip(0, 2), 40000, ip(0, 5), 8081, "S0", "S", 0);
    two.orig_pkts = 2;
    let a = analysis(vec![two], vec![]);
    assert_eq!(causes(&a), vec![TCP_SYN_UNANSWERED.to_string()]);
}

#[test]
fn a_few_retransmissions_are_normal_life() {
    let mk = |rtx: u32, pkts: u64| {
        let mut c = conn(ip(0, 2), 40000, ip(0, 5), 443, "SF", "ShADadFf", 0);
        c.resp_retransmissions = rtx;
        c.orig_pkts = pkts / 2;
        c.resp_pkts = pkts / 2;
        analysis(vec![c], vec![])
    };
    assert!(causes(&mk(4, 100)).is_empty());
    assert!(causes(&mk(10, 1100)).is_empty(), "under 1% is normal");
    let f = run_all(&mk(5, 250));
    assert_eq!(f[0].severity, Severity::Low);
    let f = run_all(&mk(10, 300));
    assert_eq!(f[0].severity, Severity::Medium);
    let f = run_all(&mk(30, 300));
    assert_eq!(f[0].severity, Severity::High);
}

#[test]
fn a_couple_of_zero_windows_are_informational() {
    let mk = |zw: u32| {
        let mut c = conn(ip(0, 2), 40000, ip(0, 5), 443, "SF", "ShADadFf", 0);
        c.orig_zero_windows = zw;
        run_all(&analysis(vec![c], vec![]))[0].severity
    };
    assert_eq!(mk(tcp_zero_window::LOW_MIN as u32 - 1), Severity::Info);
    assert_eq!(mk(tcp_zero_window::LOW_MIN as u32), Severity::Low);
    assert_eq!(mk(tcp_zero_window::MEDIUM_MIN as u32), Severity::Medium);
}

#[test]
fn unanswered_syns_become_critical_at_the_documented_edge() {
    let mk = |attempts: usize, syns_each: u64| {
        let flows = (0..attempts)
            .map(|i| {
                let mut c = conn(
                    ip(0, 2),
                    40000 + i as u16,
                    ip(0, 5),
                    8081,
                    "S0",
                    "S",
                    i as i64 * 1000,
                );
                c.orig_pkts = syns_each;
                c
            })
            .collect();
        run_all(&analysis(flows, vec![]))[0].severity
    };
    assert_eq!(
        mk(tcp_syn_unanswered::CRITICAL_ATTEMPTS, 1),
        Severity::Critical
    );
    assert_eq!(mk(1, tcp_syn_unanswered::CRITICAL_SYNS), Severity::Critical);
    assert_eq!(mk(1, tcp_syn_unanswered::CRITICAL_SYNS - 1), Severity::High);
}

#[test]
fn server_aborts_are_medium_from_the_documented_count() {
    let mk = |n: usize| {
        let flows = (0..n)
            .map(|i| {
                let mut c = conn(
                    ip(0, 2),
                    40000 + i as u16,
                    ip(0, 5),
                    8081,
                    "RSTR",
                    "ShADdr",
                    i as i64 * 1000,
                );
                c.rst_by = Some("resp");
                c.orig_bytes = 100;
                c
            })
            .collect();
        run_all(&analysis(flows, vec![]))
            .into_iter()
            .find(|f| f.cause == TCP_RESET_MIDSTREAM)
            .map(|f| f.severity)
    };
    assert_eq!(mk(tcp_reset_midstream::MEDIUM_MIN), Some(Severity::Medium));
    assert_eq!(mk(tcp_reset_midstream::MEDIUM_MIN - 1), Some(Severity::Low));
}

#[test]
fn one_sided_capture_needs_enough_one_way_connections() {
    let mk = |one_way: usize, two_way: usize| {
        let mut flows: Vec<Conn> = (0..one_way)
            .map(|i| {
                let mut c = conn(
                    ip(0, 2),
                    40000 + i as u16,
                    ip(0, 5),
                    80,
                    "OTH",
                    "AD",
                    i as i64,
                );
                c.resp_pkts = 0;
                c
            })
            .collect();
        flows.extend((0..two_way).map(|i| {
            conn(
                ip(0, 2),
                50000 + i as u16,
                ip(0, 5),
                80,
                "SF",
                "ShADadFf",
                100 + i as i64,
            )
        }));
        causes(&analysis(flows, vec![])).contains(&CAPTURE_ONE_SIDED.to_string())
    };
    assert!(mk(capture_one_sided::ONE_SIDED_MIN_FLOWS, 0));
    assert!(!mk(capture_one_sided::ONE_SIDED_MIN_FLOWS - 1, 0));
    assert!(
        !mk(
            capture_one_sided::ONE_SIDED_MIN_FLOWS,
            capture_one_sided::ONE_SIDED_MIN_FLOWS + 1
        ),
        "under half is not one-sided"
    );
}

#[test]
fn rst_storm_needs_many_connections_in_the_window() {
    let storm = |n: usize| {
        let flows = (0..n)
            .map(|i| {
                let mut c = conn(
                    ip(1, (i % 4) as u8),
                    2000 + i as u16,
                    ip(0, 5),
                    8081,
                    "RSTR",
                    "ShADdr",
                    i as i64 * 10,
                );
                c.rst_by = Some("resp");
                c.orig_bytes = 10;
                c
            })
            .collect();
        analysis(flows, vec![])
    };
    assert!(causes(&storm(rst_storm::MIN_CONNS)).contains(&RST_STORM.into()));
    assert!(!causes(&storm(rst_storm::MIN_CONNS - 1)).contains(&RST_STORM.into()));
}

#[test]
fn resets_with_a_foreign_ttl_are_blamed_on_a_middlebox() {
    let server = ip(0, 5);
    let mut flows: Vec<Conn> = (0..rst_storm::MIN_CONNS)
        .map(|i| {
            let mut c = conn(
                ip(1, (i % 4) as u8),
                2000 + i as u16,
                server,
                8081,
                "RSTR",
                "ShADdr",
                i as i64 * 10,
            );
            c.rst_by = Some("resp");
            c.orig_bytes = 10;
            c.rst_ttl = Some(250);
            c
        })
        .collect();
    flows.push(conn(ip(1, 9), 3000, server, 80, "SF", "ShADadFf", 900));
    let f = run_all(&analysis(flows, vec![]));
    let storm = f.iter().find(|f| f.cause == RST_STORM).expect("storm");
    assert!(
        storm.explanation.contains("injected"),
        "{}",
        storm.explanation
    );
}

fn arp(op: u16, mac: u8, sip: [u8; 4], tip: [u8; 4], t_ms: i64) -> ArpEvent {
    ArpEvent {
        capture: 0,
        frame: t_ms as u64 + 1,
        ts_ns: t_ms * 1_000_000,
        op,
        sender_mac: [2, 0, 0, 0, 0, mac],
        sender_ip: Ipv4Addr::from(sip),
        target_mac: [0; 6],
        target_ip: Ipv4Addr::from(tip),
        eth_src: None,
        eth_dst: None,
        vlan: None,
    }
}

#[test]
fn arp_storm_rate_edge() {
    let storm = |n: usize| {
        let ev = (0..n)
            .map(|i| {
                arp(
                    1,
                    1,
                    [10, 9, 0, 2],
                    [10, 9, 0, 200],
                    i as i64 * 1000 / n as i64,
                )
            })
            .collect();
        analysis(vec![], ev)
    };
    assert!(causes(&storm(arp_storm::STORM_MIN_IN_WINDOW)).contains(&ARP_STORM.into()));
    assert!(!causes(&storm(arp_storm::STORM_MIN_IN_WINDOW - 1)).contains(&ARP_STORM.into()));
}

#[test]
fn arp_unanswered_edge_and_answered_address() {
    let asks = |n: usize, answer: bool| {
        let mut ev: Vec<ArpEvent> = (0..n)
            .map(|i| arp(1, 1, [10, 9, 0, 2], [10, 9, 0, 77], i as i64 * 1000))
            .collect();
        if answer {
            ev.push(arp(2, 7, [10, 9, 0, 77], [10, 9, 0, 2], 5000));
        }
        analysis(vec![], ev)
    };
    assert_eq!(
        causes(&asks(arp_unanswered::UNANSWERED_MIN, false)),
        vec![ARP_UNANSWERED.to_string()]
    );
    assert!(causes(&asks(arp_unanswered::UNANSWERED_MIN - 1, false)).is_empty());
    assert!(causes(&asks(10, true)).is_empty());
}

#[test]
fn ip_bindings_conflict_move_and_spoofing() {
    let gw = [10, 9, 0, 1];
    let client = [10, 9, 0, 2];
    // Two MACs answering the same requests: a conflict.
    let conflict = vec![
        arp(1, 2, client, gw, 0),
        arp(2, 1, gw, client, 1),
        arp(2, 9, gw, client, 2),
        arp(1, 2, client, gw, 1000),
        arp(2, 1, gw, client, 1001),
        arp(2, 9, gw, client, 1002),
    ];
    assert_eq!(
        causes(&analysis(vec![], conflict)),
        vec![IP_CONFLICT.to_string()]
    );
    // One hand-over by gratuitous ARP: a VIP move.
    let mv = vec![
        arp(1, 2, client, gw, 0),
        arp(2, 1, gw, client, 1),
        arp(1, 9, gw, gw, 5000),
        arp(1, 2, client, gw, 9000),
        arp(2, 9, gw, client, 9001),
    ];
    assert_eq!(
        causes(&analysis(vec![], mv)),
        vec![ARP_VIP_MOVE.to_string()]
    );
    // Unsolicited replies from a newcomer, interleaved with the owner: spoofing.
    let mut sp = vec![arp(1, 2, client, gw, 0), arp(2, 1, gw, client, 1)];
    for k in 0..4 {
        sp.push(arp(2, 6, gw, client, 3000 + k * 3000));
        sp.push(arp(1, 2, client, gw, 4000 + k * 3000));
        sp.push(arp(2, 1, gw, client, 4001 + k * 3000));
    }
    assert_eq!(
        causes(&analysis(vec![], sp)),
        vec![ARP_SPOOFING.to_string()]
    );
}

/// Folding records beyond the record budget (`crate::flow::fold`) changes no cause, severity,
/// title, client list or count: the detectors read a folded record as the flows it stands for.
#[test]
fn folded_records_give_the_same_causes_and_counts() {
    use crate::flow::fold::{Budget, merge_groups};
    let server = ip(0, 5);
    let mut flows = Vec::new();
    // A SYN flood: 300 attempts from 60 sources.
    for i in 0..300i64 {
        let src = ip(1, (i % 60) as u8);
        flows.push(conn(src, 2000 + i as u16, server, 443, "S0", "S", i * 10));
    }
    // Refused on port 23: 30 attempts from 3 clients.
    for i in 0..30i64 {
        let src = ip(2, (i % 3) as u8);
        flows.push(conn(
            src,
            3000 + i as u16,
            server,
            23,
            "REJ",
            "Sr",
            5_000 + i * 10,
        ));
    }
    // Dropped on port 8081: 40 attempts from 4 clients, a few retried.
    for i in 0..40i64 {
        let mut c = conn(
            ip(3, (i % 4) as u8),
            4000 + i as u16,
            server,
            8081,
            "S0",
            "S",
            9_000 + i * 10,
        );
        if i % 5 == 0 {
            c.orig_pkts = 3;
        }
        flows.push(c);
    }
    // Healthy connections to port 443 from 5 clients.
    for i in 0..50i64 {
        let src = ip(4, (i % 5) as u8);
        flows.push(conn(
            src,
            5000 + i as u16,
            server,
            443,
            "SF",
            "ShADadFf",
            20_000 + i * 10,
        ));
    }
    flows.sort_by_key(|f| f.sort_key());
    let summary = |a: &Analysis| -> Vec<(String, Severity, String, u64, Vec<String>)> {
        run_all(a)
            .into_iter()
            .map(|f| (f.cause, f.severity, f.title, f.affected_flows, f.clients))
            .collect()
    };
    let plain = summary(&analysis(flows.clone(), vec![]));
    assert!(plain.iter().any(|f| f.0 == SYN_FLOOD), "{plain:?}");
    assert!(plain.iter().any(|f| f.0 == TCP_REJECTED_RST), "{plain:?}");
    assert!(
        plain.iter().any(|f| f.0 == TCP_SYN_UNANSWERED),
        "{plain:?}"
    );

    // Two tables, 10 records each, the rest folded; then merged as the analysis does.
    let (mut a, mut b) = (Budget::new(10), Budget::new(10));
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    for (i, c) in flows.into_iter().enumerate() {
        if i % 2 == 0 {
            a.place(&mut ka, c);
        } else {
            b.place(&mut kb, c);
        }
    }
    assert!(a.folded > 0 && b.folded > 0);
    let mut kept: Vec<Conn> = ka.into_iter().chain(kb).collect();
    kept.extend(merge_groups(vec![a.groups, b.groups]));
    assert!(kept.len() < 40, "{} records", kept.len());
    kept.sort_by_key(|f| f.sort_key());
    assert_eq!(summary(&analysis(kept, vec![])), plain);
}
