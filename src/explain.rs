//! The link stage, between detection and ranking: it relates findings about the same incident
//! so that the ranking reports a cause once, with its consequences, instead of a list.
//!
//! Two steps, in this order:
//!
//! 1. **Capture caveats** ([`capture_caveats`]): findings that rest on something *not* seen
//!    (`from_absence`: no reply, no ACK) lose confidence when the capture itself is doubtful:
//!    multiplied by `1 - 0.5 × confidence(capture_one_sided)` and
//!    `1 - 0.3 × confidence(capture_loss)`. This comes first because which finding of an
//!    incident explains the others depends on their confidence.
//! 2. **Links** ([`link`]): each finding is explained by at most one other, by a named
//!    [`Rule`]. A finding nobody explains is a root cause; the findings it explains (directly
//!    or through others) are its consequences and rank with it, not on their own.
//!
//! A rule is a small function over the findings: it names the two findings and why one
//! explains the other. Rules run in the order of [`RULES`]; a finding already explained keeps
//! its first explanation. Adding a rule adds an entry there, nothing else.
//!
//! Two relations are settled earlier, in detection, because they change what a finding counts
//! rather than which finding comes first: flows answered by an ICMP error are not counted as
//! unanswered SYNs (`detect::Ctx::icmp_answered`), and a scanner's probes are counted by
//! `port_scan` only (`detect::Ctx::scanners`). The links here relate the findings that
//! remain: the ICMP error that answered some SYNs and the SYNs left unanswered become one
//! cause ([`Rule::IcmpAnswersSyn`]).

use std::collections::BTreeMap;

use crate::detect::finding::Finding;
use crate::detect::capture_loss::CAPTURE_LOSS;
use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
use crate::detect::icmp_unreachable::ICMP_UNREACHABLE;
use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;
use crate::units::round2;

/// Why one finding explains another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The two findings are about the same incident (the same `group`: one service, one host,
    /// one name): the strongest of them (severity, then the detector's weight, then
    /// confidence) explains the others.
    SameIncident,
    /// An ICMP destination-unreachable from the path answered connection attempts to a TCP
    /// service, and other attempts to the same service got no answer at all: the ICMP error
    /// (a filter that rejects, a host or network that is unreachable) is why the SYNs went
    /// unanswered.
    IcmpAnswersSyn,
}

/// Finding `explained` (index into the findings) is explained by finding `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The symptom.
    pub explained: usize,
    /// Its cause.
    pub by: usize,
    /// Why.
    pub rule: Rule,
}

/// The links between one analysis's findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    /// For each finding, the link that explains it, if any.
    explained_by: Vec<Option<Link>>,
}

impl Links {
    /// No links between `n` findings.
    pub fn none(n: usize) -> Links {
        Links {
            explained_by: vec![None; n],
        }
    }

    /// Records that `link.by` explains `link.explained`, unless something already explains
    /// it, or the link would close a loop. Returns whether it was recorded.
    pub fn add(&mut self, link: Link) -> bool {
        if link.explained == link.by || self.explained_by[link.explained].is_some() {
            return false;
        }
        if self.root_of(link.by) == link.explained {
            return false;
        }
        self.explained_by[link.explained] = Some(link);
        true
    }

    /// What explains finding `i`, if anything.
    pub fn explained_by(&self, i: usize) -> Option<Link> {
        self.explained_by.get(i).copied().flatten()
    }

    /// The finding at the end of `i`'s chain of explanations (`i` itself when nothing
    /// explains it).
    pub fn root_of(&self, mut i: usize) -> usize {
        while let Some(l) = self.explained_by(i) {
            i = l.by;
        }
        i
    }

    /// The root causes: each finding nobody explains, with the findings it explains directly
    /// or through others, in finding order.
    pub fn incidents(&self) -> Vec<(usize, Vec<usize>)> {
        let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..self.explained_by.len() {
            let r = self.root_of(i);
            let members = by_root.entry(r).or_default();
            if r != i {
                members.push(i);
            }
        }
        by_root.into_iter().collect()
    }
}

/// Lowers the confidence of findings that rest on something not seen when the capture is
/// one-sided or lossy (see the module documentation for the formula).
pub fn capture_caveats(findings: &mut [Finding]) {
    let caveat = |cause: &str| {
        findings
            .iter()
            .filter(|f| f.cause == cause)
            .map(|f| f.confidence)
            .fold(0.0f64, f64::max)
    };
    let one_sided = caveat(CAPTURE_ONE_SIDED.name());
    let loss = caveat(CAPTURE_LOSS.name());
    for f in findings.iter_mut() {
        if f.from_absence {
            f.confidence = round2(f.confidence * (1.0 - 0.5 * one_sided) * (1.0 - 0.3 * loss));
        }
    }
}

/// A link rule: adds the links it finds between `findings` to `links`.
pub type RuleFn = fn(&[Finding], &mut Links);

/// Every rule, in the order they are applied.
pub const RULES: &[(Rule, RuleFn)] = &[
    (Rule::IcmpAnswersSyn, icmp_answers_syn),
    (Rule::SameIncident, same_incident),
];

/// Relates `findings` (after [`capture_caveats`]): which explains which.
pub fn link(findings: &[Finding]) -> Links {
    let mut links = Links::none(findings.len());
    for (_, rule) in RULES {
        rule(findings, &mut links);
    }
    links
}

