//! The link stage, between detection and ranking: it relates findings so that the ranking
//! reports each cause once, with the findings it explains as its consequences, instead of a
//! list where a symptom (dropped SYNs, a client's alert, a SERVFAIL) ranks beside or above
//! its cause (an address that moved, a legacy server, a broken upstream).
//!
//! Two steps, in this order:
//!
//! 1. **Capture caveats** ([`capture_caveats`]): findings that rest on something *not* seen
//!    (`from_absence`: no reply, no ACK) lose confidence when the capture itself is doubtful:
//!    multiplied by `1 - 0.5 × confidence(capture_one_sided)` and
//!    `1 - 0.3 × confidence(capture_loss)`; and the capture finding itself is raised to the
//!    severity of the strongest finding it casts doubt on, so the report says first that the
//!    capture cannot show what those findings claim. This comes first because which finding
//!    explains the others depends on their confidence.
//! 2. **Links** ([`link`]): each finding is explained by at most one other, by a named
//!    [`Rule`]. A finding nobody explains is a root cause; the findings it explains (directly
//!    or through others) are its consequences and rank with it, not on their own.
//!
//! The rules are a table ([`rules::RULES`]): each names the causes that explain, the causes
//! they explain, what must match between the two findings (the same service, the same
//! address, the host the explaining finding is about) and the time window. Rules run in the
//! table's order; a finding keeps its first explanation. Adding a link adds a row there.
//! After the table, one general rule ([`Rule::SameIncident`]) relates what is left of each
//! incident (the findings with the same `group` key): the strongest finding explains the
//! *symptoms* of its incident. *Defects* (see [`crate::detect::Cause`]) are never explained
//! by it: an expired certificate and a weak DH group on one server are two root causes.
//!
//! Two relations are settled earlier, in detection, because they change what a finding counts
//! rather than which finding comes first: flows answered by an ICMP error are not counted as
//! unanswered SYNs (`detect::Ctx::icmp_answered`), and a scanner's probes are counted by
//! `port_scan` only (`detect::Ctx::scanners`).

pub mod rules;

use std::collections::BTreeMap;

use crate::detect::capture_loss::CAPTURE_LOSS;
use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
use crate::detect::finding::{Finding, Severity};
use crate::units::round2;

pub use rules::{RULES, Rule};

