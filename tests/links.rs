//! The link stage on real captures (`fixtures/links/`, made by `fixtures/net/make-links-*.sh`
//! with real programs in network namespaces): in each, the explaining cause ranks first on
//! the right server, and the findings it explains are its consequences, with their frames,
//! and not root causes of their own. Only the public API is used.

mod links_fixtures;

use links_fixtures::report;
use pcap_rca::{Report, RootCause, Rule, Severity};

fn server(rc: &RootCause) -> String {
    rc.server.as_ref().map_or("-".into(), |s| match s.port {
        Some(p) => format!("{}:{p}", s.ip),
        None => s.ip.clone(),
    })
}

/// The top cause is `cause` on `srv`, and no other root cause is one of `explained`.
fn top<'a>(r: &'a Report, cause: &str, srv: &str, explained: &[&str]) -> &'a RootCause {
    let t = &r.root_causes[0];
    assert_eq!(
        (t.cause.as_str(), server(t).as_str()),
        (cause, srv),
        "{:#?}",
        r.root_causes
    );
    for rc in &r.root_causes[1..] {
        assert!(
            !explained.contains(&rc.cause.as_str()),
            "{} ranks on its own: {}",
            rc.cause,
            rc.title
        );
    }
    t
}

/// The causes and rules of `rc`'s consequences, and that each has its frames.
fn consequences(rc: &RootCause) -> Vec<(&str, Rule)> {
    for c in &rc.consequences {
        assert!(!c.frames.is_empty(), "{} has no frames", c.finding);
        assert!(
            rc.findings.contains(&c.finding),
            "{} not in findings",
            c.finding
        );
        assert!(!c.note.is_empty());
    }
    rc.consequences
        .iter()
        .map(|c| (c.cause.as_str(), c.rule))
        .collect()
}

#[test]
fn a_vip_failover_explains_the_syns_the_old_holder_dropped() {
    let r = report("vip-failover.pcap");
    let t = top(&r, "arp_vip_move", "10.80.0.100", &["tcp_syn_unanswered"]);
    assert_eq!(
        consequences(t),
        vec![("tcp_syn_unanswered", Rule::VipFailover)]
    );
    // The outage is the consequence's severity, and its frames are the unanswered SYNs.
    assert_eq!(t.severity, Severity::Medium);
    assert_eq!(t.consequences[0].frames, vec![75, 76, 77, 78, 80]);
    assert!(
        t.consequences[0].note.contains("(3.3 s)"),
        "{}",
        t.consequences[0].note
    );
    // Advice about the failover, not a firewall hint.
    assert!(
        t.remediation.iter().all(|s| !s.contains("irewall")),
        "{:?}",
        t.remediation
    );
    // A GET per new, answered connection is not a retry storm.
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.cause == "http_duplicate_request")
            .count(),
        0
    );
}

#[test]
fn a_legacy_server_explains_the_clients_internal_error() {
    let r = report("tls-legacy-server.pcap");
    let t = top(&r, "tls_obsolete_version", "10.80.0.5:443", &["tls_alert"]);
    assert_eq!(consequences(t), vec![("tls_alert", Rule::LegacyServer)]);
    assert_eq!(t.severity, Severity::Critical, "every handshake failed");
    assert_eq!(
        t.consequences[0].frames,
        vec![6, 12, 17, 23, 29, 35, 41, 47]
    );
    // The untrusted CA (no CA bundle given) is a separate, low cause, not part of this one.
    assert!(!t.explanation.contains("Also:"));
    let ca = r
        .root_causes
        .iter()
        .find(|c| c.cause == "tls_unknown_ca")
        .unwrap();
    assert_eq!(ca.severity, Severity::Low);
}

#[test]
fn blocked_dns_over_tcp_is_one_cause_per_resolver_with_both_halves() {
    let r = report("dns-tcp-blocked.pcap");
    let explained = ["tcp_syn_unanswered", "tcp_rejected_rst", "dns_truncated"];
    let t = top(&r, "dns_tcp_blocked", "10.80.0.53:53", &explained);
    assert_eq!(
        consequences(t),
        vec![
            ("tcp_syn_unanswered", Rule::DnsTcpBlocked),
            ("dns_truncated", Rule::DnsTcpBlocked)
        ]
    );
    for name in ["big.fpdk.example", "many.fpdk.example", "keys.fpdk.example"] {
        assert!(t.explanation.contains(name), "{name}: {}", t.explanation);
    }
    // TC answers 6, 14, 20 and their TCP retries 7, 15, 21.
    let frames: Vec<u64> = t.evidence.iter().map(|e| e.frame).collect();
    for f in [6, 7, 14, 15, 20, 21] {
        assert!(frames.contains(&f), "frame {f} not in {frames:?}");
    }
    assert_eq!(r.root_causes.len(), 2, "{:#?}", r.root_causes);
    let other = &r.root_causes[1];
    assert_eq!(
        (other.cause.as_str(), server(other).as_str()),
        ("dns_tcp_blocked", "10.80.0.54:53")
    );
    assert_eq!(
        consequences(other)[0],
        ("tcp_rejected_rst", Rule::DnsTcpBlocked)
    );
}

