//! ARP detectors.
//!
//! - `arp_storm` ([`storm`]): ARP request rate per sender, with the rate and the targets.
//!   Wireshark's reference is 30 requests in 100 ms, global and off by default; this is per
//!   sender. Parameters: [`STORM_WINDOW_NS`], [`STORM_MIN_IN_WINDOW`], [`STORM_HIGH_RATE`].
//! - `arp_unanswered` ([`unanswered`]): a host asking again and again for an address nobody
//!   answers (a gateway or server that is down or on another VLAN). Parameter:
//!   [`UNANSWERED_MIN`]; senders sweeping [`SWEEP_TARGETS`] or more addresses are left to
//!   `arp_storm`.
//! - `ip_conflict`, `arp_vip_move`, `arp_spoofing` ([`bindings`]): one IP claimed by several
//!   MACs. Claimed once and handed over (gratuitous ARP, old owner silent afterwards): a VIP
//!   move. Flapping with unsolicited replies from a newcomer: spoofing. Otherwise: a conflict.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::*;
use crate::event::ArpEvent;

pub const STORM_WINDOW_NS: i64 = 1_000_000_000;
/// Requests from one sender within [`STORM_WINDOW_NS`] from which it is a storm.
pub const STORM_MIN_IN_WINDOW: usize = 50;
/// Requests per second from which a storm is `high`.
pub const STORM_HIGH_RATE: usize = 200;
/// Requests for one address, none answered, from which it is reported.
pub const UNANSWERED_MIN: usize = 3;
/// Distinct targets from which a sender is sweeping rather than looking for one host.
pub const SWEEP_TARGETS: usize = 20;
/// A reply within this time after a request for the address is solicited (real replies come
/// within milliseconds; a poisoner's periodic replies do not line up with requests).
pub const SOLICIT_NS: i64 = 200_000_000;

pub fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

const REQUEST: u16 = 1;
const REPLY: u16 = 2;

fn window_peak(times: &[i64], window: i64) -> usize {
    let (mut j, mut peak) = (0, 0);
    for i in 0..times.len() {
        while times[i] - times[j] > window {
            j += 1;
        }
        peak = peak.max(i + 1 - j);
    }
    peak
}

pub fn storm(ctx: &Ctx<'_>) -> Vec<Finding> {
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
        let peak = window_peak(&times, STORM_WINDOW_NS);
        if peak < STORM_MIN_IN_WINDOW {
            continue;
        }
        let targets: BTreeSet<Ipv4Addr> = reqs.iter().map(|a| a.target_ip).collect();
        let first = times[0];
        let last = *times.last().unwrap_or(&first);
        let avg = reqs.len() as f64 / ((last - first).max(1) as f64 / 1e9);
        let sweep = targets.len() >= SWEEP_TARGETS;
        let tl: Vec<String> = targets.iter().take(5).map(|t| t.to_string()).collect();
        let mut f = finding(
            "arp_storm",
            Layer::Network,
            if peak >= STORM_HIGH_RATE {
                Severity::High
            } else {
                Severity::Medium
            },
            0.9,
            format!(
                "ARP storm from {sip} ({}): {} requests, up to {peak}/s",
                mac(&smac),
                reqs.len()
            ),
            format!(
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
            ),
            first,
            last,
        );
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
        out.push(f);
    }
    out
}

