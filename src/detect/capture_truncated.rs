//! `capture_truncated`: packets cut by the snaplen, so what they carried cannot be analysed
//! and application-level conclusions are partial.
//!
//! It describes the capture, not the network: the ranking ([`crate::rank`]) uses it to lower
//! the confidence of the causes it undermines instead of blaming anyone. Likely causes: a
//! small snaplen (`tcpdump -s 96`), or a capture tool that slices packets. False positives:
//! none known; packets cut inside their headers by a corrupt capture also count.

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "capture.truncated";

/// Packets cut by the snaplen.
pub const CAPTURE_TRUNCATED: Cause = Cause::new("capture_truncated");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[CAPTURE_TRUNCATED];

/// This detector has no tunables.
pub const TUNABLES: &[Tunable] = &[];

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let n: u64 = an.captures.iter().map(|c| c.truncated_packets).sum();
    let total: u64 = an.captures.iter().map(|c| c.meta.packets).sum();
    if n == 0 {
        return Vec::new();
    }
    let (first, last) = (ctx.capture_start(), ctx.capture_end());
    let share = n as f64 / total.max(1) as f64;
    let mut f = finding(CAPTURE_TRUNCATED, Layer::Capture, if share >= 0.05 {
            Severity::Low
        } else {
            Severity::Info
        }, 1.0)
        .titled(format!("{n} of {total} packets are truncated"), format!(
            "{n} packets ({:.1}%) were captured shorter than they were on the wire (a small \
             snaplen) or are cut inside their headers: what they carried cannot be analysed, so \
             application-level conclusions are less certain.",
            share * 100.0
        ))
        .between(first, last);
    for c in &an.captures {
        for &fr in &c.truncated_sample {
            f.evidence.push(Evidence {
                frame: fr,
                ts: String::new(),
                note: "captured shorter than on the wire".into(),
                capture: (an.captures.len() > 1).then(|| c.meta.name.clone()),
            });
        }
    }
    f.evidence.truncate(6);
    f.wireshark_filter = "frame.cap_len < frame.len".into();
    f.remediation = vec!["Capture again with the full snaplen (tcpdump -s 0, the default).".into()];
    vec![f]
}
