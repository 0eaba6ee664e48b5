//! The ranking engine: related findings in, ranked root causes out.
//!
//! 1. **One root cause per incident.** The link stage ([`crate::explain`]) says which finding
//!    explains which; each finding nothing explains becomes a root cause, and the findings it
//!    explains become its `consequences` (each with its rule, a sentence and its frames) and
//!    add their evidence, clients and filter. Its severity is the highest of its own and of
//!    the consequences whose rule carries severity (an outage caused by a VIP move is as
//!    severe as the outage); its explanation and remediation are its own (and those of
//!    findings of the same cause), not the symptoms' advice.
//! 2. **Score** (0-120):
//!    `score = S(severity) × confidence + min(10, 3 × log2(1 + affected_flows))
//!             + min(5, clients) + min(5, duration_minutes)`
//!    with S = info 5, low 25, medium 50, high 75, critical 100. Rounded to 0.1.
//! 3. **Order**: score, then severity (descending), then cause name, title, first time and
//!    finding ids (ascending), so equal scores always come out in the same order whatever
//!    order the findings arrived in.

use serde::Serialize;

use crate::detect::finding::{Evidence, Finding, Layer, Server, Severity};
use crate::explain::{Links, Rule, stronger};

/// A ranked explanation, built from findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootCause {
    /// Position in the ranking, from 1.
    pub rank: u32,
    /// The cause, from the report contract's vocabulary.
    pub cause: String,
    /// The layer it belongs to.
    pub layer: Layer,
    /// How bad it is for the clients in the capture.
    pub severity: Severity,
    /// How sure the analysis is, 0 to 1.
    pub confidence: f64,
    /// The ranking score, 0 to 120 (see the module documentation).
    pub score: f64,
    /// One line: what is wrong, where.
    pub title: String,
    /// Why, with the numbers; the findings it explains add a sentence each.
    pub explanation: String,
    /// The server or host it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Server>,
    /// The clients affected (addresses, sorted; at most `MAX_CLIENTS`).
    pub clients: Vec<String>,
    /// How many clients there are when `clients` is not all of them: more than
    /// [`crate::MAX_CLIENTS`] (the list keeps the first in sorted order), or sources of folded flows
    /// (see `flow::fold`), whose count is then an estimate within about 2%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients_total: Option<u64>,
    /// Connections (flows) affected.
    pub affected_flows: u64,
    /// First time the problem shows, RFC 3339 UTC.
    pub first_ts: String,
    /// Last time the problem shows, RFC 3339 UTC.
    pub last_ts: String,
    /// Frames that show it (at most `MAX_EVIDENCE`).
    pub evidence: Vec<Evidence>,
    /// A Wireshark display filter that shows the evidence.
    pub wireshark_filter: String,
    /// What to do, most useful first.
    pub remediation: Vec<String>,
    /// Ids of the findings it is built from, the explaining one first.
    pub findings: Vec<String>,
    /// The findings it explains, strongest first: how the cause showed.
    pub consequences: Vec<Consequence>,
}

/// A finding a root cause explains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consequence {
    /// The explained finding's id (in `findings[]`).
    pub finding: String,
    /// Its cause.
    pub cause: String,
    /// The link rule that relates it to the root cause (or to another consequence), a
    /// stable snake_case name (`vip_failover`, `legacy_server`, ...).
    pub rule: Rule,
    /// One sentence: what it is and how the root cause explains it.
    pub note: String,
    /// Its evidence frames (Wireshark numbers).
    pub frames: Vec<u64>,
}

/// Weight of a severity in the score.
pub fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Info => 5.0,
        Severity::Low => 25.0,
        Severity::Medium => 50.0,
        Severity::High => 75.0,
        Severity::Critical => 100.0,
    }
}

/// Most evidence frames kept per root cause.
pub const MAX_EVIDENCE: usize = 8;

