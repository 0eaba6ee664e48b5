//! `tcp_zero_window`: receivers advertising a zero window (they cannot take more data), per
//! service, saying which side stalls. Parameters: [`MEDIUM_MIN`].

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.zero_window";

/// `tcp_zero_window`: A receiver stalling its sender with zero windows.
pub const TCP_ZERO_WINDOW: Cause = Cause::symptom("tcp_zero_window");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_ZERO_WINDOW];

tunables! {
    /// Zero-window advertisements from which the finding is `low` (below: `info`, a receiver
    /// that caught up at once) and `medium`.
    #[unit = Count]
    pub const LOW_MIN: u64 = 5;
    /// Zero-window advertisements from which the finding is `medium`, default 10: a receiver that
    /// keeps stalling its sender.
    #[unit = Count]
    pub const MEDIUM_MIN: u64 = 10;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let tcp = ctx
        .an
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.proto == Proto::Tcp && f.totals().zero_windows() > 0);
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(tcp) {
        let by_client: u64 = flows
            .iter()
            .map(|(_, f)| f.totals().orig_zero_windows)
            .sum();
        let by_server: u64 = flows
            .iter()
            .map(|(_, f)| f.totals().resp_zero_windows)
            .sum();
        let total = by_client + by_server;
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let svc = ctx.label(ip, port);
        let who = if by_client >= by_server {
            "the clients cannot keep up with what the server sends (a slow or blocked reader)"
        } else {
            "the server cannot keep up with what clients send (an overloaded or stalled service)"
        };
        let mut f = finding(TCP_ZERO_WINDOW, Layer::Transport, if total >= tun.MEDIUM_MIN {
                Severity::Medium
            } else if total >= tun.LOW_MIN {
                Severity::Low
            } else {
                Severity::Info
            }, 0.9)
            .titled(format!("Zero-window stalls on {svc} ({total} zero-window advertisements)"), format!(
                "{} with {svc} advertised a zero receive window {total} times ({by_client} by \
                 clients, {by_server} by the server): {who}. Transfers stall until the receiver \
                 reads.",
                plural(count(flows.iter().map(|(_, f)| *f)), "connection")
            ))
            .between(first, last);
        about_service(&mut f, ip, port, &flows);
        for (_, c) in flows.iter().take(5) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.zero_window_frame.unwrap_or(c.first_frame),
                c.first_ts_ns,
                format!(
                    "first zero window in the connection from {}: {} in all",
                    ep(c.orig_ip, c.orig_port),
                    c.orig_zero_windows + c.resp_zero_windows
                ),
            ));
        }
        f.wireshark_filter = format!(
            "{}.addr=={ip} && tcp.port=={port} && tcp.analysis.zero_window",
            ipf(ip)
        );
        f.remediation = vec!["Check CPU, memory and disk of the side advertising zero windows, and its application's read loop.".into()];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.weight = 30;
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn a_couple_of_zero_windows_are_informational() {
        let mk = |zw: u32| {
            let mut c = conn(ip(0, 2), 40000, ip(0, 5), 443, ConnState::Sf, "ShADadFf", 0);
            c.orig_zero_windows = zw;
            run_all(&analysis(vec![c], vec![]))[0].severity
        };
        assert_eq!(mk(tcp_zero_window::LOW_MIN as u32 - 1), Severity::Info);
        assert_eq!(mk(tcp_zero_window::LOW_MIN as u32), Severity::Low);
        assert_eq!(mk(tcp_zero_window::MEDIUM_MIN as u32), Severity::Medium);
    }
}
