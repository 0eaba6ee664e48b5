//! `capture_loss`: data acknowledged by the receiver but never seen in the capture, so the
//! capturing host or tap dropped packets.
//!
//! It describes the capture, not the network: the link stage ([`crate::explain`]) uses it to
//! lower the confidence of the causes that rest on an absence. The finding names the servers
//! and connections whose bytes were not seen, most first, so an engineer knows which
//! conclusions about them to doubt. Likely causes: a full capture buffer,
//! a slow disk, an overloaded SPAN port. False positives: a receiver acknowledging data
//! sent over another path the capture does not see.

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "capture.loss";

/// Data acknowledged but never seen.
pub const CAPTURE_LOSS: Cause = Cause::new("capture_loss");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[CAPTURE_LOSS];

tunables! {
    /// Servers named in the explanation (the others are counted).
    #[unit = Count]
    pub const MAX_NAMED: usize = 5;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
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
    // Servers whose connections lost the most bytes, most first (ties: address order).
    let mut by_server: BTreeMap<(IpAddr, u16), (usize, u64)> = BTreeMap::new();
    for c in &flows {
        let e = by_server.entry((c.resp_ip, c.resp_port)).or_default();
        e.0 += ctx.weight(c) as usize;
        e.1 += c.totals().missed_bytes;
    }
    let mut servers: Vec<((IpAddr, u16), (usize, u64))> = by_server.into_iter().collect();
    servers.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
    let named: Vec<String> = servers
        .iter()
        .take(tun.MAX_NAMED)
        .map(|((ip, port), (conns, bytes))| {
            format!("{} ({}, {bytes} bytes)", ctx.label(*ip, *port), plural(*conns, "connection"))
        })
        .collect();
    let more = servers.len().saturating_sub(tun.MAX_NAMED);
    let mut f = finding(CAPTURE_LOSS, Layer::Capture, Severity::Low, if share > 0.1 { 0.9 } else { 0.6 })
        .titled(format!(
            "The capture missed {missed} bytes in {}",
            plural(n, "connection")
        ), format!(
            "In {} of {tcp} TCP connections the receiver acknowledged {missed} bytes that are \
             not in the capture: the capturing host or tap dropped packets. Missing packets are \
             not network loss, so conclusions drawn from absences are less certain. Not seen \
             in full: {}{}.",
            n,
            named.join(", "),
            if more > 0 { format!(" and {more} more servers") } else { String::new() }
        ))
        .between(first, last);
    let mut lossiest = flows.clone();
    lossiest.sort_by(|a, b| {
        b.totals()
            .missed_bytes
            .cmp(&a.totals().missed_bytes)
            .then((a.capture, a.first_frame).cmp(&(b.capture, b.first_frame)))
    });
    for c in lossiest.iter().take(4) {
        f.evidence.push(ctx.ev(
            c.capture,
            c.gap_frame.unwrap_or(c.first_frame),
            c.first_ts_ns,
            format!(
                "{} <-> {} acknowledges data the capture lacks ({} bytes in this connection)",
                ep(c.orig_ip, c.orig_port),
                ep(c.resp_ip, c.resp_port),
                c.missed_bytes
            ),
        ));
    }
    f.evidence.sort_by_key(|e| (e.capture.clone(), e.frame));
    f.affected_flows = n as u64;
    f.wireshark_filter = "tcp.analysis.ack_lost_segment || tcp.analysis.lost_segment".into();
    f.remediation = vec![
        "Capture with a larger buffer (tcpdump -B), to a fast disk, or with a capture filter."
            .into(),
    ];
    vec![f]
}
