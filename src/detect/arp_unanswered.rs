//! `arp_unanswered`: a host asking again and again for an address nobody answers, so no IP
//! packet can reach that address at all.
//!
//! Severity follows who needed the address (see [`need`]): low when one host asked in one
//! round and nothing else in the capture points at it, high when a program kept trying,
//! several hosts asked or DNS sent clients there, critical for what looks like the gateway of
//! several hosts.
//!
//! Likely causes: a gateway or server that is down, unplugged, on another VLAN or configured
//! with another address; or clients configured with a wrong gateway. Senders sweeping
//! [`SWEEP_TARGETS`] or more addresses are left to `arp_storm`. False positives: an address
//! that answers over another path the capture does not see (it is excluded as soon as it sends
//! anything in the capture).
//!
//! IPv6 has no ARP: the same question is a Neighbor Solicitation (RFC 4861), the answer a
//! Neighbor Advertisement. Solicitations for an address nobody advertises are reported with
//! the same cause, saying NDP; duplicate address detection probes (from `::`) are not
//! questions anybody waits on and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::decode::arp::{REPLY, REQUEST};
use super::*;
use crate::event::ArpEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "arp.unanswered";

/// An address nobody answers ARP for.
pub const ARP_UNANSWERED: Cause = Cause::symptom("arp_unanswered");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ARP_UNANSWERED];

tunables! {
    /// Requests for one address, none answered, from which it is reported, default 3, so that a
    /// single lost reply is not blamed.
    #[unit = Count]
    pub const UNANSWERED_MIN: usize = 3;
    /// Distinct targets (addresses) from which a sender is sweeping rather than looking for one
    /// host, default 20, so that scanners do not make every unused address a finding.
    #[unit = Count]
    pub const SWEEP_TARGETS: usize = 20;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
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
                    .is_none_or(|n| n.len() < tun.SWEEP_TARGETS)
            })
            .collect();
        if reqs.len() < tun.UNANSWERED_MIN {
            continue;
        }
        let askers = ip_list(reqs.iter().map(|a| IpAddr::V4(a.sender_ip)));
        let first = reqs.iter().map(|a| a.ts_ns).min().unwrap_or(0);
        let last = reqs.iter().map(|a| a.ts_ns).max().unwrap_or(0);
        let router_like = target.octets()[3] == 1 || target.octets()[3] == 254;
        let need = need(ctx, &tun, IpAddr::V4(target), router_like, &reqs.iter().map(|a| IpAddr::V4(a.sender_ip)).collect::<Vec<_>>());
        let f = finding(ARP_UNANSWERED, Layer::Network, need.severity, 0.9)
            .titled(format!(
                "Nobody answers ARP for {target} ({} unanswered requests)",
                reqs.len()
            ), format!(
                "{} asked {} times between {} and {} who has {target}, and no host answered: \
                 {target} is down, unplugged, on another VLAN, or configured with another \
                 address. Without an answer no IP packet can be sent to it, so every \
                 connection to it fails before a single SYN leaves. {}",
                askers.join(", "),
                reqs.len(),
                rfc3339(first),
                rfc3339(last),
                need.sentence
            ))
            .between(first, last);
        let evidence = reqs.iter().take(5).map(|a| {
            let note = format!("who has {target}? tell {}, no reply", a.sender_ip);
            ctx.ev(a.capture, a.frame, a.ts_ns, note)
        });
        out.push(complete(
            f,
            IpAddr::V4(target),
            askers,
            reqs.len(),
            evidence.collect(),
            format!("arp.dst.proto_ipv4=={target}"),
            "connected, and its interface address and VLAN",
        ));
    }
    ndp_unanswered(ctx, &tun, &mut out);
    out
}

