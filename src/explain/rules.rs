//! The link rules: which finding explains which, as a table.
//!
//! Each [`LinkRule`] says: findings of these causes (`by`) explain findings of those causes
//! (`explains`) when the two match in [`Scope`] and the explained one shows within the
//! window around the explaining one. Rules run in table order; among several findings that
//! could explain one, the strongest does ([`super::stronger`]).

use std::net::IpAddr;

use super::{Link, Links, stronger};
use crate::detect::arp_bindings::{ARP_SPOOFING, ARP_VIP_MOVE};
use crate::detect::arp_storm::ARP_STORM;
use crate::detect::arp_unanswered::ARP_UNANSWERED;
use crate::detect::dns::{DNS_ERROR, DNS_REFUSED, DNS_SERVFAIL, DNS_TIMEOUT, DNS_TRUNCATED};
use crate::detect::dns_tcp_blocked::DNS_TCP_BLOCKED;
use crate::detect::dns_upstream::DNS_UPSTREAM_FAILURE;
use crate::detect::finding::{Cause, Finding};
use crate::detect::http::{HTTP_DUPLICATE_REQUEST, HTTP_SLOW};
use crate::detect::icmp_unreachable::ICMP_UNREACHABLE;
use crate::detect::rst_storm::RST_STORM;
use crate::detect::tcp_peers_unreachable::TCP_PEERS_UNREACHABLE;
use crate::detect::tcp_rejected_rst::TCP_REJECTED_RST;
use crate::detect::tcp_reset_midstream::TCP_RESET_MIDSTREAM;
use crate::detect::tcp_retransmissions::TCP_RETRANSMISSIONS;
use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;
use crate::detect::tls::{
    TLS_ALERT, TLS_HANDSHAKE_ABORTED, TLS_HANDSHAKE_FAILURE, TLS_OBSOLETE_VERSION,
    TLS_VERSION_MISMATCH, TLS_WEAK_CIPHER,
};
use crate::detect::tls_cert::TLS_WEAK_KEY;
use crate::units::rfc3339;

/// Why one finding explains another. Its name (snake case) is the `rule` of a consequence in
/// the report, stable like the cause names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// An ICMP destination-unreachable from the path answered connection attempts to a TCP
    /// service, and other attempts to the same service got no answer at all: the ICMP error
    /// (a filter that rejects, a host or network that is unreachable) is why the SYNs went
    /// unanswered.
    IcmpAnswersSyn,
    /// An address moved to another MAC (gratuitous ARP, a VIP failover): the connection
    /// attempts to it that went unanswered, were reset or retransmitted in the minutes
    /// before the move (and seconds after it, while caches update) went to the old holder.
    VipFailover,
    /// A MAC claiming another host's address with unsolicited ARP replies or Neighbor
    /// Advertisements (ARP/NDP spoofing): the connection attempts to that address that went
    /// unanswered, were reset or retransmitted while it was being claimed went to the
    /// impostor (or were lost as the binding flipped).
    Spoofing,
    /// A server that negotiates an obsolete protocol version or a weak cipher or key
    /// exchange, and the clients abort the handshake with `handshake_failure`,
    /// `protocol_version`, `insufficient_security` or `internal_error` (or just close): the
    /// server's legacy configuration is why.
    LegacyServer,
    /// Truncated DNS answers whose TCP retries to the same resolver port 53 fail: the
    /// blocked TCP/53 is why both the truncation and the failed connections matter.
    DnsTcpBlocked,
    /// A resolver whose own upstream queries fail: its SERVFAILs to clients, and the
    /// upstream's refusals or silence, are how that shows.
    ResolverUpstream,
    /// A host that reset many connections at once: the mid-stream resets of its
    /// connections, and the refused connections right after, are part of that event.
    RstStorm,
    /// A service whose responses take seconds: the connections its clients reset mid-stream
    /// around those waits are clients giving up.
    SlowService,
    /// A host flooding ARP requests: the addresses it asks for that nobody answers are part
    /// of the storm.
    StormNoise,
    /// One client failing to reach many peers: each unreachable peer is one case of it.
    ManyPeers,
    /// The same cause reported twice: a defect (an expired certificate) and the symptom
    /// naming it (the client's `certificate_expired` alert), or one resolver failing
    /// several names the same way.
    SameCause,
    /// What is left of one incident (findings with the same group key: one service, one
    /// host, one name): the strongest finding explains the incident's symptoms. Defects are
    /// never explained by this rule.
    SameIncident,
}

