//! Capture-layer findings: the vantage point itself. They describe the capture and lower the
//! confidence of the causes they undermine (see [`crate::rank`]) instead of blaming anyone.
//!
//! - `capture_truncated`: packets cut by the snaplen (application analysis is partial).
//! - `capture_loss`: data acknowledged by the receiver but never seen in the capture.
//! - `capture_one_sided`: TCP connections seen in one direction only.
//!
//! Parameters: [`ONE_SIDED_MIN_FLOWS`], [`ONE_SIDED_MIN_SHARE`].

use super::*;

/// Packets cut by the snaplen.
pub const CAPTURE_TRUNCATED: Cause = Cause::new("capture_truncated");
/// Data acknowledged but never seen.
pub const CAPTURE_LOSS: Cause = Cause::new("capture_loss");
/// Connections seen in one direction only.
pub const CAPTURE_ONE_SIDED: Cause = Cause::new("capture_one_sided");

/// One-way TCP connections (not counting unanswered SYNs) from which a capture is one-sided.
pub const ONE_SIDED_MIN_FLOWS: usize = 3;
/// ... and their share of the TCP connections.
pub const ONE_SIDED_MIN_SHARE: f64 = 0.5;

pub fn truncated(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let n: u64 = an.captures.iter().map(|c| c.truncated_packets).sum();
    let total: u64 = an.captures.iter().map(|c| c.meta.packets).sum();
    if n == 0 {
        return Vec::new();
    }
    let first = an
        .captures
        .iter()
        .filter_map(|c| c.first_ts_ns)
        .min()
        .unwrap_or(0);
    let last = an
        .captures
        .iter()
        .filter_map(|c| c.last_ts_ns)
        .max()
        .unwrap_or(0);
    let share = n as f64 / total.max(1) as f64;
    let mut f = finding(
        "capture_truncated",
        Layer::Capture,
        if share >= 0.05 {
            Severity::Low
        } else {
            Severity::Info
        },
        1.0,
        format!("{n} of {total} packets are truncated"),
        format!(
            "{n} packets ({:.1}%) were captured shorter than they were on the wire (a small \
             snaplen) or are cut inside their headers: what they carried cannot be analysed, so \
             application-level conclusions are less certain.",
            share * 100.0
        ),
        first,
        last,
    );
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

pub fn loss(ctx: &Ctx<'_>) -> Vec<Finding> {
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
    let mut f = finding(
        "capture_loss",
        Layer::Capture,
        Severity::Low,
        if share > 0.1 { 0.9 } else { 0.6 },
        format!(
            "The capture missed {missed} bytes in {}",
            plural(n, "connection")
        ),
        format!(
            "In {} of {tcp} TCP connections the receiver acknowledged {missed} bytes that are \
             not in the capture: the capturing host or tap dropped packets. Missing packets are \
             not network loss, so conclusions drawn from absences are less certain.",
            n
        ),
        first,
        last,
    );
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

pub fn one_sided(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tcp: Vec<&Conn> = ctx
        .an
        .flows
        .iter()
        .filter(|f| f.proto == Proto::Tcp && f.conn_state != "S0")
        .collect();
    let one_way: Vec<&&Conn> = tcp
        .iter()
        .filter(|f| (f.orig_pkts == 0) != (f.resp_pkts == 0))
        .collect();
    let n_tcp = count(tcp.iter().copied());
    let n_one_way = count(one_way.iter().map(|f| **f));
    let share = n_one_way as f64 / n_tcp.max(1) as f64;
    if n_one_way < ONE_SIDED_MIN_FLOWS || share < ONE_SIDED_MIN_SHARE {
        return Vec::new();
    }
    let first = one_way.iter().map(|f| f.first_ts_ns).min().unwrap_or(0);
    let last = one_way.iter().map(|f| f.last_ts_ns).max().unwrap_or(0);
    let mut f = finding(
        "capture_one_sided",
        Layer::Capture,
        Severity::Low,
        share.min(0.95),
        format!("The capture sees only one direction of {n_one_way} of {n_tcp} TCP connections"),
        format!(
            "{} of {} TCP connections show packets in one direction only although they are past \
             the handshake: the capture point (a SPAN port, an asymmetric route, a capture filter) \
             does not see the return path. Missing replies in this capture prove little.",
            n_one_way, n_tcp
        ),
        first,
        last,
    );
    for c in one_way.iter().take(4) {
        f.evidence.push(ctx.ev(
            c.capture,
            c.first_frame,
            c.first_ts_ns,
            format!(
                "{} <-> {}: packets one way only",
                ep(c.orig_ip, c.orig_port),
                ep(c.resp_ip, c.resp_port)
            ),
        ));
    }
    f.affected_flows = n_one_way as u64;
    f.remediation = vec!["Capture where both directions pass (on the client or server host, or a tap that sees both).".into()];
    vec![f]
}