/// The parts of an `arp_unanswered` finding that ARP and NDP share: `target` as its server,
/// the `askers` as its clients, the first requests as evidence, and what to check (`check`:
/// where to look besides whether `target` is up).
fn complete(
    mut f: Finding,
    target: IpAddr,
    askers: Vec<String>,
    asked: usize,
    evidence: Vec<Evidence>,
    filter: String,
    check: &str,
) -> Finding {
    f.server = server(target, None);
    f.clients = askers;
    f.affected_flows = asked as u64;
    f.evidence = evidence;
    f.wireshark_filter = filter;
    f.remediation = vec![
        format!("Check that {target} is up and {check}."),
        format!("Check the clients' configured gateway / server address: is {target} right?"),
    ];
    f.group = Some(format!("host {target}"));
    f.from_absence = true;
    f.weight = 60;
    f
}

/// How badly the clients in the capture needed an address nobody answers for, and the
/// sentence that says why.
struct Need {
    severity: Severity,
    sentence: String,
}

/// Judges who needed `target` (`asks`: the asker of each request): an operating system asks
/// [`UNANSWERED_MIN`] times (3: Linux's `mcast_solicit`, Windows alike) for one attempt and
/// gives up, so more requests from one host mean a program kept trying; several hosts asking,
/// or a DNS answer naming the address, mean it is a server or next hop the clients use.
/// - critical: a router-like address (`.1`, `.254`, `::1`) several hosts need: everything
///   routed through it is cut off;
/// - high: clients kept trying, several asked, or DNS sent them there: their connections fail;
/// - low: one host, one round of requests, and nothing else in the capture points at it:
///   nobody is seen needing it (a stale neighbour entry, a probe, a mistyped address).
fn need(ctx: &Ctx<'_>, tun: &Tunables, target: IpAddr, router_like: bool, asks: &[IpAddr]) -> Need {
    let askers: BTreeSet<IpAddr> = asks.iter().copied().collect();
    let most = askers
        .iter()
        .map(|a| asks.iter().filter(|x| *x == a).count())
        .max()
        .unwrap_or(0);
    let retried = most > tun.UNANSWERED_MIN;
    let named = ctx.names.get(&target);
    let (severity, sentence) = if askers.len() >= 2 && router_like {
        (
            Severity::Critical,
            format!("{} hosts need {target}, which looks like their gateway: everything routed through it is cut off.", askers.len()),
        )
    } else if askers.len() >= 2 || retried || named.is_some() {
        let why = match named {
            Some(n) => format!("DNS answered {n} with {target}, so clients were sent there"),
            None if askers.len() >= 2 => format!("{} hosts asked for it", askers.len()),
            None => format!("A host asked {most} times, more than one attempt's worth: a program kept trying"),
        };
        (Severity::High, format!("{why}, and every connection to it fails."))
    } else {
        (
            Severity::Low,
            format!("One host asked in one round (what an operating system sends for one attempt) and nothing else in the capture points at {target} (no DNS answer, no retry, no other host): nobody is seen needing it."),
        )
    };
    Need { severity, sentence }
}

