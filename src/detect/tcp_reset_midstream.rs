//! `tcp_reset_midstream`: established connections that carried data and were aborted by a
//! RST, and by which side. Server aborts matter; a client resetting after it got its whole
//! response is normal life and not reported. Parameter: [`MEDIUM_MIN`].

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.reset_midstream";

/// `tcp_reset_midstream`: established connections aborted with a reset.
pub const TCP_RESET_MIDSTREAM: Cause = Cause::symptom("tcp_reset_midstream");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_RESET_MIDSTREAM];

tunables! {
    /// Server-side aborts from which the finding is `medium` rather than `low`.
    #[unit = Count]
    pub const MEDIUM_MIN: usize = 2;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let aborted = ctx.an.flows.iter().enumerate().filter(|(_, f)| {
        f.proto == Proto::Tcp
            && matches!(f.conn_state, ConnState::Rsto | ConnState::Rstr)
            && handshake_ok(f)
            && f.orig_bytes + f.resp_bytes > 0
            && !(f.rst_by == Some("orig") && f.resp_unacked_bytes == 0)
    });
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(aborted) {
        let by_server = count(
            flows
                .iter()
                .filter(|(_, f)| f.rst_by == Some("resp"))
                .map(|(_, f)| *f),
        );
        let n = count(flows.iter().map(|(_, f)| *f));
        let by_client = n - by_server;
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let severity = if by_server >= tun.MEDIUM_MIN {
            Severity::Medium
        } else {
            Severity::Low
        };
        let svc = ctx.label(ip, port);
        let mut f = finding(TCP_RESET_MIDSTREAM, Layer::Transport, severity, 0.85)
            .titled(format!(
                "Connections to {svc} aborted mid-stream by RST ({by_server} by the server, {by_client} by clients)"
            ), format!(
                "{} to {svc} were established and carrying data when a RST ended them: {by_server} \
                 sent by the server, {by_client} by the client while data was still in flight. \
                 Server aborts usually mean the application crashed, hit a timeout or a limit, or \
                 a proxy or firewall killed the session.",
                plural(n, "connection")
            ))
            .between(first, last);
        about_service(&mut f, ip, port, &flows);
        for (_, c) in flows.iter().take(6) {
            if let Some(fr) = c.rst_frame {
                let who = if c.rst_by == Some("resp") {
                    "server"
                } else {
                    "client"
                };
                f.evidence.push(ctx.ev(
                    c.capture,
                    fr,
                    c.last_ts_ns,
                    format!(
                        "RST by the {who} after {} + {} bytes",
                        c.orig_bytes, c.resp_bytes
                    ),
                ));
            }
        }
        f.wireshark_filter = format!(
            "{}.addr=={ip} && tcp.port=={port} && tcp.flags.reset==1",
            ipf(ip)
        );
        f.remediation = vec![
            format!("Check the application and proxy logs on {ip} at the times of the resets."),
            "Look for idle or request timeouts and connection limits in load balancers and firewalls on the path.".into(),
        ];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.weight = 40;
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn server_aborts_are_medium_from_the_documented_count() {
        let mk = |n: usize| {
            let flows = (0..n)
                .map(|i| {
                    let mut c = conn(
                        ip(0, 2),
                        40000 + i as u16,
                        ip(0, 5),
                        8081,
                        ConnState::Rstr,
                        "ShADdr",
                        i as i64 * 1000,
                    );
                    c.rst_by = Some("resp");
                    c.orig_bytes = 100;
                    c
                })
                .collect();
            run_all(&analysis(flows, vec![]))
                .into_iter()
                .find(|f| f.cause == TCP_RESET_MIDSTREAM)
                .map(|f| f.severity)
        };
        assert_eq!(mk(tcp_reset_midstream::MEDIUM_MIN), Some(Severity::Medium));
        assert_eq!(mk(tcp_reset_midstream::MEDIUM_MIN - 1), Some(Severity::Low));
    }
}
