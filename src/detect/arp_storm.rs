//! `arp_storm`: one sender's ARP requests at a rate that loads every host on the segment,
//! with the rate and the addresses asked for.
//!
//! Likely causes: a looping or misconfigured host, a bridging loop, or an ARP sweep (a
//! scanner, or a route pointing a whole subnet at the LAN) when it asks for
//! [`super::arp_unanswered::SWEEP_TARGETS`] or more addresses. Wireshark's reference is 30
//! requests in 100 ms, global and off by default; this detector counts per sender. False
//! positives: a host legitimately discovering a large subnet right after it boots.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::arp::mac;
use crate::decode::arp::REQUEST;
use super::*;
use crate::event::ArpEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "arp.storm";

/// A sender flooding the segment with ARP requests.
pub const ARP_STORM: Cause = Cause::new("arp_storm");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ARP_STORM];

tunables! {
    /// Width of the sliding window requests are counted in, in ns, default 1 s, so that the peak
    /// reads as a rate per second.
    #[unit = Ns]
    pub const STORM_WINDOW_NS: i64 = 1_000_000_000;
    /// Requests from one sender within [`STORM_WINDOW_NS`] from which it is a storm, default 50,
    /// well above what a host resolving its neighbours sends.
    #[unit = Count]
    pub const STORM_MIN_IN_WINDOW: usize = 50;
    /// Requests per second from which a storm is `high`, default 200, the rate at which every
    /// host on the segment notices the load.
    #[unit = Count]
    pub const STORM_HIGH_RATE: usize = 200;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let sweep_targets = super::arp_unanswered::Tunables::of(ctx).SWEEP_TARGETS;
    let mut by_sender: BTreeMap<([u8; 6], Ipv4Addr), Vec<&ArpEvent>> = BTreeMap::new();
    for a in ctx.an.arp.iter().filter(|a| a.op == REQUEST) {
        by_sender
            .entry((a.sender_mac, a.sender_ip))
            .or_default()
            .push(a);
    }
    let mut out = Vec::new();
    for ((smac, sip), reqs) in by_sender {
        let mut times: Vec<i64> = reqs.iter().map(|a| a.ts_ns).collect();
        times.sort();
        let mut events: Vec<(i64, i64, u64)> = times.iter().map(|&t| (t, 0, 1)).collect();
        let peak = peak_window(&mut events, tun.STORM_WINDOW_NS).0 as usize;
        if peak < tun.STORM_MIN_IN_WINDOW {
            continue;
        }
        let targets: BTreeSet<Ipv4Addr> = reqs.iter().map(|a| a.target_ip).collect();
        let first = times[0];
        let last = *times.last().unwrap_or(&first);
        let avg = reqs.len() as f64 / ((last - first).max(1) as f64 / 1e9);
        let sweep = targets.len() >= sweep_targets;
        let tl: Vec<String> = targets.iter().take(5).map(|t| t.to_string()).collect();
        let mut f = finding(ARP_STORM, Layer::Network, if peak >= tun.STORM_HIGH_RATE {
                Severity::High
            } else {
                Severity::Medium
            }, 0.9)
            .titled(format!(
                "ARP storm from {sip} ({}): {} requests, up to {peak}/s",
                mac(&smac),
                reqs.len()
            ), format!(
                "{sip} ({}) sent {} ARP requests in {} (about {avg:.0} per second, up to {peak} \
                 in one second) for {}{}. {}",
                mac(&smac),
                reqs.len(),
                secs(last - first),
                plural(targets.len(), "address"),
                if tl.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}{})",
                        tl.join(", "),
                        if targets.len() > 5 { ", ..." } else { "" }
                    )
                },
                if sweep {
                    "Asking for many addresses in turn is an ARP sweep (a scanner, or a host \
                     with a broken route pointing a whole subnet at the LAN); broadcasts at \
                     this rate load every host on the segment."
                } else {
                    "Asking the same few addresses this fast is a looping or misconfigured \
                     host (or a bridging loop); broadcasts at this rate load every host on the \
                     segment."
                }
            ))
            .between(first, last);
        f.clients = vec![sip.to_string()];
        f.affected_flows = reqs.len() as u64;
        for a in reqs.iter().take(4) {
            f.evidence.push(ctx.ev(
                a.capture,
                a.frame,
                a.ts_ns,
                format!("who has {}? tell {sip}", a.target_ip),
            ));
        }
        f.wireshark_filter = format!("arp.opcode==1 && arp.src.hw_mac=={}", mac(&smac));
        f.remediation = vec![
            format!("Find the host with MAC {} (switch MAC table) and check what makes it ARP so fast.", mac(&smac)),
            "Check for a bridging loop (spanning tree) if the same requests repeat from many ports.".into(),
        ];
        f.group = Some(format!("arp {sip}"));
        f.facts.host = Some(IpAddr::V4(sip));
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn arp_storm_rate_edge() {
        let storm = |n: usize| {
            let ev = (0..n)
                .map(|i| {
                    arp(
                        1,
                        1,
                        [10, 9, 0, 2],
                        [10, 9, 0, 200],
                        i as i64 * 1000 / n as i64,
                    )
                })
                .collect();
            analysis(vec![], ev)
        };
        assert!(causes(&storm(arp_storm::STORM_MIN_IN_WINDOW)).contains(&ARP_STORM.into()));
        assert!(!causes(&storm(arp_storm::STORM_MIN_IN_WINDOW - 1)).contains(&ARP_STORM.into()));
    }
}