/// Neighbor Solicitations nobody answered, per target address, as ARP's unanswered requests.
fn ndp_unanswered(ctx: &Ctx<'_>, tun: &Tunables, out: &mut Vec<Finding>) {
    use std::net::Ipv6Addr;
    let an = ctx.an;
    let advertised: BTreeSet<Ipv6Addr> = an
        .ndp
        .iter()
        .filter(|e| !e.solicitation)
        .map(|e| e.target)
        .collect();
    let mut asks: BTreeMap<Ipv6Addr, Vec<&crate::event::NdpEvent>> = BTreeMap::new();
    for e in an.ndp.iter().filter(|e| e.solicitation && !e.src.is_unspecified()) {
        asks.entry(e.target).or_default().push(e);
    }
    for (target, reqs) in asks {
        let ip = IpAddr::V6(target);
        if advertised.contains(&target) || ctx.talkers.contains(&ip) || reqs.len() < tun.UNANSWERED_MIN {
            continue;
        }
        let askers = ip_list(reqs.iter().map(|e| IpAddr::V6(e.src)));
        let first = reqs.iter().map(|e| e.ts_ns).min().unwrap_or(0);
        let last = reqs.iter().map(|e| e.ts_ns).max().unwrap_or(0);
        let router_like = target.segments()[7] == 1;
        let need = need(ctx, tun, ip, router_like, &reqs.iter().map(|e| IpAddr::V6(e.src)).collect::<Vec<_>>());
        let f = finding(ARP_UNANSWERED, Layer::Network, need.severity, 0.9)
            .titled(
                format!("Nobody answers Neighbor Discovery for {target} ({} unanswered solicitations)", reqs.len()),
                format!(
                    "{} asked {} times between {} and {} who has {target} (IPv6 Neighbor \
                     Solicitation, the IPv6 counterpart of ARP), and no host advertised it: \
                     {target} is down, unplugged, on another link, or configured with another \
                     address. Without an answer no packet can be sent to it, so every connection \
                     to it fails before a single SYN leaves. {}",
                    askers.join(", "),
                    reqs.len(),
                    rfc3339(first),
                    rfc3339(last),
                    need.sentence
                ),
            )
            .between(first, last);
        let evidence = reqs.iter().take(5).map(|e| {
            let note =
                format!("neighbor solicitation: who has {target}? from {}, no advertisement", e.src);
            ctx.ev(e.capture, e.frame, e.ts_ns, note)
        });
        out.push(complete(
            f,
            ip,
            askers,
            reqs.len(),
            evidence.collect(),
            format!("icmpv6.nd.ns.target_address == {target} || icmpv6.nd.na.target_address == {target}"),
            "on this link, and its configured address",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn arp_unanswered_edge_and_answered_address() {
        let asks = |n: usize, answer: bool| {
            let mut ev: Vec<ArpEvent> = (0..n)
                .map(|i| arp(REQUEST, 1, [10, 9, 0, 2], [10, 9, 0, 77], i as i64 * 1000))
                .collect();
            if answer {
                ev.push(arp(REPLY, 7, [10, 9, 0, 77], [10, 9, 0, 2], 5000));
            }
            analysis(vec![], ev)
        };
        assert_eq!(
            causes(&asks(arp_unanswered::UNANSWERED_MIN, false)),
            vec![ARP_UNANSWERED.to_string()]
        );
        assert!(causes(&asks(arp_unanswered::UNANSWERED_MIN - 1, false)).is_empty());
        assert!(causes(&asks(10, true)).is_empty());
    }

    /// The severity of requests for `target` by `askers` (last octets, one round of
    /// `per_asker` requests each, a second apart).
    fn severity(target: u8, askers: &[u8], per_asker: usize) -> Vec<Severity> {
        let mut ev = Vec::new();
        for (k, &a) in askers.iter().enumerate() {
            for i in 0..per_asker {
                let t = (i * 1000 + k * 10) as i64;
                ev.push(arp(REQUEST, a, [10, 9, 0, a], [10, 9, 0, target], t));
            }
        }
        crate::detect::run_all(&analysis(vec![], ev))
            .into_iter()
            .filter(|f| f.cause == ARP_UNANSWERED.name())
            .map(|f| f.severity)
            .collect()
    }

    #[test]
    fn severity_follows_who_needed_the_address() {
        let one_round = UNANSWERED_MIN;
        // One host, one round, nothing else points at it: nobody is seen needing it.
        assert_eq!(severity(77, &[2], one_round), vec![Severity::Low]);
        // The same host kept trying: its connections fail.
        assert_eq!(severity(77, &[2], 2 * one_round), vec![Severity::High]);
        // Two hosts need it.
        assert_eq!(severity(77, &[2, 3], one_round), vec![Severity::High]);
        // Two hosts need what looks like their gateway.
        assert_eq!(severity(1, &[2, 3], one_round), vec![Severity::Critical]);
        assert_eq!(severity(254, &[2, 3], one_round), vec![Severity::Critical]);
        // One host, one round, to a gateway-looking address: still nobody else is seen.
        assert_eq!(severity(1, &[2], one_round), vec![Severity::Low]);
    }
}
