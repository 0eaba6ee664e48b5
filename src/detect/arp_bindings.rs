//! `ip_conflict`, `arp_vip_move`, `arp_spoofing`: one address claimed by several MACs, over
//! ARP (IPv4) or IPv6 Neighbor Discovery (RFC 4861).
//!
//! Claimed once and handed over (a gratuitous ARP or unsolicited reply from the newcomer, the
//! old owner silent afterwards): a virtual IP moving between cluster nodes (VRRP, keepalived,
//! a load balancer). Flapping, with three or more unsolicited replies from a newcomer: ARP
//! spoofing (a man in the middle). Otherwise: two hosts configured with the same address.
//! False positives: a host whose network card was replaced, or a VM moved to another host,
//! looks like a VIP move.
//!
//! IPv6 has no ARP: a Neighbor Advertisement (NA) with the Override flag is a claim that its
//! target address is at a MAC, the one in its Target Link-Layer Address option (what
//! neighbours store), or the frame's Ethernet source when the option is absent (an answer to
//! a unicast solicitation may leave it out). An NA with no Neighbor Solicitation (NS) for its
//! target within [`SOLICIT_NS`] before it is unsolicited, and an unsolicited one is IPv6's
//! gratuitous ARP, so the same verdicts follow, in NDP's words. NAs without the Override
//! flag are not claims: proxies and anycast addresses answer so, and they do not displace a
//! neighbour's binding. Solicitations are not claims either, except duplicate address
//! detection (DAD): an NS from `::` is a host (its Ethernet source) about to use the target;
//! an NA for the target from another MAC within [`SOLICIT_NS`] answers that the address is
//! taken, so DAD failed: an `ip_conflict` (the newcomer keeps the address tentative and
//! unused, so the impact is on it). A probe nobody answers is not a claim, like an ARP probe.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::arp::mac;
use crate::decode::arp::{REPLY, REQUEST};
use super::*;
use crate::event::NdpEvent;

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
    /// with requests. The same for a Neighbor Advertisement after a solicitation for its
    /// target, and for one answering a duplicate address detection probe.
    #[unit = Ns]
    pub const SOLICIT_NS: i64 = 200_000_000;
}

/// How a claim binds its address to its MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An ARP packet with the address as sender: its operation.
    Arp(u16),
    /// A Neighbor Advertisement with the Override flag, or answering a duplicate address
    /// detection probe from another MAC (`defends`).
    Advertisement { defends: bool },
    /// A duplicate address detection probe (NS from `::`) that `defender` answered.
    DadProbe { defender: [u8; 6] },
}

/// One packet saying that an address is at a MAC.
struct Claim {
    capture: u16,
    frame: u64,
    ts_ns: i64,
    mac: [u8; 6],
    kind: Kind,
    /// A reply or advertisement nobody asked for within `SOLICIT_NS` (for ARP, gratuitous
    /// ones aside).
    unsolicited: bool,
    /// The claimant announcing itself: a gratuitous ARP, or an unsolicited advertisement.
    announce: bool,
}

/// Runs the detector: collects who claimed each address, then judges the addresses claimed
/// by more than one MAC.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let mut claims = arp_claims(ctx.an, &tun);
    ndp_claims(ctx.an, &tun, &mut claims);
    claims
        .into_iter()
        .filter_map(|(ip, cl)| judge(ctx, ip, &cl))
        .collect()
}

/// Every claim of each IPv4 address (ARP packets with it as sender), in capture order.
fn arp_claims(an: &Analysis, tun: &Tunables) -> BTreeMap<IpAddr, Vec<Claim>> {
    // Who asked for which address, and when (to tell solicited from unsolicited replies).
    let mut asked: BTreeMap<Ipv4Addr, Vec<i64>> = BTreeMap::new();
    for a in an.arp.iter().filter(|a| a.op == REQUEST) {
        asked.entry(a.target_ip).or_default().push(a.ts_ns);
    }
    let mut claims: BTreeMap<IpAddr, Vec<Claim>> = BTreeMap::new();
    for a in &an.arp {
        if a.sender_ip.is_unspecified() {
            continue;
        }
        let gratuitous = a.sender_ip == a.target_ip;
        let unsolicited = a.op == REPLY
            && !gratuitous
            && !asked_before(asked.get(&a.sender_ip), a.ts_ns, tun);
        claims.entry(IpAddr::V4(a.sender_ip)).or_default().push(Claim {
            capture: a.capture,
            frame: a.frame,
            ts_ns: a.ts_ns,
            mac: a.sender_mac,
            kind: Kind::Arp(a.op),
            unsolicited,
            announce: gratuitous,
        });
    }
    claims
}