/// Builds the ranked root causes from `findings` and the links between them.
pub fn rank(findings: &[Finding], links: &Links) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = links
        .incidents()
        .into_iter()
        .map(|(root, mut members)| {
            members.sort_by(|&a, &b| stronger(&findings[a], &findings[b]));
            let all: Vec<&Finding> = std::iter::once(root)
                .chain(members.iter().copied())
                .map(|i| &findings[i])
                .collect();
            let consequences = members
                .iter()
                .filter_map(|&i| {
                    let l = links.explained_by(i)?;
                    let f = &findings[i];
                    Some((
                        f.severity,
                        Consequence {
                            finding: f.id.clone(),
                            cause: f.cause.clone(),
                            rule: l.rule,
                            note: l.note.clone(),
                            frames: f.evidence.iter().map(|e| e.frame).collect(),
                        },
                    ))
                })
                .collect();
            merge(all, consequences)
        })
        .collect();
    causes.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.severity.cmp(&a.severity))
            .then(a.cause.cmp(&b.cause))
            .then(a.title.cmp(&b.title))
            .then(a.first_ts.cmp(&b.first_ts))
            .then(a.findings.cmp(&b.findings))
    });
    for (i, c) in causes.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
    }
    causes
}

/// One root cause: `members[0]` explains the others, which are its `consequences` (with
/// their severity).
fn merge(members: Vec<&Finding>, consequences: Vec<(Severity, Consequence)>) -> RootCause {
    let p = members[0];
    let severity = consequences
        .iter()
        .filter(|(_, c)| c.rule.carries_severity())
        .map(|(s, _)| *s)
        .fold(p.severity, Severity::max);
    let consequences: Vec<Consequence> = consequences.into_iter().map(|(_, c)| c).collect();
    let mut clients: Vec<String> = members
        .iter()
        .flat_map(|f| f.clients.iter().cloned())
        .collect();
    clients.sort();
    clients.dedup();
    // A consequence's client may be the cause's own host (a resolver asking its upstream).
    if let Some(sv) = &p.server {
        clients.retain(|c| *c != sv.ip);
    }
    let mut clients_total = members.iter().filter_map(|f| f.clients_total).max();
    if let Some(t) = clients_total.as_mut() {
        *t = (*t).max(clients.len() as u64);
    }
    crate::detect::finding::cap_clients(&mut clients, &mut clients_total);
    let mut evidence = Vec::new();
    // Up to two frames of each supporting finding, the primary's first.
    for (k, f) in members.iter().enumerate() {
        let take = if k == 0 { MAX_EVIDENCE } else { 2 };
        for e in f.evidence.iter().take(take) {
            // One note per frame: the first (most explanatory) finding's.
            if !evidence
                .iter()
                .any(|x: &Evidence| x.frame == e.frame && x.capture == e.capture)
            {
                evidence.push(e.clone());
            }
        }
    }
    evidence.sort_by_key(|e| (e.capture.clone(), e.frame));
    evidence.truncate(MAX_EVIDENCE);
    let mut filters: Vec<&str> = Vec::new();
    for f in &members {
        if !f.wireshark_filter.is_empty() && !filters.contains(&f.wireshark_filter.as_str()) {
            filters.push(&f.wireshark_filter);
        }
    }
    let wireshark_filter = if filters.len() == 1 {
        filters[0].to_string()
    } else {
        filters
            .iter()
            .map(|f| format!("({f})"))
            .collect::<Vec<_>>()
            .join(" || ")
    };
    // The cause's advice, and that of findings merely grouped with it (the same service, the
    // same cause), not that of the symptoms a rule explains (a VIP move needs no firewall
    // check).
    let mut remediation: Vec<String> = Vec::new();
    let advised = |f: &&&Finding| {
        f.cause == p.cause
            || consequences.iter().any(|c| {
                c.finding == f.id && matches!(c.rule, Rule::SameIncident | Rule::SameCause)
            })
    };
    for f in members.iter().filter(advised) {
        for r in &f.remediation {
            if !remediation.contains(r) {
                remediation.push(r.clone());
            }
        }
    }
    let explanation = p.explanation.clone();
    let first = members
        .iter()
        .map(|f| f.first_ts_ns)
        .min()
        .unwrap_or(p.first_ts_ns);
    let last = members
        .iter()
        .map(|f| f.last_ts_ns)
        .max()
        .unwrap_or(p.last_ts_ns);
    let affected = members.iter().map(|f| f.affected_flows).max().unwrap_or(0);
    let duration_min = (last - first).max(0) as f64 / 60e9;
    let score = severity_weight(severity) * p.confidence
        + (3.0 * (1.0 + affected as f64).log2()).min(10.0)
        + (clients.len() as f64).min(5.0)
        + duration_min.min(5.0);
    RootCause {
        rank: 0,
        cause: p.cause.clone(),
        layer: p.layer,
        severity,
        confidence: p.confidence,
        score: (score * 10.0).round() / 10.0,
        title: p.title.clone(),
        explanation,
        server: p.server.clone(),
        clients,
        clients_total,
        affected_flows: affected,
        first_ts: crate::units::rfc3339(first),
        last_ts: crate::units::rfc3339(last),
        evidence,
        wireshark_filter,
        remediation,
        findings: members.iter().map(|f| f.id.clone()).collect(),
        consequences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
use crate::detect::icmp_unreachable::ICMP_UNREACHABLE;
use crate::detect::port_scan::PORT_SCAN;
use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;
    use crate::detect::{finding, Cause};

    /// The link stage and the ranking, as the pipeline runs them.
    fn ranked(v: &mut [Finding]) -> Vec<RootCause> {
        crate::explain::capture_caveats(v);
        let links = crate::explain::link(v);
        rank(v, &links)
    }

    fn f(cause: Cause, sev: Severity, conf: f64, group: Option<&str>, id: &str) -> Finding {
        let mut x = finding(cause, Layer::Transport, sev, conf)
            .titled(cause.into(), "x".into())
            .between(0, 0);
        x.group = group.map(String::from);
        x.id = id.into();
        x
    }

    #[test]
    fn one_group_is_one_root_cause_led_by_the_strongest() {
        let mut v = vec![
            f(
                TCP_SYN_UNANSWERED,
                Severity::High,
                0.9,
                Some("svc"),
                "a#1",
            ),
            f(
                ICMP_UNREACHABLE,
                Severity::Critical,
                0.95,
                Some("svc"),
                "b#1",
            ),
            f(PORT_SCAN, Severity::Low, 0.9, None, "c#1"),
        ];
        let rc = ranked(&mut v);
        assert_eq!(rc.len(), 2);
        assert_eq!(rc[0].cause, ICMP_UNREACHABLE);
        assert_eq!(rc[0].findings, vec!["b#1", "a#1"]);
        assert_eq!(rc[1].rank, 2);
    }

    #[test]
    fn ranking_does_not_depend_on_input_order() {
        let mk = || {
            vec![
                f(Cause::new("a"), Severity::Medium, 0.5, None, "a#1"),
                f(Cause::new("b"), Severity::Medium, 0.5, None, "b#1"),
                f(Cause::new("c"), Severity::High, 0.4, Some("g"), "c#1"),
                f(Cause::new("d"), Severity::Low, 0.9, Some("g"), "d#1"),
            ]
        };
        let base = ranked(&mut mk());
        let mut rev = mk();
        rev.reverse();
        assert_eq!(ranked(&mut rev), base);
    }

    #[test]
    fn one_sided_capture_lowers_absence_based_confidence() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, 0.9, None, "a#1");
        a.from_absence = true;
        let mut v = vec![a, f(CAPTURE_ONE_SIDED, Severity::Low, 0.8, None, "b#1")];
        let rc = ranked(&mut v);
        let syn = rc.iter().find(|r| r.cause == TCP_SYN_UNANSWERED).unwrap();
        assert!((syn.confidence - 0.54).abs() < 1e-9, "{}", syn.confidence);
    }

    proptest::proptest! {
        #[test]
        fn ranking_of_random_findings_does_not_depend_on_their_order(
            specs in proptest::collection::vec((0u8..5, 0u8..100, 0u8..4, 0u8..6), 1..12),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let sevs = [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];
            let causes = ["a", "b", "c", "d", "e", "f"].map(Cause::new);
            let groups = [None, Some("g1"), Some("g2"), Some("g3")];
            let base: Vec<Finding> = specs
                .iter()
                .enumerate()
                .map(|(i, &(sev, conf, group, cause))| {
                    let mut x = f(causes[cause as usize], sevs[sev as usize], conf as f64 / 100.0, groups[group as usize], &format!("d#{i}"));
                    x.title = format!("t{cause}");
                    x.first_ts_ns = i as i64;
                    x.last_ts_ns = i as i64 + 5;
                    x
                })
                .collect();
            let mut shuffled = base.clone();
            // A deterministic shuffle driven by the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            proptest::prop_assert_eq!(ranked(&mut base.clone()), ranked(&mut shuffled));
        }
    }
}