pub fn unanswered(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let answered: BTreeSet<Ipv4Addr> = an
        .arp
        .iter()
        .filter(|a| a.op == REPLY)
        .map(|a| a.sender_ip)
        .collect();
    let mut targets_per_sender: BTreeMap<Ipv4Addr, BTreeSet<Ipv4Addr>> = BTreeMap::new();
    let mut asks: BTreeMap<Ipv4Addr, Vec<&ArpEvent>> = BTreeMap::new();
    for a in an.arp.iter().filter(|a| a.op == REQUEST) {
        if a.sender_ip == a.target_ip || a.sender_ip.is_unspecified() {
            continue; // gratuitous ARP or address probe
        }
        targets_per_sender
            .entry(a.sender_ip)
            .or_default()
            .insert(a.target_ip);
        asks.entry(a.target_ip).or_default().push(a);
    }
    let mut out = Vec::new();
    for (target, reqs) in asks {
        if answered.contains(&target) || ctx.talkers.contains(&IpAddr::V4(target)) {
            continue;
        }
        let reqs: Vec<&&ArpEvent> = reqs
            .iter()
            .filter(|a| {
                targets_per_sender
                    .get(&a.sender_ip)
                    .is_none_or(|t| t.len() < SWEEP_TARGETS)
            })
            .collect();
        if reqs.len() < UNANSWERED_MIN {
            continue;
        }
        let askers = ip_list(reqs.iter().map(|a| IpAddr::V4(a.sender_ip)));
        let first = reqs.iter().map(|a| a.ts_ns).min().unwrap_or(0);
        let last = reqs.iter().map(|a| a.ts_ns).max().unwrap_or(0);
        let gateway_like =
            askers.len() >= 2 || target.octets()[3] == 1 || target.octets()[3] == 254;
        let mut f = finding(
            "arp_unanswered",
            Layer::Network,
            if reqs.len() >= 2 * UNANSWERED_MIN || gateway_like {
                Severity::Critical
            } else {
                Severity::High
            },
            0.9,
            format!(
                "Nobody answers ARP for {target} ({} unanswered requests)",
                reqs.len()
            ),
            format!(
                "{} asked {} times between {} and {} who has {target}, and no host answered: \
                 {target} is down, unplugged, on another VLAN, or configured with another \
                 address. Without an answer no IP packet can be sent to it, so every \
                 connection to it fails before a single SYN leaves.{}",
                askers.join(", "),
                reqs.len(),
                rfc3339(first),
                rfc3339(last),
                if gateway_like {
                    format!(
                        " {target} looks like a gateway: everything routed through it is cut off."
                    )
                } else {
                    String::new()
                }
            ),
            first,
            last,
        );
        f.server = server(IpAddr::V4(target), None);
        f.clients = askers;
        f.affected_flows = reqs.len() as u64;
        for a in reqs.iter().take(5) {
            f.evidence.push(ctx.ev(
                a.capture,
                a.frame,
                a.ts_ns,
                format!("who has {target}? tell {}, no reply", a.sender_ip),
            ));
        }
        f.wireshark_filter = format!("arp.dst.proto_ipv4=={target}");
        f.remediation = vec![
            format!("Check that {target} is up and connected, and its interface address and VLAN."),
            format!("Check the clients' configured gateway / server address: is {target} right?"),
        ];
        f.group = Some(format!("host {target}"));
        f.from_absence = true;
        f.weight = 60;
        out.push(f);
    }
    out
}

struct Claim<'a> {
    ev: &'a ArpEvent,
    mac: [u8; 6],
    unsolicited_reply: bool,
    gratuitous: bool,
}