/// Finding `explained` (index into the findings) is explained by finding `by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The symptom.
    pub explained: usize,
    /// Its cause.
    pub by: usize,
    /// Why.
    pub rule: Rule,
    /// One sentence for the report: how `by` explains `explained`, with what matched.
    pub note: String,
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
        let i = link.explained;
        self.explained_by[i] = Some(link);
        true
    }

    /// What explains finding `i`, if anything.
    pub fn explained_by(&self, i: usize) -> Option<&Link> {
        self.explained_by.get(i).and_then(Option::as_ref)
    }

    /// Whether something explains finding `i`.
    pub fn is_explained(&self, i: usize) -> bool {
        self.explained_by(i).is_some()
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
/// one-sided or lossy, and raises the capture finding to the severity of the strongest
/// finding it casts doubt on (see the module documentation).
pub fn capture_caveats(findings: &mut [Finding]) {
    let caveat = |cause| {
        findings
            .iter()
            .filter(|f| f.cause == cause)
            .map(|f| f.confidence)
            .fold(0.0f64, f64::max)
    };
    let one_sided = caveat(CAPTURE_ONE_SIDED);
    let loss = caveat(CAPTURE_LOSS);
    let mut doubted = Severity::Info;
    for f in findings.iter_mut() {
        if f.from_absence {
            f.confidence = round2(f.confidence * (1.0 - 0.5 * one_sided) * (1.0 - 0.3 * loss));
            doubted = doubted.max(f.severity);
        }
    }
    // Only a doubt strong enough to change the verdict leads the report.
    for f in findings.iter_mut() {
        let strong = (f.cause == CAPTURE_ONE_SIDED && one_sided >= 0.5)
            || (f.cause == CAPTURE_LOSS && loss >= 0.5);
        if strong && doubted > f.severity {
            f.severity = doubted.min(Severity::High);
            f.explanation.push_str(&format!(
                " Findings that rest on packets not seen in this capture (unanswered SYNs, \
                 missing replies) are less certain because of it: their confidence is lowered \
                 by {}%.",
                ((1.0 - (1.0 - 0.5 * one_sided) * (1.0 - 0.3 * loss)) * 100.0).round()
            ));
        }
    }
}

/// Relates `findings` (after [`capture_caveats`]): which explains which.
pub fn link(findings: &[Finding]) -> Links {
    let mut links = Links::none(findings.len());
    for rule in RULES {
        rules::apply(rule, findings, &mut links);
    }
    rules::same_incident(findings, &mut links);
    links
}

/// Order of strength: severity, the detector's weight, confidence (all descending), then id.
/// Among candidates, the first explains the others (and the ranking lists the findings a root
/// cause explains in this order).
pub(crate) fn stronger(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(b.weight.cmp(&a.weight))
        .then(b.confidence.total_cmp(&a.confidence))
        .then(a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::capture_one_sided::CAPTURE_ONE_SIDED;
    use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;
    use crate::detect::tcp_rejected_rst::TCP_REJECTED_RST;
    use crate::detect::testing::linkable as f;

    fn l(explained: usize, by: usize) -> Link {
        Link {
            explained,
            by,
            rule: Rule::SameIncident,
            note: String::new(),
        }
    }

    #[test]
    fn links_never_make_a_loop_and_keep_the_first_explanation() {
        let mut links = Links::none(3);
        assert!(links.add(l(0, 1)));
        assert!(!links.add(l(1, 0)), "loop");
        assert!(!links.add(l(0, 2)), "second");
        assert!(!links.add(l(2, 2)), "self");
        assert!(links.add(l(1, 2)));
        assert_eq!(links.root_of(0), 2);
        assert_eq!(links.incidents(), vec![(2, vec![0, 1])]);
    }

    #[test]
    fn a_one_sided_capture_lowers_findings_built_on_absence_and_leads() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, "a", "10.0.0.5", 1);
        a.from_absence = true;
        let mut side = f(CAPTURE_ONE_SIDED, Severity::Low, "c", "10.0.0.9", 0);
        side.confidence = 0.8;
        let mut v = vec![a, side];
        capture_caveats(&mut v);
        assert!((v[0].confidence - 0.54).abs() < 1e-9, "{}", v[0].confidence);
        assert_eq!(v[1].confidence, 0.8);
        assert_eq!(v[1].severity, Severity::High, "raised to lead the absence-based finding");
    }

    #[test]
    fn a_lossy_capture_lowers_findings_built_on_absence_and_leads() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, "a", "10.0.0.5", 1);
        a.from_absence = true;
        let b = f(TCP_REJECTED_RST, Severity::High, "b", "10.0.0.6", 2); // seen, not absent
        let mut loss = f(CAPTURE_LOSS, Severity::Low, "c", "10.0.0.9", 0);
        loss.confidence = 0.9;
        let mut v = vec![a, b, loss];
        capture_caveats(&mut v);
        assert!((v[0].confidence - 0.66).abs() < 1e-9, "{}", v[0].confidence);
        assert_eq!(v[1].confidence, 0.9, "what was seen keeps its confidence");
        assert_eq!(v[2].severity, Severity::High, "raised to lead the absence-based finding");
        assert!(v[2].explanation.contains("lowered by 27%"), "{}", v[2].explanation);
    }

    #[test]
    fn a_weak_doubt_about_the_capture_changes_no_severity() {
        let mut a = f(TCP_SYN_UNANSWERED, Severity::Critical, "a", "10.0.0.5", 1);
        a.from_absence = true;
        let mut side = f(CAPTURE_ONE_SIDED, Severity::Low, "c", "10.0.0.9", 0);
        side.confidence = 0.3;
        let mut v = vec![a, side];
        capture_caveats(&mut v);
        assert_eq!(v[1].severity, Severity::Low);
    }
}
