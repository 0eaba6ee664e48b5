//! `syn_flood`: many half-open connections from many sources to one service in a short
//! window (SYNs whose SYN-ACK is never acknowledged, or never answered at all).
//! Parameters: [`WINDOW_NS`], [`MIN_HALF_OPEN`], [`MIN_SOURCES`].

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.syn_flood";

/// `syn_flood`: many half-open connections from many sources.
pub const SYN_FLOOD: Cause = Cause::new("syn_flood");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[SYN_FLOOD];

tunables! {
    /// Sliding window in which half-open connections are counted.
    #[unit = Ns]
    pub const WINDOW_NS: i64 = 10_000_000_000;
    /// Half-open connections in one window from which it is a flood.
    #[unit = Count]
    pub const MIN_HALF_OPEN: usize = 100;
    /// Distinct source addresses among them.
    #[unit = Count]
    pub const MIN_SOURCES: usize = 20;
}

fn half_open(f: &Conn) -> bool {
    let h = f.history.as_str();
    f.proto == Proto::Tcp
        && f.syn_frame.is_some()
        && f.orig_bytes == 0
        && !h.contains('A')
        && !h.contains('D')
        && !h.contains('F')
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let ho = ctx
        .an
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| half_open(f) && ctx.not_only_scans(f));
    let mut out = Vec::new();
    for ((_, ip, port), flows) in by_service(ho) {
        let total: usize = flows.iter().map(|(_, f)| ctx.weight(f) as usize).sum();
        if total < tun.MIN_HALF_OPEN {
            continue;
        }
        // Start times with their counts (folded records give a histogram).
        let mut times: Vec<(i64, i64, u64)> = flows.iter().flat_map(|(_, f)| f.starts()).collect();
        let (peak, from, to) = peak_window(&mut times, tun.WINDOW_NS);
        let peak = peak as usize;
        let sources = Origins::of(ctx, flows.iter().map(|(_, f)| *f));
        let n_sources = sources.count();
        if peak < tun.MIN_HALF_OPEN || n_sources < tun.MIN_SOURCES {
            continue;
        }
        let answered: u64 = flows
            .iter()
            .filter(|(_, f)| f.synack_frame.is_some())
            .map(|(_, f)| ctx.weight(f))
            .sum();
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let rate = peak as f64 / (to.saturating_sub(from).max(1) as f64 / 1e9);
        let svc = ctx.label(ip, port);
        let mut f = finding(SYN_FLOOD, Layer::Transport, if peak >= tun.MIN_HALF_OPEN.saturating_mul(10) {
                Severity::Critical
            } else {
                Severity::High
            }, 0.9)
            .titled(format!(
                "SYN flood on TCP {svc}: {total} half-open connections from {}",
                plural(n_sources, "source")
            ), format!(
                "{} SYNs to {svc} from {} never completed the handshake (peak {peak} within {}, \
                 about {rate:.0} per second); the server answered {answered} of them with SYN-ACK. \
                 Half-open connections fill the listen backlog, so genuine clients time out.",
                total,
                plural(n_sources, "distinct source address"),
                secs(tun.WINDOW_NS)
            ))
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = sources.list().into_iter().take(20).collect();
        f.clients_total = Some(n_sources as u64).filter(|&n| n > 20);
        f.affected_flows = total as u64;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn syn_flood_needs_enough_half_open_connections_and_sources() {
        let server = ip(0, 5);
        let flood = |n: usize, sources: usize| {
            let flows = (0..n)
                .map(|i| {
                    conn(
                        ip(100, (i % sources) as u8),
                        1000 + i as u16,
                        server,
                        8081,
                        ConnState::S1,
                        "Sh",
                        i as i64,
                    )
                })
                .collect();
            analysis(flows, vec![])
        };
        assert!(
            causes(&flood(syn_flood::MIN_HALF_OPEN, syn_flood::MIN_SOURCES))
                .contains(&SYN_FLOOD.into())
        );
        assert!(
            !causes(&flood(syn_flood::MIN_HALF_OPEN - 1, syn_flood::MIN_SOURCES))
                .contains(&SYN_FLOOD.into())
        );
        assert!(
            !causes(&flood(syn_flood::MIN_HALF_OPEN, syn_flood::MIN_SOURCES - 1))
                .contains(&SYN_FLOOD.into())
        );
    }
}