/// Order of strength within an incident: severity, the detector's weight, confidence (all
/// descending), then id. The first explains the others (and the ranking lists the findings
/// a root cause explains in this order).
pub(crate) fn stronger(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(b.weight.cmp(&a.weight))
        .then(b.confidence.total_cmp(&a.confidence))
        .then(a.id.cmp(&b.id))
}

/// Findings by incident key (`group`), each list strongest first.
fn incidents(findings: &[Finding]) -> BTreeMap<&str, Vec<usize>> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some(g) = f.group.as_deref() {
            groups.entry(g).or_default().push(i);
        }
    }
    for members in groups.values_mut() {
        members.sort_by(|&a, &b| stronger(&findings[a], &findings[b]));
    }
    groups
}

/// [`Rule::IcmpAnswersSyn`]: in one incident, when the ICMP unreachable finding is the
/// strongest, it explains the unanswered-SYN finding about the same server and port.
fn icmp_answers_syn(findings: &[Finding], links: &mut Links) {
    for members in incidents(findings).values() {
        let lead = &findings[members[0]];
        if lead.cause != ICMP_UNREACHABLE.name() {
            continue;
        }
        for &i in &members[1..] {
            let f = &findings[i];
            if f.cause == TCP_SYN_UNANSWERED.name() && f.server == lead.server
            {
                links.add(Link {
                    explained: i,
                    by: members[0],
                    rule: Rule::IcmpAnswersSyn,
                });
            }
        }
    }
}

/// [`Rule::SameIncident`]: the strongest finding of an incident explains the others.
fn same_incident(findings: &[Finding], links: &mut Links) {
    for members in incidents(findings).values() {
        for &i in &members[1..] {
            links.add(Link {
                explained: i,
                by: members[0],
                rule: Rule::SameIncident,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::dns::DNS_NXDOMAIN;
    use crate::detect::finding::{Cause, Layer, Server, Severity};
    use crate::detect::tcp_retransmissions::TCP_RETRANSMISSIONS;

    fn f(cause: Cause, sev: Severity, group: &str, port: u16) -> Finding {
        let mut x = crate::detect::finding(cause, Layer::Transport, sev, 0.9)
            .titled(cause.to_string(), String::new())
            .between(0, 0);
        x.group = Some(group.into());
        x.server = Some(Server {
            ip: "10.0.0.5".into(),
            port: Some(port),
            name: None,
        });
        x.id = format!("{cause}#1");
        x
    }

    #[test]
    fn icmp_error_explains_the_unanswered_syns_of_its_service() {
        let v = vec![
            f(TCP_SYN_UNANSWERED, Severity::High, "svc a", 8081),
            f(ICMP_UNREACHABLE, Severity::Critical, "svc a", 8081),
            f(TCP_RETRANSMISSIONS, Severity::Low, "svc a", 8081),
            f(DNS_NXDOMAIN, Severity::Medium, "dns x", 53),
        ];
        let links = link(&v);
        let syn = links.explained_by(0).unwrap();
        assert_eq!((syn.by, syn.rule), (1, Rule::IcmpAnswersSyn));
        let rtx = links.explained_by(2).unwrap();
        assert_eq!((rtx.by, rtx.rule), (1, Rule::SameIncident));
        assert_eq!(links.explained_by(1), None);
        assert_eq!(links.explained_by(3), None);
        assert_eq!(links.incidents(), vec![(1, vec![0, 2]), (3, vec![])]);
    }

    #[test]
    fn the_syns_of_another_port_are_not_explained_by_the_icmp_error() {
        // Same incident key but another server port: only the general rule applies.
        let v = vec![
            f(ICMP_UNREACHABLE, Severity::Critical, "host", 8081),
            f(TCP_SYN_UNANSWERED, Severity::High, "host", 443),
        ];
        let l = link(&v).explained_by(1).unwrap();
        assert_eq!(l.rule, Rule::SameIncident);
    }

    #[test]
    fn links_never_make_a_loop_and_keep_the_first_explanation() {
        let mut l = Links::none(3);
        assert!(l.add(Link { explained: 0, by: 1, rule: Rule::SameIncident }));
        assert!(!l.add(Link { explained: 1, by: 0, rule: Rule::SameIncident }), "loop");
        assert!(!l.add(Link { explained: 0, by: 2, rule: Rule::SameIncident }), "second");
        assert!(!l.add(Link { explained: 2, by: 2, rule: Rule::SameIncident }), "self");
        assert!(l.add(Link { explained: 1, by: 2, rule: Rule::SameIncident }));
        assert_eq!(l.root_of(0), 2);
        assert_eq!(l.incidents(), vec![(2, vec![0, 1])]);
    }

    #[test]
    fn a_one_sided_capture_lowers_findings_built_on_absence() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, "a", 1);
        a.from_absence = true;
        let mut side = f(CAPTURE_ONE_SIDED, Severity::Low, "c", 0);
        side.confidence = 0.8;
        let mut v = vec![a, side];
        capture_caveats(&mut v);
        assert!((v[0].confidence - 0.54).abs() < 1e-9, "{}", v[0].confidence);
        assert_eq!(v[1].confidence, 0.8);
    }
}