#[test]
fn a_resolver_whose_upstream_refuses_is_one_cause_whatever_the_names() {
    let r = report("resolver-upstream-servfail.pcap");
    let t = top(
        &r,
        "dns_upstream_failure",
        "10.80.0.53:53",
        &["dns_servfail", "dns_refused"],
    );
    assert_eq!(r.root_causes.len(), 1, "{:#?}", r.root_causes);
    assert!(t.title.contains("10.80.0.99"), "{}", t.title);
    assert_eq!(t.clients, vec!["10.80.0.2", "10.80.0.3"]);
    let c = consequences(t);
    assert!(
        c.iter().all(|(_, rule)| *rule == Rule::ResolverUpstream),
        "{c:?}"
    );
    assert_eq!(
        c.iter().filter(|(c, _)| *c == "dns_servfail").count(),
        5,
        "{c:?}"
    );
    // The first lookup: REFUSED from the upstream (frame 7), SERVFAIL to the client (16).
    let frames: Vec<u64> = t.evidence.iter().map(|e| e.frame).collect();
    assert!(frames.contains(&7) && frames.contains(&16), "{frames:?}");
}

#[test]
fn resets_of_parallel_downloads_are_one_storm_that_explains_the_refusal_after_it() {
    let r = report("rst-parallel-downloads.pcap");
    let t = top(
        &r,
        "rst_storm",
        "10.80.0.5:8080",
        &["tcp_rejected_rst", "tcp_reset_midstream"],
    );
    let c = consequences(t);
    assert!(c.contains(&("tcp_rejected_rst", Rule::RstStorm)), "{c:?}");
    let frames: Vec<u64> = t.evidence.iter().map(|e| e.frame).collect();
    for f in 178..=182 {
        assert!(frames.contains(&f), "reset frame {f} not in {frames:?}");
    }
}

#[test]
fn one_client_failing_on_many_peers_is_one_cause_about_the_client() {
    let r = report("one-client-many-peers.pcap");
    let t = top(
        &r,
        "tcp_peers_unreachable",
        "10.80.0.2",
        &["tcp_syn_unanswered", "tcp_rejected_rst"],
    );
    assert_eq!(r.root_causes.len(), 1, "{:#?}", r.root_causes);
    assert!(t.title.contains("18 of the 20 peers"), "{}", t.title);
    let c = consequences(t);
    assert_eq!(c.len(), 18);
    assert!(c.iter().all(|(_, rule)| *rule == Rule::ManyPeers));
    // Dead peers are not an outage of the client's own: the pattern stays high.
    assert_eq!(t.severity, Severity::High);
}

#[test]
fn a_storms_own_requests_are_not_a_separate_critical_cause() {
    let r = report("arp-storm-noise.pcap");
    let t = top(&r, "arp_storm", "-", &["arp_unanswered"]);
    assert_eq!(t.severity, Severity::Medium);
    assert!(t.title.contains("10.80.0.66"), "{}", t.title);
}

#[test]
fn a_storm_for_a_few_addresses_explains_their_unanswered_requests() {
    // Each of the 8 addresses is asked for 32 times: enough for an `arp_unanswered` of its
    // own, which the storm explains.
    let r = report("arp-storm-few-targets.pcap");
    let t = top(&r, "arp_storm", "-", &["arp_unanswered"]);
    assert!(t.title.contains("10.80.0.66"), "{}", t.title);
    let c = consequences(t);
    assert_eq!(c.len(), 8, "{c:?}");
    assert!(
        c.iter()
            .all(|&(cause, rule)| cause == "arp_unanswered" && rule == Rule::StormNoise)
    );
}

#[test]
fn a_one_sided_capture_says_so_first_and_claims_no_dropped_syn() {
    let r = report("one-sided-syn.pcap");
    let t = &r.root_causes[0];
    assert_eq!(t.cause, "capture_one_sided");
    assert!(
        r.root_causes
            .iter()
            .all(|c| c.cause != "tcp_syn_unanswered" || c.severity < Severity::Medium)
    );
    assert_eq!(r.summary.verdict, "healthy");
}

#[test]
fn an_expired_leaf_and_a_weak_dh_group_on_one_server_are_two_root_causes() {
    let r = report("tls-expired-and-weak-dh.pcap");
    let t = top(&r, "tls_cert_expired", "10.80.0.5:443", &[]);
    // The clients' certificate_expired alerts are how the expired leaf showed.
    assert!(
        consequences(t)
            .iter()
            .all(|(_, rule)| *rule == Rule::SameCause)
    );
    assert!(!t.explanation.contains("Also:"));
    let weak = r
        .root_causes
        .iter()
        .find(|c| c.cause == "tls_weak_key")
        .expect("weak DH");
    assert_eq!(server(weak), "10.80.0.5:443");
    assert_eq!(weak.severity, Severity::Medium);
}

