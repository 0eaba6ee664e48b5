//! `capture_one_sided`: TCP connections seen in one direction only, although they are past
//! the handshake, so the capture point does not see the return path.
//!
//! It describes the capture, not the network: the ranking ([`crate::rank`]) uses it to lower
//! the confidence of causes drawn from missing replies. Likely causes: a SPAN port that mirrors
//! one direction, an asymmetric route, a capture filter. False positives: a capture that starts or
//! stops in the middle of connections sees a few one-way tails; they stay below
//! [`ONE_SIDED_MIN_FLOWS`] and [`ONE_SIDED_MIN_SHARE`].

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "capture.one_sided";

/// Connections seen in one direction only.
pub const CAPTURE_ONE_SIDED: Cause = Cause::new("capture_one_sided");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[CAPTURE_ONE_SIDED];

tunables! {
    /// Fewest one-way TCP connections (flows; unanswered SYNs not counted) from which a capture
    /// is one-sided, default 3, so that one odd flow does not describe the whole capture.
    #[unit = Count]
    pub const ONE_SIDED_MIN_FLOWS: usize = 3;
    /// Least share (0 to 1) of the TCP connections that must be one-way, default 0.5, so that a
    /// mostly two-sided capture is not called one-sided.
    #[unit = Fraction]
    pub const ONE_SIDED_MIN_SHARE: f64 = 0.5;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let tcp: Vec<&Conn> = ctx
        .an
        .flows
        .iter()
        .filter(|f| f.proto == Proto::Tcp && f.conn_state != ConnState::S0)
        .collect();
    let one_way: Vec<&&Conn> = tcp
        .iter()
        .filter(|f| (f.orig_pkts == 0) != (f.resp_pkts == 0))
        .collect();
    let n_tcp = count(tcp.iter().copied());
    let n_one_way = count(one_way.iter().map(|f| **f));
    let share = n_one_way as f64 / n_tcp.max(1) as f64;
    if n_one_way < tun.ONE_SIDED_MIN_FLOWS || share < tun.ONE_SIDED_MIN_SHARE {
        return Vec::new();
    }
    let first = one_way.iter().map(|f| f.first_ts_ns).min().unwrap_or(0);
    let last = one_way.iter().map(|f| f.last_ts_ns).max().unwrap_or(0);
    let mut f = finding(CAPTURE_ONE_SIDED, Layer::Capture, Severity::Low, share.min(0.95))
        .titled(format!("The capture sees only one direction of {n_one_way} of {n_tcp} TCP connections"), format!(
            "{} of {} TCP connections show packets in one direction only although they are past \
             the handshake: the capture point (a SPAN port, an asymmetric route, a capture filter) \
             does not see the return path. Missing replies in this capture prove little.",
            n_one_way, n_tcp
        ))
        .between(first, last);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn one_sided_capture_needs_enough_one_way_connections() {
        let mk = |one_way: usize, two_way: usize| {
            let mut flows: Vec<Conn> = (0..one_way)
                .map(|i| {
                    let mut c = conn(
                        ip(0, 2),
                        40000 + i as u16,
                        ip(0, 5),
                        80,
                        ConnState::Oth,
                        "AD",
                        i as i64,
                    );
                    c.resp_pkts = 0;
                    c
                })
                .collect();
            flows.extend((0..two_way).map(|i| {
                conn(
                    ip(0, 2),
                    50000 + i as u16,
                    ip(0, 5),
                    80,
                    ConnState::Sf,
                    "ShADadFf",
                    100 + i as i64,
                )
            }));
            causes(&analysis(flows, vec![])).contains(&CAPTURE_ONE_SIDED.to_string())
        };
        assert!(mk(capture_one_sided::ONE_SIDED_MIN_FLOWS, 0));
        assert!(!mk(capture_one_sided::ONE_SIDED_MIN_FLOWS - 1, 0));
        assert!(
            !mk(
                capture_one_sided::ONE_SIDED_MIN_FLOWS,
                capture_one_sided::ONE_SIDED_MIN_FLOWS + 1
            ),
            "under half is not one-sided"
        );
    }
}