impl Rule {
    /// Whether the explained finding's severity counts for its root cause: yes when the
    /// explained failure is what the cause did to clients (the SYNs lost during a VIP move);
    /// no when it is noise grouped under a pattern (a storm's unanswered requests, each dead
    /// peer of a client whose peer list is stale).
    pub fn carries_severity(self) -> bool {
        !matches!(self, Rule::StormNoise | Rule::ManyPeers)
    }
}

/// What must match between the explaining finding (`by`) and the explained one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The same server address and port.
    SameService,
    /// The same server address, any port.
    SameAddress,
    /// Every client of the explained finding is the host `by` is about.
    ClientIsHost,
    /// The explained finding's server is the host `by` is about, or every one of its
    /// clients is (a resolver answers its clients and asks its upstream).
    InvolvesHost,
}

/// One link rule (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct LinkRule {
    /// The rule's name.
    pub rule: Rule,
    /// Causes of the explaining finding.
    pub by: &'static [Cause],
    /// Causes of the findings it can explain.
    pub explains: &'static [Cause],
    /// What must match.
    pub scope: Scope,
    /// The explained finding must show between this long before the explaining one (its
    /// moment of change, when it has one, else its first packet) ...
    pub before_ns: i64,
    /// ... and this long after it (its moment of change, else its last packet).
    pub after_ns: i64,
    /// A further condition on the pair (`by`, explained).
    pub when: fn(&Finding, &Finding) -> bool,
    /// The sentence for the report.
    pub note: fn(&Finding, &Finding) -> String,
}

/// No time limit: the two findings may be anywhere in the capture.
const ANY_TIME: i64 = i64::MAX / 4;

/// How long before a VIP move unanswered attempts are blamed on it: 300 s covers ARP cache
/// lifetimes (Linux's reachable time is 15-45 s, stale entries are kept for minutes) and
/// the time a failover takes to notice a dead primary (VRRP and keepalived: 3-10 s).
pub const VIP_LOOKBACK_NS: i64 = 300_000_000_000;
/// How long after a VIP move clients may still use the old MAC: 5 s for caches to take the
/// gratuitous ARP.
pub const VIP_SLACK_NS: i64 = 5_000_000_000;
/// How long after a reset storm refused connections are part of it: 60 s, time for the
/// service to be restarted.
pub const RST_AFTER_NS: i64 = 60_000_000_000;

/// TLS alerts that clients send when a server's version, cipher or key exchange is below
/// what they accept: handshake_failure (40), illegal_parameter (47), protocol_version (70),
/// insufficient_security (71), internal_error (80: OpenSSL's answer to a signature
/// algorithm it refuses).
pub const LEGACY_ALERTS: &[u8] = &[40, 47, 70, 71, 80];

/// Failed attempts to reach an address (unanswered, refused, reset or retransmitted
/// connections, requests sent again): what a VIP move or a spoofed binding explains.
const ADDRESS_FAILURES: &[Cause] = &[
    TCP_SYN_UNANSWERED,
    TCP_REJECTED_RST,
    TCP_RESET_MIDSTREAM,
    TCP_RETRANSMISSIONS,
    HTTP_DUPLICATE_REQUEST,
];

