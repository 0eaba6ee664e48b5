//! `tcp_retransmissions`: retransmission rate per service, the sign of loss on a saturated or
//! faulty link. A few retransmissions are normal life. Parameters: [`LOW`], [`MEDIUM`],
//! [`HIGH`] as (minimum retransmissions, minimum share of the service's packets). At 3% loss
//! TCP throughput already drops several-fold (Mathis et al.), hence `medium` there.

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.retransmissions";

/// `tcp_retransmissions`: retransmissions above normal life, a sign of loss.
pub const TCP_RETRANSMISSIONS: Cause = Cause::symptom("tcp_retransmissions");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_RETRANSMISSIONS];

/// This detector has no tunables.
pub const TUNABLES: &[Tunable] = &[];

/// (retransmissions, share of the service's packets, 0 to 1) from which the finding is `low`,
/// default (5, 1%): below, a few retransmissions are normal life.
pub const LOW: (u64, f64) = (5, 0.01);
/// (retransmissions, share) from which it is `medium`, default (10, 3%): at 3% loss TCP
/// throughput already drops several-fold.
pub const MEDIUM: (u64, f64) = (10, 0.03);
/// (retransmissions, share) from which it is `high`, default (30, 10%): the link is
/// effectively broken for the service.
pub const HIGH: (u64, f64) = (30, 0.10);

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tcp =
        ctx.an.flows.iter().enumerate().filter(|(i, f)| {
            f.proto == Proto::Tcp && handshake_ok(f) && !ctx.pmtu_flows.contains(i)
        });
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(tcp) {
        let rtx: u64 = flows
            .iter()
            .map(|(_, f)| f.totals().retransmissions())
            .sum();
        let pkts: u64 = flows
            .iter()
            .map(|(_, f)| f.totals().orig_pkts + f.totals().resp_pkts)
            .sum();
        let rate = rtx as f64 / pkts.max(1) as f64;
        let severity = if rtx >= HIGH.0 && rate >= HIGH.1 {
            Severity::High
        } else if rtx >= MEDIUM.0 && rate >= MEDIUM.1 {
            Severity::Medium
        } else if rtx >= LOW.0 && rate >= LOW.1 {
            Severity::Low
        } else {
            continue;
        };
        let hit: Vec<&(usize, &Conn)> = {
            let mut v: Vec<&(usize, &Conn)> = flows
                .iter()
                .filter(|(_, f)| f.orig_retransmissions + f.resp_retransmissions > 0)
                .collect();
            v.sort_by_key(|(_, f)| {
                std::cmp::Reverse(f.orig_retransmissions + f.resp_retransmissions)
            });
            v
        };
        let by_server: u64 = flows
            .iter()
            .map(|(_, f)| f.totals().resp_retransmissions)
            .sum();
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let svc = ctx.label(ip, port);
        let mut f = finding(TCP_RETRANSMISSIONS, Layer::Transport, severity, 0.85)
            .titled(format!(
                "{:.1}% of TCP packets to/from {svc} are retransmissions",
                rate * 100.0
            ), format!(
                "{rtx} of {pkts} packets in {} with {svc} were retransmissions ({:.1}%; {by_server} \
                 sent by the server), in {} of them. Sustained loss like this slows every \
                 transfer and times out short requests: a saturated link, a duplex mismatch, a \
                 faulty cable or Wi-Fi, or a policer dropping bursts.",
                plural(count(flows.iter().map(|(_, f)| *f)), "connection"),
                rate * 100.0,
                plural(hit.len(), "connection")
            ))
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = ip_list(flows.iter().map(|(_, c)| c.orig_ip));
        f.affected_flows = hit.len() as u64;
        for (_, c) in hit.iter().take(5) {
            f.evidence.push(ctx.ev(c.capture, c.rtx_frame.unwrap_or(c.first_frame), c.first_ts_ns, format!("first retransmission in the connection from {}: {} retransmissions in {} packets", ep(c.orig_ip, c.orig_port), c.orig_retransmissions + c.resp_retransmissions, c.orig_pkts + c.resp_pkts)));
        }
        f.wireshark_filter = format!(
            "{}.addr=={ip} && tcp.port=={port} && tcp.analysis.retransmission",
            ipf(ip)
        );
        f.remediation = vec![
            "Check interface error and drop counters along the path (ip -s link, switch port counters).".into(),
            "Check link utilisation at these times: queues that overflow drop packets.".into(),
        ];
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
    fn a_few_retransmissions_are_normal_life() {
        let mk = |rtx: u32, pkts: u64| {
            let mut c = conn(ip(0, 2), 40000, ip(0, 5), 443, ConnState::Sf, "ShADadFf", 0);
            c.resp_retransmissions = rtx;
            c.orig_pkts = pkts / 2;
            c.resp_pkts = pkts / 2;
            analysis(vec![c], vec![])
        };
        assert!(causes(&mk(4, 100)).is_empty());
        assert!(causes(&mk(10, 1100)).is_empty(), "under 1% is normal");
        let f = run_all(&mk(5, 250));
        assert_eq!(f[0].severity, Severity::Low);
        let f = run_all(&mk(10, 300));
        assert_eq!(f[0].severity, Severity::Medium);
        let f = run_all(&mk(30, 300));
        assert_eq!(f[0].severity, Severity::High);
    }
}
