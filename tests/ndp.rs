//! IPv6 Neighbor Discovery feeds `ip_conflict`, `arp_vip_move` and `arp_spoofing` as ARP does,
//! on real captures (`fixtures/links/ndp-*.pcap`, made by `fixtures/net/make-links-ndp-*.sh`
//! with real programs in network namespaces): the top root cause is the right one on the
//! right address, in NDP's words, and its evidence is the Neighbor Solicitation and
//! Advertisement frames (numbers as tshark shows them). Only the public API is used.

mod links_fixtures;

use links_fixtures::report;
use pcap_rca::{Finding, Report, RootCause, Rule, Severity};

/// The top root cause, which must be `cause` about the address `ip`.
fn top<'a>(r: &'a Report, cause: &str, ip: &str) -> &'a RootCause {
    let t = &r.root_causes[0];
    let server = t.server.as_ref().map(|s| (s.ip.as_str(), s.port));
    assert_eq!(
        (t.cause.as_str(), server),
        (cause, Some((ip, None))),
        "{:#?}",
        r.root_causes
    );
    t
}

/// The one `arp.bindings` finding of the report.
fn bindings(r: &Report) -> &Finding {
    let f: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.detector == "arp.bindings")
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0]
}

/// The finding's evidence: frame and note.
fn evidence(f: &Finding) -> Vec<(u64, &str)> {
    f.evidence
        .iter()
        .map(|e| (e.frame, e.note.as_str()))
        .collect()
}

fn ndp_filter(ip: &str) -> String {
    format!("icmpv6.nd.na.target_address == {ip} || icmpv6.nd.ns.target_address == {ip}")
}

#[test]
fn an_unsolicited_override_na_moves_an_ipv6_vip() {
    let r = report("ndp-vip-failover.pcap");
    let t = top(&r, "arp_vip_move", "fd80::100");
    assert!(t.title.contains("Neighbor Advertisement"), "{}", t.title);
    assert!(
        t.title.contains("02:00:0a:50:00:0b") && t.title.contains("02:00:0a:50:00:0c"),
        "{}",
        t.title
    );
    let f = bindings(&r);
    assert_eq!(f.wireshark_filter, ndp_filter("fd80::100"));
    // Frame 2: A's solicited NA; 106: B's unsolicited NA with the Override flag. B's DAD
    // probe (frame 92) went unanswered: no claim.
    assert_eq!(
        evidence(f),
        vec![
            (
                2,
                "neighbor advertisement: fd80::100 is at 02:00:0a:50:00:0b"
            ),
            (
                106,
                "unsolicited neighbor advertisement (override): fd80::100 is at 02:00:0a:50:00:0c"
            ),
        ]
    );
    // The SYNs A's MAC swallowed are the move's consequence, as for IPv4.
    let c: Vec<(&str, Rule)> = t
        .consequences
        .iter()
        .map(|c| (c.cause.as_str(), c.rule))
        .collect();
    assert_eq!(c, vec![("tcp_syn_unanswered", Rule::VipFailover)]);
    assert_eq!(t.consequences[0].frames[0], 63);
    assert!(
        r.root_causes[1..]
            .iter()
            .all(|rc| rc.cause != "tcp_syn_unanswered"),
        "{:#?}",
        r.root_causes
    );
}

#[test]
fn a_failed_duplicate_address_detection_is_an_ip_conflict() {
    let r = report("ndp-dad-conflict.pcap");
    assert_eq!(r.root_causes.len(), 1, "{:#?}", r.root_causes);
    let t = top(&r, "ip_conflict", "fd80::50");
    assert_eq!(
        t.severity,
        Severity::Medium,
        "the newcomer suffers, not the clients"
    );
    assert!(t.title.contains("DAD failed"), "{}", t.title);
    assert!(
        t.explanation
            .contains("02:00:0a:50:00:0c keeps fd80::50 tentative"),
        "{}",
        t.explanation
    );
    let f = bindings(&r);
    assert_eq!(f.wireshark_filter, ndp_filter("fd80::50"));
    // Frame 2: A's answer to the client; 15: B's probe from ::; 16: A's answer to it.
    assert_eq!(
        evidence(f),
        vec![
            (
                2,
                "neighbor advertisement: fd80::50 is at 02:00:0a:50:00:0b"
            ),
            (
                15,
                "duplicate address detection: 02:00:0a:50:00:0c probes for fd80::50 \
                 (neighbor solicitation from ::)"
            ),
            (
                16,
                "neighbor advertisement answering the DAD probe: fd80::50 is at \
                 02:00:0a:50:00:0b"
            ),
        ]
    );
}

#[test]
fn repeated_unsolicited_override_nas_are_ndp_spoofing() {
    let r = report("ndp-spoofing.pcap");
    let t = top(&r, "arp_spoofing", "fd80::5");
    assert_eq!(t.severity, Severity::Critical);
    assert!(
        t.title.starts_with("NDP spoofing of fd80::5"),
        "{}",
        t.title
    );
    assert!(t.explanation.contains("(7 times)"), "{}", t.explanation);
    let f = bindings(&r);
    assert_eq!(f.wireshark_filter, ndp_filter("fd80::5"));
    // The server's solicited NAs (2, 71, 164) and the first three of the poisoner's seven
    // unsolicited ones (39, 46, 57).
    let frames: Vec<u64> = f.evidence.iter().map(|e| e.frame).collect();
    assert_eq!(frames, vec![2, 39, 46, 57, 71, 164]);
    for (frame, note) in evidence(f) {
        let want = if [39, 46, 57].contains(&frame) {
            "unsolicited neighbor advertisement (override): fd80::5 is at 02:00:0a:50:00:42"
        } else {
            "neighbor advertisement: fd80::5 is at 02:00:0a:50:00:05"
        };
        assert_eq!(note, want, "frame {frame}");
    }
    // The SYNs the client's kernel sent to the impostor while it was poisoned are how the
    // spoofing showed, not a cause of their own.
    let c: Vec<(&str, Rule)> = t
        .consequences
        .iter()
        .map(|c| (c.cause.as_str(), c.rule))
        .collect();
    assert_eq!(c, vec![("tcp_syn_unanswered", Rule::Spoofing)]);
    assert!(
        r.root_causes
            .iter()
            .all(|rc| rc.cause != "tcp_syn_unanswered")
    );
}