/// Every rule, in the order they are applied.
pub const RULES: &[LinkRule] = &[
    LinkRule {
        rule: Rule::IcmpAnswersSyn,
        by: &[ICMP_UNREACHABLE],
        explains: &[TCP_SYN_UNANSWERED],
        scope: Scope::SameService,
        before_ns: ANY_TIME,
        after_ns: ANY_TIME,
        when: always,
        note: |_, e| {
            format!(
                "{}: the other attempts were answered by the ICMP error, so these met the \
                 same filter or dead path silently.",
                e.title
            )
        },
    },
    LinkRule {
        rule: Rule::VipFailover,
        by: &[ARP_VIP_MOVE],
        explains: ADDRESS_FAILURES,
        scope: Scope::SameAddress,
        before_ns: VIP_LOOKBACK_NS,
        after_ns: VIP_SLACK_NS,
        when: always,
        note: vip_note,
    },
    LinkRule {
        rule: Rule::Spoofing,
        by: &[ARP_SPOOFING],
        explains: ADDRESS_FAILURES,
        scope: Scope::SameAddress,
        before_ns: 0,
        after_ns: ANY_TIME,
        when: during_spoofing,
        note: |by, e| {
            format!(
                "{}: while {} (from {} to {}), attempts went to the impostor's MAC or were \
                 lost as the binding flipped.",
                e.title,
                by.title,
                rfc3339(by.facts.at_ns.unwrap_or(by.first_ts_ns)),
                rfc3339(by.last_ts_ns)
            )
        },
    },
    LinkRule {
        rule: Rule::LegacyServer,
        by: &[TLS_OBSOLETE_VERSION, TLS_WEAK_CIPHER, TLS_WEAK_KEY],
        explains: &[
            TLS_ALERT,
            TLS_HANDSHAKE_FAILURE,
            TLS_VERSION_MISMATCH,
            TLS_HANDSHAKE_ABORTED,
        ],
        scope: Scope::SameService,
        before_ns: 1_000_000_000,
        after_ns: 1_000_000_000,
        when: |_, e| match e.facts.alert {
            Some(a) => !a.by_server && LEGACY_ALERTS.contains(&a.description),
            None => e.cause == TLS_HANDSHAKE_ABORTED,
        },
        note: |by, e| {
            format!(
                "{}: the clients abort right after the server's choice ({}).",
                e.title, by.title
            )
        },
    },
    LinkRule {
        rule: Rule::DnsTcpBlocked,
        by: &[DNS_TCP_BLOCKED],
        explains: &[TCP_SYN_UNANSWERED, TCP_REJECTED_RST, DNS_TRUNCATED],
        scope: Scope::SameService,
        before_ns: ANY_TIME,
        after_ns: ANY_TIME,
        when: always,
        note: |_, e| {
            format!(
                "{}: the TCP retries of truncated answers, to the same resolver port.",
                e.title
            )
        },
    },
    LinkRule {
        rule: Rule::ResolverUpstream,
        by: &[DNS_UPSTREAM_FAILURE],
        explains: &[DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_ERROR],
        scope: Scope::InvolvesHost,
        before_ns: 10_000_000_000,
        after_ns: 10_000_000_000,
        when: always,
        note: |_, e| format!("{}: one of the lookups the resolver could not complete.", e.title),
    },
    LinkRule {
        rule: Rule::RstStorm,
        by: &[RST_STORM],
        explains: &[TCP_RESET_MIDSTREAM, TCP_REJECTED_RST, HTTP_DUPLICATE_REQUEST],
        scope: Scope::SameAddress,
        before_ns: 10_000_000_000,
        after_ns: RST_AFTER_NS,
        when: always,
        note: |by, e| {
            if e.cause == HTTP_DUPLICATE_REQUEST.name() {
                format!("{}: the clients sent it again after the resets.", e.title)
            } else if e.first_ts_ns > by.last_ts_ns {
                format!("{}: after the resets, the service no longer accepts.", e.title)
            } else {
                format!("{}: part of the same reset event.", e.title)
            }
        },
    },
    LinkRule {
        rule: Rule::SlowService,
        by: &[HTTP_SLOW],
        explains: &[TCP_RESET_MIDSTREAM],
        scope: Scope::SameService,
        before_ns: 1_000_000_000,
        after_ns: 10_000_000_000,
        when: always,
        note: |_, e| {
            format!(
                "{}: clients that stopped waiting for the slow responses.",
                e.title
            )
        },
    },
    LinkRule {
        rule: Rule::StormNoise,
        by: &[ARP_STORM],
        explains: &[ARP_UNANSWERED],
        scope: Scope::ClientIsHost,
        before_ns: 10_000_000_000,
        after_ns: 10_000_000_000,
        when: always,
        note: |_, e| format!("{}: asked by the storming host only.", e.title),
    },
    LinkRule {
        rule: Rule::ManyPeers,
        by: &[TCP_PEERS_UNREACHABLE],
        explains: &[TCP_SYN_UNANSWERED, TCP_REJECTED_RST, ICMP_UNREACHABLE],
        scope: Scope::ClientIsHost,
        before_ns: 0,
        after_ns: 0,
        when: always,
        note: |_, e| format!("{}: one of the peers this client tried.", e.title),
    },
    LinkRule {
        rule: Rule::SameCause,
        by: &[DNS_SERVFAIL],
        explains: &[DNS_SERVFAIL],
        scope: Scope::SameAddress,
        before_ns: ANY_TIME,
        after_ns: ANY_TIME,
        when: always,
        note: |_, e| format!("{}: the same resolver, the same failure.", e.title),
    },
];

