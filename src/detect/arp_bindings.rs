//! `ip_conflict`, `arp_vip_move`, `arp_spoofing`: one IPv4 address claimed by several MACs.
//!
//! Claimed once and handed over (a gratuitous ARP or unsolicited reply from the newcomer, the
//! old owner silent afterwards): a virtual IP moving between cluster nodes (VRRP, keepalived,
//! a load balancer). Flapping, with three or more unsolicited replies from a newcomer: ARP
//! spoofing (a man in the middle). Otherwise: two hosts configured with the same address.
//! False positives: a host whose network card was replaced, or a VM moved to another host,
//! looks like a VIP move.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::arp::mac;
use crate::decode::arp::{REPLY, REQUEST};
use super::*;
use crate::event::ArpEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "arp.bindings";

/// Two hosts configured with the same address.
pub const IP_CONFLICT: Cause = Cause::new("ip_conflict");
/// A virtual IP handed over to another MAC.
pub const ARP_VIP_MOVE: Cause = Cause::new("arp_vip_move");
/// A MAC claiming another host's address with unsolicited replies.
pub const ARP_SPOOFING: Cause = Cause::new("arp_spoofing");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[IP_CONFLICT, ARP_VIP_MOVE, ARP_SPOOFING];

tunables! {
    /// A reply within this time (ns) after a request for the address is solicited, default 200 ms:
    /// real replies come within milliseconds, while a poisoner's periodic replies do not line up
    /// with requests.
    #[unit = Ns]
    pub const SOLICIT_NS: i64 = 200_000_000;
}

struct Claim<'a> {
    ev: &'a ArpEvent,
    mac: [u8; 6],
    unsolicited_reply: bool,
    gratuitous: bool,
}

/// Runs the detector: collects who claimed each address, then judges the addresses claimed
/// by more than one MAC.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    claims(ctx.an, &Tunables::of(ctx))
        .into_iter()
        .filter_map(|(ip, cl)| judge(ctx, ip, &cl))
        .collect()
}

/// Every claim of each address (ARP packets with it as sender), in capture order.
fn claims<'a>(an: &'a Analysis, tun: &Tunables) -> BTreeMap<Ipv4Addr, Vec<Claim<'a>>> {
    // Who asked for which address, and when (to tell solicited from unsolicited replies).
    let mut asked: BTreeMap<Ipv4Addr, Vec<i64>> = BTreeMap::new();
    for a in an.arp.iter().filter(|a| a.op == REQUEST) {
        asked.entry(a.target_ip).or_default().push(a.ts_ns);
    }
    let mut claims: BTreeMap<Ipv4Addr, Vec<Claim<'a>>> = BTreeMap::new();
    for a in &an.arp {
        if a.sender_ip.is_unspecified() {
            continue;
        }
        let gratuitous = a.sender_ip == a.target_ip;
        let unsolicited_reply = a.op == REPLY
            && !gratuitous
            && !asked.get(&a.sender_ip).is_some_and(|ts| {
                ts.iter()
                    .any(|&at| at <= a.ts_ns && a.ts_ns - at <= tun.SOLICIT_NS)
            });
        claims.entry(a.sender_ip).or_default().push(Claim {
            ev: a,
            mac: a.sender_mac,
            unsolicited_reply,
            gratuitous,
        });
    }
    claims
}

/// What one address's claims amount to, in the finding's words.
struct Verdict {
    cause: Cause,
    severity: Severity,
    confidence: f64,
    title: String,
    explanation: String,
    remediation: Vec<String>,
}

/// The finding for an address claimed by several MACs (`None` for one MAC).
fn judge(ctx: &Ctx<'_>, ip: Ipv4Addr, cl: &[Claim<'_>]) -> Option<Finding> {
    let mut macs: Vec<[u8; 6]> = Vec::new();
    for c in cl {
        if !macs.contains(&c.mac) {
            macs.push(c.mac);
        }
    }
    if macs.len() < 2 {
        return None;
    }
    let v = verdict(ip, cl, &macs);
    let first = cl.first().map_or(0, |c| c.ev.ts_ns);
    let last = cl.last().map_or(0, |c| c.ev.ts_ns);
    let mut f = finding(v.cause, Layer::Network, v.severity, v.confidence)
        .titled(v.title, v.explanation)
        .between(first, last);
    f.server = server(IpAddr::V4(ip), None);
    f.affected_flows = cl.len() as u64;
    add_evidence(ctx, &mut f, ip, cl);
    f.wireshark_filter = format!("arp.src.proto_ipv4=={ip}");
    f.remediation = v.remediation;
    f.group = Some(format!("host {ip}"));
    f.weight = 70;
    // The first claim by another MAC than the first one seen: when the address moved.
    f.facts.at_ns = cl.iter().find(|c| c.mac != macs[0]).map(|c| c.ev.ts_ns);
    Some(f)
}

