//! `capture_loss`: data acknowledged by the receiver but never seen in the capture, so the
//! capturing host or tap dropped packets.
//!
//! It describes the capture, not the network: the ranking ([`crate::rank`]) uses it to lower
//! the confidence of the causes that rest on an absence. Likely causes: a full capture buffer,
//! a slow disk, an overloaded SPAN port. False positives: a receiver acknowledging data
//! sent over another path the capture does not see.

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "capture.loss";

/// Data acknowledged but never seen.
pub const CAPTURE_LOSS: Cause = Cause::new("capture_loss");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[CAPTURE_LOSS];

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let flows: Vec<&Conn> = ctx
        .an
        .flows
        .iter()
        .filter(|f| f.totals().missed_bytes > 0)
        .collect();
    if flows.is_empty() {
        return Vec::new();
    }
    let missed: u64 = flows.iter().map(|f| f.totals().missed_bytes).sum();
    let n = count(flows.iter().copied());
    let tcp = count(ctx.an.flows.iter().filter(|f| f.proto == Proto::Tcp));
    let first = flows.iter().map(|f| f.first_ts_ns).min().unwrap_or(0);
    let last = flows.iter().map(|f| f.last_ts_ns).max().unwrap_or(0);
    let share = n as f64 / tcp.max(1) as f64;
    let mut f = finding(CAPTURE_LOSS, Layer::Capture, Severity::Low, if share > 0.1 { 0.9 } else { 0.6 })
        .titled(format!(
            "The capture missed {missed} bytes in {}",
            plural(n, "connection")
        ), format!(
            "In {} of {tcp} TCP connections the receiver acknowledged {missed} bytes that are \
             not in the capture: the capturing host or tap dropped packets. Missing packets are \
             not network loss, so conclusions drawn from absences are less certain.",
            n
        ))
        .between(first, last);
    for c in flows.iter().take(4) {
        f.evidence.push(ctx.ev(
            c.capture,
            c.gap_frame.unwrap_or(c.first_frame),
            c.first_ts_ns,
            format!(
                "acknowledges data the capture lacks ({} bytes in this connection)",
                c.missed_bytes
            ),
        ));
    }
    f.affected_flows = n as u64;
    f.wireshark_filter = "tcp.analysis.ack_lost_segment || tcp.analysis.lost_segment".into();
    f.remediation = vec![
        "Capture with a larger buffer (tcpdump -B), to a fast disk, or with a capture filter."
            .into(),
    ];
    vec![f]
}