fn always(_: &Finding, _: &Finding) -> bool {
    true
}

/// How long after the last spoofed claim clients may still use the impostor's MAC.
pub const SPOOF_SLACK_NS: i64 = 5_000_000_000;

/// The explained finding began before the spoofing's last claim (plus [`SPOOF_SLACK_NS`]):
/// the window of [`Rule::Spoofing`] starts at the first spoofed claim (`before_ns` 0).
fn during_spoofing(by: &Finding, e: &Finding) -> bool {
    e.first_ts_ns <= by.last_ts_ns.saturating_add(SPOOF_SLACK_NS)
}

/// The note of [`Rule::VipFailover`]: the outage, from the first failed attempt to the move.
fn vip_note(by: &Finding, e: &Finding) -> String {
    match by.facts.at_ns {
        Some(at) if e.first_ts_ns <= at => format!(
            "{}: from {} until the address moved at {} ({:.1} s), attempts went to the \
             previous holder.",
            e.title,
            rfc3339(e.first_ts_ns),
            rfc3339(at),
            at.saturating_sub(e.first_ts_ns) as f64 / 1e9
        ),
        _ => format!(
            "{}: right after the move, while clients still used the old MAC.",
            e.title
        ),
    }
}

/// Applies one table rule: each finding it can explain, not yet explained, is explained by
/// the strongest finding that matches.
pub(super) fn apply(r: &LinkRule, findings: &[Finding], links: &mut Links) {
    let mut by: Vec<usize> = (0..findings.len())
        .filter(|&i| r.by.iter().any(|c| findings[i].cause == *c))
        .collect();
    if by.is_empty() {
        return;
    }
    by.sort_by(|&a, &b| stronger(&findings[a], &findings[b]));
    for (i, e) in findings.iter().enumerate() {
        if links.is_explained(i) || !r.explains.iter().any(|c| e.cause == *c) {
            continue;
        }
        for &b in &by {
            let f = &findings[b];
            if b == i
                || (f.cause == e.cause && stronger(f, e) != std::cmp::Ordering::Less)
                || !in_scope(r.scope, f, e)
                || !in_window(r, f, e)
                || !(r.when)(f, e)
            {
                continue;
            }
            let note = (r.note)(f, e);
            if links.add(Link {
                explained: i,
                by: b,
                rule: r.rule,
                note,
            }) {
                break;
            }
        }
    }
}

/// Whether `e` matches `by` in `scope`.
fn in_scope(scope: Scope, by: &Finding, e: &Finding) -> bool {
    fn addr(f: &Finding) -> Option<&str> {
        f.server.as_ref().map(|s| s.ip.as_str())
    }
    fn port(f: &Finding) -> Option<u16> {
        f.server.as_ref().and_then(|s| s.port)
    }
    let host = by.facts.host.map(|h: IpAddr| h.to_string());
    let only_client = |h: &str| !e.clients.is_empty() && e.clients.iter().all(|c| c == h);
    match scope {
        Scope::SameService => {
            addr(by).is_some() && addr(by) == addr(e) && port(by).is_some() && port(by) == port(e)
        }
        Scope::SameAddress => addr(by).is_some() && addr(by) == addr(e),
        Scope::ClientIsHost => host.as_deref().is_some_and(only_client),
        Scope::InvolvesHost => host
            .as_deref()
            .is_some_and(|h| addr(e) == Some(h) || only_client(h)),
    }
}

/// Whether `e` shows within `r`'s window around `by`.
fn in_window(r: &LinkRule, by: &Finding, e: &Finding) -> bool {
    let start = by.facts.at_ns.unwrap_or(by.first_ts_ns);
    let end = by.facts.at_ns.unwrap_or(by.last_ts_ns);
    e.last_ts_ns >= start.saturating_sub(r.before_ns) && e.first_ts_ns <= end.saturating_add(r.after_ns)
}