/// A VIP move when the binding changed once and the newcomer announced itself; spoofing when
/// a newcomer keeps sending unsolicited replies; otherwise a conflict.
fn verdict(ip: Ipv4Addr, cl: &[Claim<'_>], macs: &[[u8; 6]]) -> Verdict {
    let switches = cl.windows(2).filter(|w| w[0].mac != w[1].mac).count();
    let owner = macs[0];
    let newcomer_first = cl.iter().find(|c| c.mac != owner);
    let mut unsolicited_by: BTreeMap<[u8; 6], usize> = BTreeMap::new();
    for c in cl.iter().filter(|c| c.unsolicited_reply) {
        *unsolicited_by.entry(c.mac).or_default() += 1;
    }
    let spoofer = unsolicited_by
        .iter()
        .filter(|(m, n)| **m != owner && **n >= 3)
        .map(|(m, _)| *m)
        .next();
    if switches == 1 && newcomer_first.is_some_and(|c| c.gratuitous || c.unsolicited_reply) {
        let moved_at = newcomer_first.map_or(String::new(), |c| rfc3339(c.ev.ts_ns));
        vip_move(ip, macs, &moved_at)
    } else if let Some(bad) = spoofer {
        let replies = unsolicited_by.get(&bad).copied().unwrap_or(0);
        spoofing(ip, owner, bad, replies, switches)
    } else {
        conflict(ip, macs, switches)
    }
}

fn vip_move(ip: Ipv4Addr, macs: &[[u8; 6]], moved_at: &str) -> Verdict {
    Verdict {
        cause: ARP_VIP_MOVE,
        severity: Severity::Low,
        confidence: 0.85,
        title: format!(
            "{ip} moved from {} to {} (gratuitous ARP)",
            mac(&macs[0]),
            mac(&macs[1])
        ),
        explanation: format!(
            "{ip} was answered by {} until {}, when {} announced itself with a \
             gratuitous ARP and the old owner fell silent: a virtual IP failover \
             (VRRP/keepalived, a load balancer or cluster). Clients that cached the old \
             MAC lose connections for a moment; check why the failover happened.",
            mac(&macs[0]),
            moved_at,
            mac(&macs[1])
        ),
        remediation: vec!["Check the cluster/VRRP logs for why the active node changed.".to_string()],
    }
}

fn spoofing(ip: Ipv4Addr, owner: [u8; 6], bad: [u8; 6], replies: usize, switches: usize) -> Verdict {
    Verdict {
        cause: ARP_SPOOFING,
        severity: Severity::Critical,
        confidence: 0.85,
        title: format!(
            "ARP spoofing of {ip}: {} claims it with unsolicited replies",
            mac(&bad)
        ),
        explanation: format!(
            "{ip} belongs to {} but {} keeps sending unsolicited ARP replies claiming it \
             ({} times), and the binding flips {switches} times: a man-in-the-middle \
             (ARP poisoning) redirecting traffic for {ip} through {}.",
            mac(&owner),
            mac(&bad),
            replies,
            mac(&bad)
        ),
        remediation: vec![
            format!(
                "Find the port of MAC {} on the switch and isolate it.",
                mac(&bad)
            ),
            "Enable Dynamic ARP Inspection / static ARP for the gateway.".to_string(),
        ],
    }
}

fn conflict(ip: Ipv4Addr, macs: &[[u8; 6]], switches: usize) -> Verdict {
    let mac_list: Vec<String> = macs.iter().map(mac).collect();
    Verdict {
        cause: IP_CONFLICT,
        severity: Severity::High,
        confidence: 0.9,
        title: format!(
            "IP address conflict: {ip} is used by {}",
            mac_list.join(" and ")
        ),
        explanation: format!(
            "{ip} is claimed by {} MACs ({}), the binding changing {switches} times: two \
             hosts are configured with the same address, so clients reach one or the \
             other at random and connections break.",
            macs.len(),
            mac_list.join(", ")
        ),
        remediation: vec![
            format!(
                "Find the hosts with MACs {} and give one of them another address.",
                mac_list.join(", ")
            ),
            "Check the DHCP scope against statically configured addresses.".to_string(),
        ],
    }
}

/// Up to six claims, at most three per MAC.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, ip: Ipv4Addr, cl: &[Claim<'_>]) {
    let mut shown = Vec::new();
    for c in cl {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn ip_bindings_conflict_move_and_spoofing() {
        let gw = [10, 9, 0, 1];
        let client = [10, 9, 0, 2];
        // Two MACs answering the same requests: a conflict.
        let conflict = vec![
            arp(REQUEST, 2, client, gw, 0),
            arp(REPLY, 1, gw, client, 1),
            arp(REPLY, 9, gw, client, 2),
            arp(REQUEST, 2, client, gw, 1000),
            arp(REPLY, 1, gw, client, 1001),
            arp(REPLY, 9, gw, client, 1002),
        ];
        assert_eq!(
            causes(&analysis(vec![], conflict)),
            vec![IP_CONFLICT.to_string()]
        );
        // One hand-over by gratuitous ARP: a VIP move.
        let mv = vec![
            arp(REQUEST, 2, client, gw, 0),
            arp(REPLY, 1, gw, client, 1),
            arp(REQUEST, 9, gw, gw, 5000),
            arp(REQUEST, 2, client, gw, 9000),
            arp(REPLY, 9, gw, client, 9001),
        ];
        assert_eq!(
            causes(&analysis(vec![], mv)),
            vec![ARP_VIP_MOVE.to_string()]
        );
        // Unsolicited replies from a newcomer, interleaved with the owner: spoofing.
        let mut sp = vec![arp(REQUEST, 2, client, gw, 0), arp(REPLY, 1, gw, client, 1)];
        for k in 0..4 {
            sp.push(arp(REPLY, 6, gw, client, 3000 + k * 3000));
            sp.push(arp(REQUEST, 2, client, gw, 4000 + k * 3000));
            sp.push(arp(REPLY, 1, gw, client, 4001 + k * 3000));
        }
        assert_eq!(
            causes(&analysis(vec![], sp)),
            vec![ARP_SPOOFING.to_string()]
        );
    }
}
