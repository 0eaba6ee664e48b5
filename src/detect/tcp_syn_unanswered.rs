//! `tcp_syn_unanswered`: connection attempts whose SYNs never got any answer (no SYN-ACK, no
//! RST, no ICMP error): a silent drop, typically a firewall rule or security group.
//!
//! Grouped per server address and port. Counts attempts (flows in Zeek state S0), SYNs sent
//! (with retransmissions), clients, and whether the server answered anything else in the
//! capture: if it did, the drop is selective (a firewall in front of that port); if it sent
//! nothing at all, the host may be down or unreachable, or the capture may see only one
//! direction, and confidence is lower.
//!
//! Known false positives: a capture that stops right after a SYN (a single SYN in the last
//! [`END_GRACE_NS`] of the capture is ignored); one-sided captures (the ranking engine lowers
//! confidence when `capture_one_sided` fires); SYN floods and scans (handled by their own
//! detectors, whose probes are excluded here).

use std::collections::BTreeSet;

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.syn_unanswered";

/// `tcp_syn_unanswered`: SYNs that never got any answer.
pub const TCP_SYN_UNANSWERED: Cause = Cause::symptom("tcp_syn_unanswered");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_SYN_UNANSWERED];

tunables! {
    /// A lone SYN this close to the end of the capture may simply not have been answered yet.
    #[unit = Ns]
    pub const END_GRACE_NS: i64 = 1_000_000_000;
    /// Attempts (or SYNs) from which an unanswered service is `critical` rather than `high`.
    #[unit = Count]
    pub const CRITICAL_ATTEMPTS: usize = 2;
    /// SYNs (retransmissions included) from which an unanswered service is `critical`, default 3:
    /// a client that retried twice without any answer has given up.
    #[unit = Count]
    pub const CRITICAL_SYNS: u64 = 3;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let end = ctx.capture_end();
    let unanswered = an.flows.iter().enumerate().filter(|(i, f)| {
        f.proto == Proto::Tcp
            && f.conn_state == ConnState::S0
            && f.resp_pkts == 0
            && !ctx.icmp_answered.contains(i)
            && ctx.not_only_scans(f)
            && !(f.fold.is_some()
                && ctx
                    .icmp_services
                    .contains(&(Proto::Tcp, f.resp_ip, f.resp_port)))
    });
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(unanswered) {
        let syns: u64 = flows.iter().map(|(_, f)| f.totals().orig_pkts).sum();
        let attempts: usize = flows.iter().map(|(_, f)| ctx.weight(f) as usize).sum();
        if attempts == 1 && syns == 1 && end - flows[0].1.first_ts_ns < tun.END_GRACE_NS {
            continue;
        }
        let ok = ctx.handshakes(ip, port);
        let origins = Origins::of(ctx, flows.iter().map(|(_, f)| *f));
        let n_clients = origins.count();
        let clients = origins.list();
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let server_talks = ctx.talkers.contains(&ip);
        let other_ports: BTreeSet<u16> = ctx
            .answered_ports
            .get(&ip)
            .map(|s| s.iter().copied().filter(|p| *p != port).collect())
            .unwrap_or_default();
        let severity = if ok > 0 {
            Severity::Medium
        } else if attempts >= tun.CRITICAL_ATTEMPTS || syns >= tun.CRITICAL_SYNS {
            Severity::Critical
        } else {
            Severity::High
        };
        let confidence = if server_talks { 0.95 } else { 0.8 };
        let svc = ctx.label(ip, port);
        let title = if ok == 0 {
            format!("TCP {svc} never answers SYNs (silently dropped)")
        } else {
            format!(
                "TCP {svc} drops some connection attempts ({} of {})",
                attempts,
                attempts + ok
            )
        };
        let mut expl = format!(
            "{} from {} to {svc} sent {syns} SYNs between {} and {} and got no SYN-ACK, no RST \
             and no ICMP error back.",
            plural(attempts, "connection attempt"),
            plural(n_clients, "client"),
            rfc3339(first),
            rfc3339(last),
        );
        expl.push_str(&where_dropped(ip, port, ok, &other_ports, server_talks));
        let mut f = finding(TCP_SYN_UNANSWERED, Layer::Transport, severity, confidence)
            .titled(title, expl)
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = clients;
        f.clients_total = origins.total_if_partial();
        f.affected_flows = attempts as u64;
        add_evidence(ctx, &mut f, &flows);
        f.wireshark_filter = format!(
            "{}.dst=={ip} && tcp.dstport=={port} && tcp.flags.syn==1 && tcp.flags.ack==0",
            ipf(ip)
        );
        f.remediation = vec![
            format!(
                "Check firewall rules and security groups between {} and {ip} for TCP port \
                 {port}: a DROP rule produces exactly this pattern.",
                f.clients.first().cloned().unwrap_or_default()
            ),
            format!("On {ip}, confirm the service listens: ss -ltn 'sport = :{port}'."),
            format!(
                "Capture on {ip} as well: if the SYNs arrive there, its host firewall drops \
                 them; if they do not, a device on the path does."
            ),
        ];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.from_absence = true;
        f.weight = 50;
        out.push(f);
    }
    out
}

