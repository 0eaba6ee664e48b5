//! `syn_flood`: many half-open connections from many sources to one service in a short
//! window (SYNs whose SYN-ACK is never acknowledged, or never answered at all).
//! Parameters: [`WINDOW_NS`], [`MIN_HALF_OPEN`], [`MIN_SOURCES`].

use std::collections::BTreeSet;

use super::*;

/// Sliding window in which half-open connections are counted.
pub const WINDOW_NS: i64 = 10_000_000_000;
/// Half-open connections in one window from which it is a flood.
pub const MIN_HALF_OPEN: usize = 100;
/// Distinct source addresses among them.
pub const MIN_SOURCES: usize = 20;

fn half_open(f: &Conn) -> bool {
    let h = f.history.as_str();
    f.proto == Proto::Tcp
        && f.syn_frame.is_some()
        && f.orig_bytes == 0
        && !h.contains('A')
        && !h.contains('D')
        && !h.contains('F')
}

pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let ho = ctx
        .an
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| half_open(f) && !ctx.scanners.contains(&f.orig_ip));
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(ho) {
        if flows.len() < MIN_HALF_OPEN {
            continue;
        }
        let mut times: Vec<i64> = flows.iter().map(|(_, f)| f.first_ts_ns).collect();
        times.sort();
        let mut best = (0usize, 0usize);
        let mut j = 0;
        for i in 0..times.len() {
            while times[i] - times[j] > WINDOW_NS {
                j += 1;
            }
            if i + 1 - j > best.1 - best.0 {
                best = (j, i + 1);
            }
        }
        let peak = best.1 - best.0;
        let sources: BTreeSet<IpAddr> = flows.iter().map(|(_, f)| f.orig_ip).collect();
        if peak < MIN_HALF_OPEN || sources.len() < MIN_SOURCES {
            continue;
        }
        let answered = flows
            .iter()
            .filter(|(_, f)| f.synack_frame.is_some())
            .count();
        let first = times[0];
        let last = flows
            .iter()
            .map(|(_, f)| f.last_ts_ns)
            .max()
            .unwrap_or(first);
        let rate = peak as f64 / ((times[best.1 - 1] - times[best.0]).max(1) as f64 / 1e9);
        let svc = ctx.label(ip, port);
        let mut f = finding(
            "syn_flood",
            Layer::Transport,
            if peak >= 10 * MIN_HALF_OPEN {
                Severity::Critical
            } else {
                Severity::High
            },
            0.9,
            format!(
                "SYN flood on TCP {svc}: {} half-open connections from {}",
                flows.len(),
                plural(sources.len(), "source")
            ),
            format!(
                "{} SYNs to {svc} from {} never completed the handshake (peak {peak} within {}, \
                 about {rate:.0} per second); the server answered {answered} of them with SYN-ACK. \
                 Half-open connections fill the listen backlog, so genuine clients time out.",
                flows.len(),
                plural(sources.len(), "distinct source address"),
                secs(WINDOW_NS)
            ),
            first,
            last,
        );
        f.server = server(ip, Some(port));
        f.clients = sources.iter().take(20).map(|s| s.to_string()).collect();
        f.affected_flows = flows.len() as u64;
        for (_, c) in flows.iter().take(4) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.first_frame,
                c.first_ts_ns,
                format!("SYN from {}", ep(c.orig_ip, c.orig_port)),
            ));
        }
        f.wireshark_filter = format!(
            "{}.dst=={ip} && tcp.dstport=={port} && tcp.flags.syn==1 && tcp.flags.ack==0",
            ipf(ip)
        );
        f.remediation = vec![
            format!(
                "Enable SYN cookies on {ip} (sysctl net.ipv4.tcp_syncookies=1) and raise the listen backlog."
            ),
            "Rate-limit or filter the flood upstream (DDoS protection, firewall SYN proxy).".into(),
        ];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.weight = 90;
        out.push(f);
    }
    out
}