/// [`Rule::SameCause`] for defects and the symptoms naming them, then [`Rule::SameIncident`]:
/// in each group, the strongest finding explains the symptoms not yet explained.
pub(super) fn same_incident(findings: &[Finding], links: &mut Links) {
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, f) in findings.iter().enumerate() {
        if let Some(g) = f.group.as_deref() {
            groups.entry(g).or_default().push(i);
        }
    }
    for members in groups.values_mut() {
        members.sort_by(|&a, &b| stronger(&findings[a], &findings[b]));
        // A defect explains the symptom that names it (the alert reporting that very defect).
        for &e in members.iter() {
            let ef = &findings[e];
            if !ef.facts.symptom || links.is_explained(e) {
                continue;
            }
            if let Some(&d) = members
                .iter()
                .find(|&&d| !findings[d].facts.symptom && findings[d].cause == ef.cause)
            {
                links.add(Link {
                    explained: e,
                    by: d,
                    rule: Rule::SameCause,
                    note: format!("{}: how the defect showed to the clients.", ef.title),
                });
            }
        }
        let lead = members[0];
        for &e in &members[1..] {
            let ef = &findings[e];
            if ef.facts.symptom && !links.is_explained(e) {
                links.add(Link {
                    explained: e,
                    by: lead,
                    rule: Rule::SameIncident,
                    note: format!("{}: the same incident.", ef.title),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::link;
    use super::*;
    use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
    use crate::detect::dns::DNS_NXDOMAIN;
    use crate::detect::finding::{AlertFact, Severity};
    use crate::detect::testing::linkable as f;
    use crate::detect::tls_cert::TLS_CERT_EXPIRED;

    const S: i64 = 1_000_000_000;

    #[test]
    fn icmp_error_explains_the_unanswered_syns_of_its_service_only() {
        let v = vec![
            f(TCP_SYN_UNANSWERED, Severity::High, "svc a", "10.0.0.5", 8081),
            f(ICMP_UNREACHABLE, Severity::Critical, "svc a", "10.0.0.5", 8081),
            f(TCP_RETRANSMISSIONS, Severity::Low, "svc a", "10.0.0.5", 8081),
            f(DNS_NXDOMAIN, Severity::Medium, "dns x", "10.0.0.53", 53),
            f(TCP_SYN_UNANSWERED, Severity::High, "svc b", "10.0.0.5", 443),
        ];
        let links = link(&v);
        let syn = links.explained_by(0).unwrap();
        assert_eq!((syn.by, syn.rule), (1, Rule::IcmpAnswersSyn));
        let rtx = links.explained_by(2).unwrap();
        assert_eq!((rtx.by, rtx.rule), (1, Rule::SameIncident));
        assert_eq!(links.explained_by(1), None);
        assert_eq!(links.explained_by(3), None);
        assert_eq!(links.explained_by(4), None, "another port");
    }

    #[test]
    fn a_vip_move_explains_the_attempts_before_it_not_long_after() {
        let mut mv = f(ARP_VIP_MOVE, Severity::Low, "host v", "10.0.0.100", 0);
        mv.server.as_mut().unwrap().port = None;
        mv.facts.at_ns = Some(100 * S);
        let mut before = f(TCP_SYN_UNANSWERED, Severity::Medium, "svc v", "10.0.0.100", 80);
        (before.first_ts_ns, before.last_ts_ns) = (97 * S, 99 * S);
        let mut long_after = before.clone();
        (long_after.first_ts_ns, long_after.last_ts_ns) = (200 * S, 201 * S);
        long_after.group = Some("svc w".into());
        let mut elsewhere = before.clone();
        elsewhere.server.as_mut().unwrap().ip = "10.0.0.7".into();
        elsewhere.group = Some("svc x".into());
        let links = link(&[mv, before, long_after, elsewhere]);
        let l = links.explained_by(1).unwrap();
        assert_eq!((l.by, l.rule), (0, Rule::VipFailover));
        assert!(l.note.contains("(3.0 s)"), "{}", l.note);
        assert_eq!(links.explained_by(2), None);
        assert_eq!(links.explained_by(3), None);
    }

    #[test]
    fn a_legacy_server_explains_the_clients_aborts_but_not_a_certificate_alert() {
        let legacy = f(TLS_OBSOLETE_VERSION, Severity::Medium, "tls v", "10.0.0.5", 443);
        let alert = |desc, cause| {
            let mut a = f(cause, Severity::Critical, "tls a", "10.0.0.5", 443);
            a.facts.symptom = true;
            a.facts.alert = Some(AlertFact {
                description: desc,
                by_server: false,
            });
            a
        };
        let mut expired = alert(45, TLS_CERT_EXPIRED);
        expired.group = Some("tls b".into());
        let links = link(&[legacy, alert(80, TLS_ALERT), expired]);
        assert_eq!(
            links.explained_by(1).map(|l| (l.by, l.rule)),
            Some((0, Rule::LegacyServer))
        );
        assert_eq!(links.explained_by(2), None);
    }

    #[test]
    fn distinct_defects_on_one_server_stay_distinct() {
        let mut expired = f(TLS_CERT_EXPIRED, Severity::Critical, "tls s", "10.0.0.5", 443);
        expired.facts.symptom = false;
        let weak = f(TLS_WEAK_KEY, Severity::Medium, "tls s", "10.0.0.5", 443);
        let mut alert = f(TLS_CERT_EXPIRED, Severity::Critical, "tls s", "10.0.0.5", 443);
        alert.facts.symptom = true;
        alert.id = "tls.handshake#1".into();
        let links = link(&[expired, weak, alert]);
        assert_eq!(links.explained_by(1), None, "the weak key is its own root cause");
        assert_eq!(links.explained_by(2).map(|l| (l.by, l.rule)), Some((0, Rule::SameCause)));
    }

    #[test]
    fn a_storm_explains_only_what_its_sender_asked() {
        let mut storm = f(ARP_STORM, Severity::Medium, "arp s", "10.0.0.9", 0);
        storm.facts.host = Some("10.0.0.9".parse().unwrap());
        let mut mine = f(ARP_UNANSWERED, Severity::Critical, "host a", "10.0.0.77", 0);
        mine.clients = vec!["10.0.0.9".into()];
        let mut shared = mine.clone();
        shared.clients = vec!["10.0.0.9".into(), "10.0.0.10".into()];
        shared.group = Some("host b".into());
        let links = link(&[storm, mine, shared]);
        assert_eq!(links.explained_by(1).map(|l| l.rule), Some(Rule::StormNoise));
        assert_eq!(links.explained_by(2), None, "another host asked too");
    }

    #[test]
    fn servfails_of_one_resolver_are_one_cause_led_by_the_strongest() {
        let mut a = f(DNS_SERVFAIL, Severity::High, "dns a", "10.0.0.53", 53);
        a.confidence = 0.8;
        let b = f(DNS_SERVFAIL, Severity::High, "dns b", "10.0.0.53", 53);
        let c = f(DNS_SERVFAIL, Severity::High, "dns c", "10.0.0.54", 53);
        let links = link(&[a, b, c]);
        assert_eq!(links.explained_by(0).map(|l| (l.by, l.rule)), Some((1, Rule::SameCause)));
        assert_eq!(links.explained_by(1), None);
        assert_eq!(links.explained_by(2), None);
    }

    #[test]
    fn every_rule_is_documented_in_the_report_contract() {
        const CONTRACT: &str = include_str!("../../docs/report-contract.md");
        let all = RULES
            .iter()
            .map(|r| r.rule)
            .chain([Rule::SameCause, Rule::SameIncident]);
        for r in all {
            let name = serde_json::to_string(&r).unwrap();
            let row = format!("| `{}` |", name.trim_matches('"'));
            assert!(CONTRACT.contains(&row), "{row} missing from docs/report-contract.md");
        }
    }

    #[test]
    fn the_capture_finding_is_not_linked_to_what_it_doubts() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, "svc a", "10.0.0.5", 80);
        a.from_absence = true;
        let side = f(CAPTURE_ONE_SIDED, Severity::Low, "cap", "10.0.0.9", 0);
        let links = link(&[a, side]);
        assert_eq!(links.incidents().len(), 2);
    }
}
