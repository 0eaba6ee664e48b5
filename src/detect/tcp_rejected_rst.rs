//! `tcp_rejected_rst`: SYNs answered by RST/ACK (Zeek state REJ): nothing listens on the port,
//! or a firewall rejects with a TCP reset.
//!
//! Grouped per server address and port. When the server's other packets carry a different
//! TTL than the resets, the resets probably come from a device in between (a firewall
//! rejecting on the server's behalf), and the explanation says so.
//!
//! Known false positives: port scans (their probes are excluded here and reported once by
//! `port_scan`).

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.rejected_rst";

/// `tcp_rejected_rst`: connection attempts refused with a reset.
pub const TCP_REJECTED_RST: Cause = Cause::symptom("tcp_rejected_rst");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_REJECTED_RST];

tunables! {
    /// Attempts from which a refused service with no successful connection is `critical`.
    #[unit = Count]
    pub const CRITICAL_ATTEMPTS: usize = 3;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let rejected = an.flows.iter().enumerate().filter(|(_, f)| {
        f.proto == Proto::Tcp
            && f.conn_state == ConnState::Rej
            && f.syn_frame.is_some()
            && ctx.not_only_scans(f)
    });
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(rejected) {
        let ok = ctx.handshakes(ip, port);
        let attempts: usize = flows.iter().map(|(_, f)| ctx.weight(f) as usize).sum();
        let origins = Origins::of(ctx, flows.iter().map(|(_, f)| *f));
        let n_clients = origins.count();
        let clients = origins.list();
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let severity = if ok > 0 {
            Severity::Medium
        } else if attempts >= tun.CRITICAL_ATTEMPTS {
            Severity::Critical
        } else {
            Severity::High
        };
        let svc = ctx.label(ip, port);
        let max_rtt = flows
            .iter()
            .map(|(_, f)| f.last_ts_ns - f.first_ts_ns)
            .max()
            .unwrap_or(0);
        let mut expl = format!(
            "{} from {} to {svc} were refused: each SYN was answered with RST/ACK (within {}). \
             Nothing listens on port {port} of {ip}, or a firewall rejects these connections \
             with a TCP reset.",
            plural(attempts, "connection attempt"),
            plural(n_clients, "client"),
            secs(max_rtt),
        );
        // TTL of the resets versus the server's other packets: a middlebox hint.
        let rst_ttls: std::collections::BTreeSet<u8> =
            flows.iter().filter_map(|(_, f)| f.resp_ttl).collect();
        let other_ttls = ctx.host_ttls(ip);
        if !other_ttls.is_empty() && !rst_ttls.is_empty() && rst_ttls.is_disjoint(&other_ttls) {
            expl.push_str(&format!(
                " The resets arrive with TTL {:?} while {ip}'s other packets have TTL {:?}: \
                 they were probably sent by a firewall in between, not by the server.",
                rst_ttls, other_ttls
            ));
        }
        if ok > 0 {
            expl.push_str(&format!(
                " {} to the same port succeeded, so the refusals are intermittent (a restarting \
                 service, or one member of a pool without the service).",
                plural(ok, "other connection")
            ));
        }
        let mut f = finding(TCP_REJECTED_RST, Layer::Transport, severity, 0.95)
            .titled(format!("TCP {svc} refuses connections (SYN answered by RST)"), expl)
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = clients;
        f.clients_total = origins.total_if_partial();
        f.affected_flows = attempts as u64;
        for (_, c) in flows.iter().take(6) {
            if let Some(fr) = c.syn_frame {
                f.evidence.push(ctx.ev(
                    c.capture,
                    fr,
                    c.first_ts_ns,
                    format!("SYN from {}", ep(c.orig_ip, c.orig_port)),
                ));
            }
            if let Some(fr) = c.rst_frame {
                f.evidence
                    .push(ctx.ev(c.capture, fr, c.last_ts_ns, format!("RST/ACK from {svc}")));
            }
        }
        f.wireshark_filter = format!(
            "{}.addr=={ip} && tcp.port=={port} && (tcp.flags.syn==1 || tcp.flags.reset==1)",
            ipf(ip)
        );
        f.remediation = vec![
            format!(
                "On {ip}, check that the service runs and listens on port {port}: ss -ltnp 'sport = :{port}'."
            ),
            format!("Check firewall REJECT rules for TCP {port} on {ip} and on the path."),
            "Check the port configured in the client: a wrong port gives the same picture."
                .to_string(),
        ];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.weight = 60;
        out.push(f);
    }
    out
}