pub fn bindings(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    // Who asked for which address, and when (to tell solicited from unsolicited replies).
    let mut asked: BTreeMap<Ipv4Addr, Vec<i64>> = BTreeMap::new();
    for a in an.arp.iter().filter(|a| a.op == REQUEST) {
        asked.entry(a.target_ip).or_default().push(a.ts_ns);
    }
    let mut claims: BTreeMap<Ipv4Addr, Vec<Claim<'_>>> = BTreeMap::new();
    for a in &an.arp {
        if a.sender_ip.is_unspecified() {
            continue;
        }
        let gratuitous = a.sender_ip == a.target_ip;
        let unsolicited_reply = a.op == REPLY
            && !gratuitous
            && !asked.get(&a.sender_ip).is_some_and(|ts| {
                ts.iter()
                    .any(|&t| t <= a.ts_ns && a.ts_ns - t <= SOLICIT_NS)
            });
        claims.entry(a.sender_ip).or_default().push(Claim {
            ev: a,
            mac: a.sender_mac,
            unsolicited_reply,
            gratuitous,
        });
    }
    let mut out = Vec::new();
    for (ip, cl) in claims {
        let macs: Vec<[u8; 6]> = {
            let mut seen = Vec::new();
            for c in &cl {
                if !seen.contains(&c.mac) {
                    seen.push(c.mac);
                }
            }
            seen
        };
        if macs.len() < 2 {
            continue;
        }
        let switches = cl.windows(2).filter(|w| w[0].mac != w[1].mac).count();
        let first = cl.first().map_or(0, |c| c.ev.ts_ns);
        let last = cl.last().map_or(0, |c| c.ev.ts_ns);
        let owner = macs[0];
        let newcomer_first = cl.iter().find(|c| c.mac != owner);
        let unsolicited_by: BTreeMap<[u8; 6], usize> = cl
            .iter()
            .filter(|c| c.unsolicited_reply)
            .fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.mac).or_default() += 1;
                m
            });
        let spoofer = unsolicited_by
            .iter()
            .filter(|(m, n)| **m != owner && **n >= 3)
            .map(|(m, _)| *m)
            .next();
        let mac_list: Vec<String> = macs.iter().map(mac).collect();
        let (cause, sev, conf, title, expl, remediation) = if switches == 1
            && newcomer_first.is_some_and(|c| c.gratuitous || c.unsolicited_reply)
        {
            (
                "arp_vip_move",
                Severity::Low,
                0.85,
                format!(
                    "{ip} moved from {} to {} (gratuitous ARP)",
                    mac(&macs[0]),
                    mac(&macs[1])
                ),
                format!(
                    "{ip} was answered by {} until {}, when {} announced itself with a \
                     gratuitous ARP and the old owner fell silent: a virtual IP failover \
                     (VRRP/keepalived, a load balancer or cluster). Clients that cached the old \
                     MAC lose connections for a moment; check why the failover happened.",
                    mac(&macs[0]),
                    newcomer_first.map_or(String::new(), |c| rfc3339(c.ev.ts_ns)),
                    mac(&macs[1])
                ),
                vec!["Check the cluster/VRRP logs for why the active node changed.".to_string()],
            )
        } else if let Some(bad) = spoofer {
            (
                "arp_spoofing",
                Severity::Critical,
                0.85,
                format!(
                    "ARP spoofing of {ip}: {} claims it with unsolicited replies",
                    mac(&bad)
                ),
                format!(
                    "{ip} belongs to {} but {} keeps sending unsolicited ARP replies claiming it \
                     ({} times), and the binding flips {switches} times: a man-in-the-middle \
                     (ARP poisoning) redirecting traffic for {ip} through {}.",
                    mac(&owner),
                    mac(&bad),
                    unsolicited_by.get(&bad).copied().unwrap_or(0),
                    mac(&bad)
                ),
                vec![
                    format!(
                        "Find the port of MAC {} on the switch and isolate it.",
                        mac(&bad)
                    ),
                    "Enable Dynamic ARP Inspection / static ARP for the gateway.".to_string(),
                ],
            )
        } else {
            (
                "ip_conflict",
                Severity::High,
                0.9,
                format!(
                    "IP address conflict: {ip} is used by {}",
                    mac_list.join(" and ")
                ),
                format!(
                    "{ip} is claimed by {} MACs ({}), the binding changing {switches} times: two \
                     hosts are configured with the same address, so clients reach one or the \
                     other at random and connections break.",
                    macs.len(),
                    mac_list.join(", ")
                ),
                vec![
                    format!(
                        "Find the hosts with MACs {} and give one of them another address.",
                        mac_list.join(", ")
                    ),
                    "Check the DHCP scope against statically configured addresses.".to_string(),
                ],
            )
        };
        let mut f = finding(cause, Layer::Network, sev, conf, title, expl, first, last);
        f.server = server(IpAddr::V4(ip), None);
        f.affected_flows = cl.len() as u64;
        let mut shown = Vec::new();
        for c in &cl {
            if shown.len() >= 6 {
                break;
            }
            if shown.iter().filter(|m: &&[u8; 6]| **m == c.mac).count() < 3 {
                shown.push(c.mac);
                let kind = if c.gratuitous {
                    "gratuitous ARP"
                } else if c.unsolicited_reply {
                    "unsolicited reply"
                } else if c.ev.op == REPLY {
                    "reply"
                } else {
                    "request"
                };
                f.evidence.push(ctx.ev(
                    c.ev.capture,
                    c.ev.frame,
                    c.ev.ts_ns,
                    format!("{kind}: {ip} is at {}", mac(&c.mac)),
                ));
            }
        }
        f.wireshark_filter = format!("arp.src.proto_ipv4=={ip}");
        f.remediation = remediation;
        f.group = Some(format!("host {ip}"));
        f.weight = 70;
        out.push(f);
    }
    out
}