/// Whether one of the times `asked` is at most `SOLICIT_NS` before `ts`.
fn asked_before(asked: Option<&Vec<i64>>, ts: i64, tun: &Tunables) -> bool {
    asked.is_some_and(|t| t.iter().any(|&at| at <= ts && ts - at <= tun.SOLICIT_NS))
}

/// The MAC an advertisement binds its target to: its Target Link-Layer Address option, else
/// the frame's Ethernet source.
fn na_mac(e: &NdpEvent) -> Option<[u8; 6]> {
    e.lladdr.or(e.eth_src)
}

/// Adds every claim of each IPv6 address: advertisements with the Override flag or answering
/// a duplicate address detection probe, and the probes another MAC answered, in capture
/// order.
fn ndp_claims(an: &Analysis, tun: &Tunables, claims: &mut BTreeMap<IpAddr, Vec<Claim>>) {
    let mut asked: BTreeMap<Ipv6Addr, Vec<i64>> = BTreeMap::new();
    // The advertisements of each target: time and MAC.
    let mut nas: BTreeMap<Ipv6Addr, Vec<(i64, [u8; 6])>> = BTreeMap::new();
    // The duplicate address detection probes of each target: time and MAC.
    let mut probes: BTreeMap<Ipv6Addr, Vec<(i64, [u8; 6])>> = BTreeMap::new();
    for e in &an.ndp {
        if e.solicitation {
            asked.entry(e.target).or_default().push(e.ts_ns);
            if let (true, Some(m)) = (e.src.is_unspecified(), e.eth_src) {
                probes.entry(e.target).or_default().push((e.ts_ns, m));
            }
        } else if let Some(m) = na_mac(e) {
            nas.entry(e.target).or_default().push((e.ts_ns, m));
        }
    }
    // Another MAC than `m` in `list` (advertisements or probes of one target) within
    // SOLICIT_NS after `at` (`after`) or before it.
    let answers = |list: Option<&Vec<(i64, [u8; 6])>>, at: i64, m: [u8; 6], after: bool| {
        list.into_iter().flatten().find_map(|&(t, other)| {
            let d = if after { t - at } else { at - t };
            (other != m && (0..=tun.SOLICIT_NS).contains(&d)).then_some(other)
        })
    };
    for e in &an.ndp {
        let (mac, kind, unsolicited) = if e.solicitation {
            let Some(m) = e.eth_src.filter(|_| e.src.is_unspecified()) else {
                continue;
            };
            let Some(defender) = answers(nas.get(&e.target), e.ts_ns, m, true) else {
                continue; // nobody defended the address: not a claim
            };
            (m, Kind::DadProbe { defender }, false)
        } else {
            let Some(m) = na_mac(e) else { continue };
            let defends = answers(probes.get(&e.target), e.ts_ns, m, false).is_some();
            if !e.override_flag && !defends {
                continue; // a proxy's or an anycast answer
            }
            let unsolicited = !asked_before(asked.get(&e.target), e.ts_ns, tun);
            (m, Kind::Advertisement { defends }, unsolicited)
        };
        claims.entry(IpAddr::V6(e.target)).or_default().push(Claim {
            capture: e.capture,
            frame: e.frame,
            ts_ns: e.ts_ns,
            mac,
            kind,
            unsolicited,
            announce: unsolicited,
        });
    }
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
fn judge(ctx: &Ctx<'_>, ip: IpAddr, cl: &[Claim]) -> Option<Finding> {
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
    let first = cl.first().map_or(0, |c| c.ts_ns);
    let last = cl.last().map_or(0, |c| c.ts_ns);
    let mut f = finding(v.cause, Layer::Network, v.severity, v.confidence)
        .titled(v.title, v.explanation)
        .between(first, last);
    f.server = server(ip, None);
    f.affected_flows = cl.len() as u64;
    add_evidence(ctx, &mut f, ip, cl);
    f.wireshark_filter = match ip {
        IpAddr::V4(_) => format!("arp.src.proto_ipv4=={ip}"),
        IpAddr::V6(_) => format!(
            "icmpv6.nd.na.target_address == {ip} || icmpv6.nd.ns.target_address == {ip}"
        ),
    };
    f.remediation = v.remediation;
    f.group = Some(format!("host {ip}"));
    f.weight = 70;
    // The first claim by another MAC than the first one seen: when the address moved.
    f.facts.at_ns = cl.iter().find(|c| c.mac != macs[0]).map(|c| c.ts_ns);
    Some(f)
}

/// A failed duplicate address detection is a conflict; otherwise a VIP move when the binding
/// changed once and the newcomer announced itself; spoofing when a newcomer keeps sending
/// unsolicited replies; otherwise a conflict.
fn verdict(ip: IpAddr, cl: &[Claim], macs: &[[u8; 6]]) -> Verdict {
    let ndp = ip.is_ipv6();
    if let Some((c, defender)) = cl.iter().find_map(|c| match c.kind {
        Kind::DadProbe { defender } => Some((c, defender)),
        _ => None,
    }) {
        return dad_failed(ip, c.mac, defender, &rfc3339(c.ts_ns));
    }
    let switches = cl.windows(2).filter(|w| w[0].mac != w[1].mac).count();
    let owner = macs[0];
    let newcomer_first = cl.iter().find(|c| c.mac != owner);
    let mut unsolicited_by: BTreeMap<[u8; 6], usize> = BTreeMap::new();
    for c in cl.iter().filter(|c| c.unsolicited) {
        *unsolicited_by.entry(c.mac).or_default() += 1;
    }
    let spoofer = unsolicited_by
        .iter()
        .filter(|(m, n)| **m != owner && **n >= 3)
        .map(|(m, _)| *m)
        .next();
    if switches == 1 && newcomer_first.is_some_and(|c| c.announce || c.unsolicited) {
        let moved_at = newcomer_first.map_or(String::new(), |c| rfc3339(c.ts_ns));
        vip_move(ip, macs, &moved_at, ndp)
    } else if let Some(bad) = spoofer {
        let replies = unsolicited_by.get(&bad).copied().unwrap_or(0);
        spoofing(ip, owner, bad, replies, switches, ndp)
    } else {
        conflict(ip, macs, switches, ndp)
    }
}

fn vip_move(ip: IpAddr, macs: &[[u8; 6]], moved_at: &str, ndp: bool) -> Verdict {
    let (how, announced) = if ndp {
        (
            "unsolicited Neighbor Advertisement",
            "an unsolicited Neighbor Advertisement with the Override flag (IPv6's \
             gratuitous ARP)",
        )
    } else {
        ("gratuitous ARP", "a gratuitous ARP")
    };
    Verdict {
        cause: ARP_VIP_MOVE,
        severity: Severity::Low,
        confidence: 0.85,
        title: format!(
            "{ip} moved from {} to {} ({how})",
            mac(&macs[0]),
            mac(&macs[1])
        ),
        explanation: format!(
            "{ip} was answered by {} until {}, when {} announced itself with {announced} \
             and the old owner fell silent: a virtual IP failover \
             (VRRP/keepalived, a load balancer or cluster). Clients that cached the old \
             MAC lose connections for a moment; check why the failover happened.",
            mac(&macs[0]),
            moved_at,
            mac(&macs[1])
        ),
        remediation: vec!["Check the cluster/VRRP logs for why the active node changed.".to_string()],
    }
}

fn spoofing(
    ip: IpAddr,
    owner: [u8; 6],
    bad: [u8; 6],
    replies: usize,
    switches: usize,
    ndp: bool,
) -> Verdict {
    let (title, what, attack, guard) = if ndp {
        (
            format!(
                "NDP spoofing of {ip}: {} claims it with unsolicited Neighbor Advertisements",
                mac(&bad)
            ),
            "unsolicited Neighbor Advertisements with the Override flag",
            "neighbor cache poisoning, the IPv6 form of ARP poisoning",
            "Enable IPv6 first-hop security on the switch (ND inspection / SAVI), or static \
             neighbor entries for the gateway.",
        )
    } else {
        (
            format!(
                "ARP spoofing of {ip}: {} claims it with unsolicited replies",
                mac(&bad)
            ),
            "unsolicited ARP replies",
            "ARP poisoning",
            "Enable Dynamic ARP Inspection / static ARP for the gateway.",
        )
    };
    Verdict {
        cause: ARP_SPOOFING,
        severity: Severity::Critical,
        confidence: 0.85,
        title,
        explanation: format!(
            "{ip} belongs to {} but {} keeps sending {what} claiming it \
             ({} times), and the binding flips {switches} times: a man-in-the-middle \
             ({attack}) redirecting traffic for {ip} through {}.",
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
            guard.to_string(),
        ],
    }
}

fn conflict(ip: IpAddr, macs: &[[u8; 6]], switches: usize, ndp: bool) -> Verdict {
    let mac_list: Vec<String> = macs.iter().map(mac).collect();
    let (claimed, why, check) = if ndp {
        (
            "in Neighbor Advertisements ",
            " (duplicate address detection off, or the hosts were not on the link together \
             when they took it)",
            "Check static addresses against DHCPv6/SLAAC, and that duplicate address \
             detection is on (net.ipv6.conf.*.accept_dad).",
        )
    } else {
        (
            "",
            "",
            "Check the DHCP scope against statically configured addresses.",
        )
    };
    Verdict {
        cause: IP_CONFLICT,
        severity: Severity::High,
        confidence: 0.9,
        title: format!(
            "IP address conflict: {ip} is used by {}",
            mac_list.join(" and ")
        ),
        explanation: format!(
            "{ip} is claimed {claimed}by {} MACs ({}), the binding changing {switches} times: two \
             hosts are configured with the same address{why}, so clients reach one or the \
             other at random and connections break.",
            macs.len(),
            mac_list.join(", ")
        ),
        remediation: vec![
            format!(
                "Find the hosts with MACs {} and give one of them another address.",
                mac_list.join(", ")
            ),
            check.to_string(),
        ],
    }
}

/// A duplicate address detection probe answered by another MAC: the newcomer could not take
/// the address, the owner keeps it.
fn dad_failed(ip: IpAddr, newcomer: [u8; 6], owner: [u8; 6], at: &str) -> Verdict {
    Verdict {
        cause: IP_CONFLICT,
        severity: Severity::Medium,
        confidence: 0.95,
        title: format!(
            "IP address conflict: {ip} is used by {}, so {} could not take it (DAD failed)",
            mac(&owner),
            mac(&newcomer)
        ),
        explanation: format!(
            "At {at} {} probed for {ip} before using it (duplicate address detection: a \
             Neighbor Solicitation from ::) and {} answered with a Neighbor Advertisement \
             that the address is its own. Duplicate address detection caught the conflict: \
             {} keeps {ip} tentative and does not use it, so whatever should be reached at \
             {ip} on that host is not, while {} keeps receiving the address's traffic. Two \
             hosts are configured with the same address.",
            mac(&newcomer),
            mac(&owner),
            mac(&newcomer),
            mac(&owner)
        ),
        remediation: vec![
            format!(
                "Give the host with MAC {} another address, or remove {ip} from the host \
                 with MAC {} if it should not have it.",
                mac(&newcomer),
                mac(&owner)
            ),
            "Check static addresses against DHCPv6/SLAAC and the address plan.".to_string(),
        ],
    }
}

/// Up to six claims: the duplicate address detection probes and their answers first, then
/// the others in order, at most three per MAC; listed in capture order.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, ip: IpAddr, cl: &[Claim]) {
    let dad = |c: &Claim| {
        matches!(
            c.kind,
            Kind::DadProbe { .. } | Kind::Advertisement { defends: true }
        )
    };
    let mut chosen: Vec<usize> = (0..cl.len()).filter(|&i| dad(&cl[i])).take(6).collect();
    for (i, c) in cl.iter().enumerate() {
        if chosen.len() >= 6 {
            break;
        }
        if !dad(c) && chosen.iter().filter(|&&j| cl[j].mac == c.mac).count() < 3 {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    for c in chosen.into_iter().map(|i| &cl[i]) {
        let kind = match c.kind {
            Kind::Arp(_) if c.announce => "gratuitous ARP",
            Kind::Arp(_) if c.unsolicited => "unsolicited reply",
            Kind::Arp(REPLY) => "reply",
            Kind::Arp(_) => "request",
            Kind::Advertisement { defends: true } => {
                "neighbor advertisement answering the DAD probe"
            }
            Kind::Advertisement { .. } if c.unsolicited => {
                "unsolicited neighbor advertisement (override)"
            }
            Kind::Advertisement { .. } => "neighbor advertisement",
            Kind::DadProbe { .. } => {
                f.evidence.push(ctx.ev(
                    c.capture,
                    c.frame,
                    c.ts_ns,
                    format!(
                        "duplicate address detection: {} probes for {ip} (neighbor \
                         solicitation from ::)",
                        mac(&c.mac)
                    ),
                ));
                continue;
            }
        };
        f.evidence.push(ctx.ev(
            c.capture,
            c.frame,
            c.ts_ns,
            format!("{kind}: {ip} is at {}", mac(&c.mac)),
        ));
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

    /// A Neighbor Solicitation (`ns`) or Advertisement from MAC `02:00:00:00:00:mac`, source
    /// `fd80::src` (`::` for 0), target `fd80::target`, at `t_ms` ms; advertisements carry
    /// their MAC in the target link-layer address option.
    fn nd(ns: bool, mac: u8, src: u16, target: u16, o: bool, t_ms: i64) -> NdpEvent {
        let a = |n: u16| Ipv6Addr::new(if n == 0 { 0 } else { 0xfd80 }, 0, 0, 0, 0, 0, 0, n);
        NdpEvent {
            capture: 0,
            frame: t_ms as u64 + 1,
            ts_ns: t_ms * 1_000_000,
            solicitation: ns,
            src: a(src),
            target: a(target),
            override_flag: o,
            eth_src: Some([2, 0, 0, 0, 0, mac]),
            lladdr: (!ns).then_some([2, 0, 0, 0, 0, mac]),
        }
    }

    fn ndp(ev: Vec<NdpEvent>) -> Analysis {
        let mut a = analysis(vec![], vec![]);
        a.ndp = ev;
        a
    }

    fn findings(ev: Vec<NdpEvent>) -> Vec<Finding> {
        crate::detect::run_all(&ndp(ev))
    }

    const NS: bool = true;
    const NA: bool = false;

    #[test]
    fn ndp_dad_answered_by_another_mac_is_a_conflict_on_the_newcomer() {
        // 0x0b probes fd80::50 from ::, 0x0a (which has it) answers at once.
        let f = findings(vec![nd(NS, 0x0b, 0, 0x50, false, 0), nd(NA, 0x0a, 0x50, 0x50, true, 1)]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].cause, IP_CONFLICT);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].server.as_ref().unwrap().ip, "fd80::50");
        assert!(f[0].title.contains("DAD failed"), "{}", f[0].title);
        assert!(f[0].title.contains("02:00:00:00:00:0a") && f[0].title.contains("02:00:00:00:00:0b"));
        assert_eq!(f[0].evidence.iter().map(|e| e.frame).collect::<Vec<_>>(), vec![1, 2]);
        assert!(f[0].wireshark_filter.contains("icmpv6.nd.ns.target_address == fd80::50"));
        // Answered too late, or not at all, or by the prober itself: no finding.
        assert!(findings(vec![nd(NS, 0x0b, 0, 0x50, false, 0), nd(NA, 0x0a, 0x50, 0x50, true, 900)])
            .iter()
            .all(|f| f.cause != IP_CONFLICT));
        assert!(findings(vec![nd(NS, 0x0b, 0, 0x50, false, 0)]).is_empty());
        assert!(findings(vec![nd(NS, 0x0b, 0, 0x50, false, 0), nd(NA, 0x0b, 0x50, 0x50, true, 1)]).is_empty());
    }

    #[test]
    fn ndp_vip_move_spoofing_and_conflict() {
        let (client, vip) = (2, 0x100);
        // A answers the client; B probes (nobody answers: A is gone) and announces itself.
        let mv = vec![
            nd(NS, 2, client, vip, false, 0),
            nd(NA, 0x0a, vip, vip, true, 1),
            nd(NS, 0x0b, 0, vip, false, 5000),
            nd(NA, 0x0b, vip, vip, true, 6000),
            nd(NS, 2, client, vip, false, 9000),
            nd(NA, 0x0b, vip, vip, true, 9001),
        ];
        let f = findings(mv);
        assert_eq!(f.iter().map(|f| f.cause.as_str()).collect::<Vec<_>>(), vec!["arp_vip_move"]);
        assert!(f[0].title.contains("Neighbor Advertisement"), "{}", f[0].title);
        assert_eq!(f[0].facts.at_ns, Some(6_000_000_000));
        // A third host's unsolicited override NAs between the owner's answers: spoofing.
        let mut sp = vec![nd(NS, 2, client, vip, false, 0), nd(NA, 0x0a, vip, vip, true, 1)];
        for k in 0..4 {
            sp.push(nd(NA, 0x66, vip, vip, true, 3000 + k * 3000));
            sp.push(nd(NS, 2, client, vip, false, 4000 + k * 3000));
            sp.push(nd(NA, 0x0a, vip, vip, true, 4001 + k * 3000));
        }
        let f = findings(sp);
        assert_eq!(f.iter().map(|f| f.cause.as_str()).collect::<Vec<_>>(), vec!["arp_spoofing"]);
        assert!(f[0].title.starts_with("NDP spoofing"), "{}", f[0].title);
        // Two MACs answering the same solicitations: a conflict.
        let both = vec![
            nd(NS, 2, client, vip, false, 0),
            nd(NA, 0x0a, vip, vip, true, 1),
            nd(NA, 0x0b, vip, vip, true, 2),
            nd(NS, 2, client, vip, false, 1000),
            nd(NA, 0x0a, vip, vip, true, 1001),
            nd(NA, 0x0b, vip, vip, true, 1002),
        ];
        let f = findings(both.clone());
        assert_eq!(f.iter().map(|f| f.cause.as_str()).collect::<Vec<_>>(), vec!["ip_conflict"]);
        assert_eq!(f[0].severity, Severity::High);
        // Without the Override flag the second MAC is a proxy or anycast answer: no claim.
        let proxied: Vec<NdpEvent> = both
            .into_iter()
            .map(|mut e| {
                e.override_flag &= e.lladdr != Some([2, 0, 0, 0, 0, 0x0b]);
                e
            })
            .collect();
        assert!(findings(proxied).is_empty());
    }

    #[test]
    fn ndp_claims_use_the_target_link_layer_address_option() {
        // Both advertisements come from one Ethernet source; the option names two MACs.
        let mut a = nd(NA, 0x0a, 0x100, 0x100, true, 1);
        let mut b = nd(NA, 0x0a, 0x100, 0x100, true, 2);
        a.lladdr = Some([2, 0, 0, 0, 0, 0x0c]);
        b.lladdr = Some([2, 0, 0, 0, 0, 0x0d]);
        assert_eq!(causes(&ndp(vec![a.clone(), b.clone()])).len(), 1);
        // Without the option, the Ethernet source: one MAC, no finding.
        a.lladdr = None;
        b.lladdr = None;
        assert!(causes(&ndp(vec![a, b])).is_empty());
    }
}
