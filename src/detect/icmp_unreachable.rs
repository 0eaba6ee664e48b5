//! `icmp_unreachable`: ICMP destination unreachable (and ICMPv6 type 1), by code name, linked
//! through the quoted header to the flow it answers, so the SYN (or DNS query) it kills and
//! the ICMP explain one root cause together.
//!
//! Grouped by the destination the quoted packet was going to (address, protocol, port) and
//! the code. Who sent the error matters: the destination itself (port unreachable: nothing
//! listens, or its host firewall rejects) or a router or firewall on the path.
//! "Fragmentation needed" (code 4) is left to `icmp_frag_needed`.

use std::collections::BTreeMap;

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "icmp.unreachable";

/// The cause this detector reports.
pub const ICMP_UNREACHABLE: Cause = Cause::new("icmp_unreachable");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ICMP_UNREACHABLE];

/// Name of an ICMPv4 destination-unreachable code.
pub fn v4_code(code: u8) -> &'static str {
    match code {
        0 => "network unreachable",
        1 => "host unreachable",
        2 => "protocol unreachable",
        3 => "port unreachable",
        4 => "fragmentation needed",
        5 => "source route failed",
        6 => "destination network unknown",
        7 => "destination host unknown",
        8 => "source host isolated",
        9 => "network administratively prohibited",
        10 => "host administratively prohibited",
        11 => "network unreachable for TOS",
        12 => "host unreachable for TOS",
        13 => "communication administratively prohibited",
        14 => "host precedence violation",
        15 => "precedence cutoff in effect",
        _ => "unknown code",
    }
}

/// Name of an ICMPv6 destination-unreachable code.
pub fn v6_code(code: u8) -> &'static str {
    match code {
        0 => "no route to destination",
        1 => "communication administratively prohibited",
        2 => "beyond scope of source address",
        3 => "address unreachable",
        4 => "port unreachable",
        5 => "source address failed ingress/egress policy",
        6 => "reject route to destination",
        7 => "error in source routing header",
        _ => "unknown code",
    }
}

fn prohibited(v6: bool, code: u8) -> bool {
    if v6 {
        matches!(code, 1 | 5 | 6)
    } else {
        matches!(code, 9 | 10 | 13)
    }
}

fn dst_sender(errs: &[&crate::event::IcmpEvent]) -> String {
    ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src))).join(", ")
}

pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    // (dst ip, proto, dst port, v6, code) -> error indices
    let mut groups: BTreeMap<(IpAddr, u8, u16, bool, u8), Vec<usize>> = BTreeMap::new();
    for (i, e) in an.icmp_errors.iter().enumerate() {
        let unreach = if e.icmp.v6 {
            e.icmp.icmp_type == 1
        } else {
            e.icmp.icmp_type == 3 && e.icmp.code != 4
        };
        let Some(q) = e.icmp.quoted else { continue };
        if unreach {
            groups
                .entry((q.dst, q.proto, q.dst_port, e.icmp.v6, e.icmp.code))
                .or_default()
                .push(i);
        }
    }
    let mut out = Vec::new();
    for ((dst, proto, port, v6, code), idx) in groups {
        let errs: Vec<&crate::event::IcmpEvent> =
            idx.iter().map(|&i| &an.icmp_errors[i]).collect();
        let flows: Vec<&Conn> = idx
            .iter()
            .filter_map(|&i| ctx.quoted_flow[i])
            .map(|i| &an.flows[i])
            .collect();
        let mut flow_set: Vec<(u16, u64)> =
            flows.iter().map(|f| (f.capture, f.first_frame)).collect();
        flow_set.sort();
        flow_set.dedup();
        let reporters = ip_list(errs.iter().map(|e| e.src));
        let clients = ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src)));
        let code_name = if v6 { v6_code(code) } else { v4_code(code) };
        let proto_name = match proto {
            6 => "TCP",
            17 => "UDP",
            _ => "IP",
        };
        let fproto = match proto {
            6 => Some(Proto::Tcp),
            17 => Some(Proto::Udp),
            _ => None,
        };
        let ok = fproto.is_some_and(|p| ctx.answered_services.contains(&(p, dst, port)));
        let first = errs.iter().map(|e| e.ts_ns).min().unwrap_or(0);
        let last = errs.iter().map(|e| e.ts_ns).max().unwrap_or(0);
        let from_host = reporters.len() == 1 && reporters[0] == dst.to_string();
        let who = if from_host {
            format!("{dst} itself")
        } else {
            format!("{} on the path", reporters.join(", "))
        };
        let target = if matches!(proto, 6 | 17) {
            ep(dst, port)
        } else {
            dst.to_string()
        };
        let title = format!(
            "{proto_name} {target} unreachable: ICMP {code_name} from {}",
            reporters.join(", ")
        );
        let packets = plural(errs.len(), "packet");
        let mut expl = format!(
            "{packets} to {target} were answered with ICMP destination unreachable ({code_name}, code \
             {code}) sent by {who}, between {} and {}",
            rfc3339(first),
            rfc3339(last)
        );
        if !flow_set.is_empty() {
            expl.push_str(&format!(
                ", killing {}",
                plural(flow_set.len(), "connection attempt")
            ));
        }
        expl.push('.');
        let meaning = if prohibited(v6, code) {
            format!(" {who} forbids this traffic by policy: a firewall or router ACL rejects it.")
        } else if (!v6 && code == 3) || (v6 && code == 4) {
            if from_host {
                format!(
                    " Nothing listens on {proto_name} port {port} of {dst}, or its host firewall rejects with port-unreachable."
                )
            } else {
                format!(
                    " A firewall at {} rejects with port-unreachable on the server's behalf.",
                    reporters.join(", ")
                )
            }
        } else if (!v6 && matches!(code, 0 | 6 | 11)) || (v6 && code == 0) {
            format!(" {} has no route to {dst}'s network.", reporters.join(", "))
        } else {
            format!(
                " {} cannot deliver to {dst}: the host is down, not on its segment (ARP gets no answer), or the route is rejected.",
                reporters.join(", ")
            )
        };
        expl.push_str(&meaning);
        // Errors about packets the *responder* sent (or from a server port to an ephemeral
        // one): the client had already given up and rejects late replies. Noise.
        let late = errs.iter().all(|e| {
            let q = e.icmp.quoted.unwrap_or_else(|| unreachable!());
            let linked = idx
                .iter()
                .zip(errs.iter())
                .find(|(_, x)| std::ptr::eq(*x, e))
                .and_then(|(&i, _)| ctx.quoted_flow[i]);
            match linked {
                Some(fi) => an.flows[fi].resp_ip == q.src && an.flows[fi].resp_port == q.src_port,
                None => q.src_port < 1024 && q.dst_port >= 1024,
            }
        });
        if late {
            expl = format!(
                "{} sent by {} to {} were rejected with ICMP {code_name}: they answer requests                  the client had already given up on (late replies to a closed socket). Usually                  harmless; many of them point to a slow server.",
                plural(errs.len(), "packet"),
                dst_sender(&errs),
                dst
            );
        }
        let severity = if late {
            Severity::Info
        } else if ok {
            Severity::Medium
        } else if errs.len() >= 2 || !flow_set.is_empty() {
            Severity::Critical
        } else {
            Severity::High
        };
        let mut f = finding(ICMP_UNREACHABLE, Layer::Network, severity, 0.95)
.titled(title, expl)
.between(first, last);
        f.server = server(dst, matches!(proto, 6 | 17).then_some(port));
        f.clients = clients;
        f.affected_flows = flow_set.len().max(1) as u64;
        for e in errs.iter().take(6) {
            let q = e.icmp.quoted.unwrap_or_else(|| unreachable!());
            let what = match proto {
                6 => "SYN/segment",
                17 => "datagram",
                _ => "packet",
            };
            f.evidence.push(ctx.ev(
                e.capture,
                e.frame,
                e.ts_ns,
                format!(
                    "ICMP {code_name} from {} for the {what} {} -> {}",
                    e.src,
                    ep(q.src, q.src_port),
                    target
                ),
            ));
        }
        for c in flows.iter().take(3) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.syn_frame.unwrap_or(c.first_frame),
                c.first_ts_ns,
                format!("the packet it answers, from {}", ep(c.orig_ip, c.orig_port)),
            ));
        }
        let (icmp_f, t) = if v6 { ("icmpv6", 1) } else { ("icmp", 3) };
        f.wireshark_filter = format!(
            "{icmp_f}.type=={t} && {icmp_f}.code=={code} && {}.dst=={dst}",
            ipf(dst)
        );
        f.remediation = if prohibited(v6, code) {
            vec![format!(
                "Find the ACL or firewall rule on {} that rejects {proto_name} {port} to {dst} and allow the client's traffic.",
                reporters.join(", ")
            )]
        } else if (!v6 && code == 3) || (v6 && code == 4) {
            vec![
                format!("On {dst}, check the service listens on {proto_name} port {port}."),
                format!("Check REJECT rules for {proto_name} {port} on {dst} and on the path."),
            ]
        } else {
            vec![
                format!(
                    "Check routing from {} toward {dst} (ip route get {dst}).",
                    reporters.join(", ")
                ),
                format!("Check that {dst} is up and answers ARP on its segment."),
            ]
        };
        if let Some(p) = fproto {
            f.group = Some(svc_group(p, dst, port));
        } else {
            f.group = Some(format!("host {dst}"));
        }
        f.weight = 80;
        out.push(f);
    }
    out
}