/// Where the SYNs are likely dropped, from what else the server did: `ok` other connections
/// to the port completed, it answered on `other_ports`, or it `talks` at all.
fn where_dropped(
    ip: IpAddr,
    port: u16,
    ok: usize,
    other_ports: &BTreeSet<u16>,
    server_talks: bool,
) -> String {
    let mut expl = String::new();
        if ok > 0 {
            expl.push_str(&format!(
                " {} to the same port did complete, so the drop is intermittent (a overloaded \
                 listener, a load balancer member, or a stateful firewall).",
                plural(ok, "other connection")
            ));
        } else if !other_ports.is_empty() {
            let ports: Vec<String> = other_ports.iter().take(5).map(|p| p.to_string()).collect();
            expl.push_str(&format!(
                " {ip} does answer on other ports ({}), so the host is up and reachable: \
                 something drops SYNs to port {port} only, typically a firewall rule or \
                 security group.",
                ports.join(", ")
            ));
        } else if server_talks {
            expl.push_str(&format!(
                " {ip} sends other traffic in this capture, so it is reachable: something \
                 silently drops SYNs to port {port}, typically a firewall rule."
            ));
        } else {
            expl.push_str(&format!(
                " {ip} sends nothing at all in this capture: it may be down or unreachable \
                 (routing, ARP), a firewall may drop everything to it, or the capture sees only \
                 the client's direction."
            ));
        }
    expl
}

/// The first unanswered SYNs, with their retransmissions.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, flows: &[(usize, &Conn)]) {
        for (_, c) in flows.iter().take(6) {
            let n = c.orig_pkts;
            let note = if n > 1 {
                format!(
                    "SYN from {}, retransmitted {} times over {}, no reply",
                    ep(c.orig_ip, c.orig_port),
                    n - 1,
                    secs(c.last_ts_ns - c.first_ts_ns)
                )
            } else {
                format!("SYN from {}, no reply", ep(c.orig_ip, c.orig_port))
            };
            f.evidence.push(ctx.ev(
                c.capture,
                c.syn_frame.unwrap_or(c.first_frame),
                c.first_ts_ns,
                note,
            ));
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn unanswered_syn_at_the_end_of_the_capture_is_not_blamed() {
        let mut a = analysis(
            vec![conn(ip(0, 2), 40000, ip(0, 5), 8081, ConnState::S0, "S", 0)],
            vec![],
        );
        a.captures[0].last_ts_ns = Some(500_000_000);
        assert!(causes(&a).is_empty());
        let mut two = conn(ip(0, 2), 40000, ip(0, 5), 8081, ConnState::S0, "S", 0);
        two.orig_pkts = 2;
        let a = analysis(vec![two], vec![]);
        assert_eq!(causes(&a), vec![TCP_SYN_UNANSWERED.to_string()]);
    }

#[test]
    fn unanswered_syns_become_critical_at_the_documented_edge() {
        let mk = |attempts: usize, syns_each: u64| {
            let flows = (0..attempts)
                .map(|i| {
                    let mut c = conn(
                        ip(0, 2),
                        40000 + i as u16,
                        ip(0, 5),
                        8081,
                        ConnState::S0,
                        "S",
                        i as i64 * 1000,
                    );
                    c.orig_pkts = syns_each;
                    c
                })
                .collect();
            run_all(&analysis(flows, vec![]))[0].severity
        };
        assert_eq!(
            mk(tcp_syn_unanswered::CRITICAL_ATTEMPTS, 1),
            Severity::Critical
        );
        assert_eq!(mk(1, tcp_syn_unanswered::CRITICAL_SYNS), Severity::Critical);
        assert_eq!(mk(1, tcp_syn_unanswered::CRITICAL_SYNS - 1), Severity::High);
    }

    #[test]
    fn overridden_tunables_move_the_edges() {
        use crate::config::TunableValue::Int;
        let mk = |attempts: usize, set: &[(&str, crate::config::TunableValue)]| {
            let flows = (0..attempts)
                .map(|i| conn(ip(0, 2), 40000 + i as u16, ip(0, 5), 8081, ConnState::S0, "S", i as i64))
                .collect();
            run_all(&tuned(analysis(flows, vec![]), set))[0].severity
        };
        let n = CRITICAL_ATTEMPTS;
        assert_eq!(mk(n, &[]), Severity::Critical);
        let more = [("tcp.syn_unanswered.critical_attempts", Int(n as i64 + 1))];
        assert_eq!(mk(n, &more), Severity::High);
        assert_eq!(mk(n + 1, &more), Severity::Critical);
        // A lone SYN near the end: blamed once the grace is gone.
        let mut a = analysis(vec![conn(ip(0, 2), 40000, ip(0, 5), 8081, ConnState::S0, "S", 0)], vec![]);
        a.captures[0].last_ts_ns = Some(500_000_000);
        assert!(causes(&a).is_empty());
        let a = tuned(a, &[("tcp.syn_unanswered.end_grace_ns", Int(100_000_000))]);
        assert_eq!(causes(&a), vec![TCP_SYN_UNANSWERED.to_string()]);
    }
}