#[test]
fn a_certificate_split_over_records_is_judged() {
    let r = report("tls-cert-fragmented.pcap");
    let t = top(&r, "tls_cert_expired", "10.80.0.5:443", &[]);
    let frames: Vec<u64> = t.evidence.iter().map(|e| e.frame).collect();
    assert!(frames.contains(&10) && frames.contains(&12), "{frames:?}");
}

#[test]
fn servfail_the_client_recovers_from_is_low_and_healthy() {
    let r = report("servfail-with-fallback.pcap");
    assert_eq!(r.summary.verdict, "healthy");
    let t = &r.root_causes[0];
    assert_eq!(
        (t.cause.as_str(), t.severity),
        ("dns_servfail", Severity::Low)
    );
    assert!(t.explanation.contains("10.80.0.54"), "{}", t.explanation);
}

#[test]
fn a_slow_service_explains_the_client_that_reset_on_it() {
    let r = report("http-slow-giveup.pcap");
    let t = top(&r, "http_slow", "10.80.0.5:8080", &["tcp_reset_midstream"]);
    assert!(
        t.explanation.contains("/report/export"),
        "{}",
        t.explanation
    );
    assert_eq!(
        consequences(t),
        vec![("tcp_reset_midstream", Rule::SlowService)]
    );
}

/// The `events` table's DNS rows of a capture: (query frame, answer frame, outcome).
fn dns_answers(name: &str) -> Vec<(String, String, String)> {
    let inputs = [pcap_rca::Input::Path(links_fixtures::path(name))];
    let an = pcap_rca::analyze_inputs(&inputs, &links_fixtures::config()).unwrap();
    let r = an.report();
    let tables = an.tables(&r);
    let ev = tables.iter().find(|t| t.name == "events").unwrap();
    let col = |n: &str| ev.columns.iter().find(|c| c.name == n).unwrap();
    (0..ev.rows())
        .filter(|&i| col("kind").values.text(i) == "dns")
        .map(|i| {
            (
                col("frame").values.text(i),
                col("answer_frame").values.text(i),
                col("outcome").values.text(i),
            )
        })
        .collect()
}

#[test]
fn a_dns_answer_in_ip_fragments_is_an_answer_in_its_last_fragments_frame() {
    for name in ["dns-fragmented-v4.pcap", "dns-fragmented-v6.pcap"] {
        let r = report(name);
        assert_eq!(r.summary.verdict, "healthy", "{name}: {:#?}", r.root_causes);
        assert!(
            r.root_causes.iter().all(|c| c.cause != "dns_timeout"),
            "{name}"
        );
        // tshark: queries 3, 5, 9 answered in 4, 8 (fragments 6, 7, 8), 12 (10, 11, 12).
        let got = dns_answers(name);
        let want = [("3", "4"), ("5", "8"), ("9", "12")];
        assert_eq!(got.len(), 3, "{name}: {got:?}");
        for ((q, a, outcome), (wq, wa)) in got.iter().zip(want) {
            assert_eq!(
                (q.as_str(), a.as_str(), outcome.as_str()),
                (wq, wa, "NOERROR"),
                "{name}"
            );
        }
    }
}

#[test]
fn an_ipv6_neighbor_nobody_advertises_is_arp_unanswered_saying_ndp() {
    let r = report("ndp-unanswered.pcap");
    let t = top(&r, "arp_unanswered", "fd80::77", &[]);
    assert!(t.title.contains("Neighbor Discovery"), "{}", t.title);
    let frames: Vec<u64> = t.evidence.iter().map(|e| e.frame).collect();
    assert_eq!(
        frames,
        vec![16, 17, 18, 19, 20],
        "tshark: NS frames 16-20, 23"
    );
}

/// A healthy busy network (fixtures/net/make-links-healthy-busy.sh: ~200 HTTP and HTTPS
/// connections, background NXDOMAINs, two downloads the user cancelled with a reset, 1% loss
/// and its retransmissions) stays `healthy`: nothing above low.
#[test]
fn healthy_busy_network_stays_healthy() {
    let r = report("healthy-busy.pcap");
    assert!(
        r.summary.tcp_flows >= 150,
        "busy: {} TCP flows",
        r.summary.tcp_flows
    );
    assert_eq!(r.summary.verdict, "healthy", "{:#?}", r.root_causes);
    for rc in &r.root_causes {
        assert!(
            rc.severity <= Severity::Low,
            "{} is {:?}: {}",
            rc.cause,
            rc.severity,
            rc.title
        );
    }
}
