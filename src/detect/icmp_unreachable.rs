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
use crate::decode::{icmp, icmpv6, ip_proto};
use crate::event::IcmpEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "icmp.unreachable";

/// `icmp_unreachable`: packets answered with ICMP destination unreachable.
pub const ICMP_UNREACHABLE: Cause = Cause::new("icmp_unreachable");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ICMP_UNREACHABLE];

/// This detector has no tunables.
pub const TUNABLES: &[Tunable] = &[];

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
        matches!(
            code,
            icmpv6::ADMIN_PROHIBITED | icmpv6::POLICY_FAILED | icmpv6::REJECT_ROUTE
        )
    } else {
        matches!(
            code,
            icmp::NET_PROHIBITED | icmp::HOST_PROHIBITED | icmp::COMM_PROHIBITED
        )
    }
}

fn dst_sender(errs: &[&IcmpEvent]) -> String {
    ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src))).join(", ")
}

/// What a group of errors is about: the destination the quoted packets were going to
/// (address, IP protocol number, port), the ICMP family and the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    dst: IpAddr,
    proto: u8,
    port: u16,
    v6: bool,
    code: u8,
}

impl Target {
    /// `TCP`, `UDP` or `IP`.
    fn proto_name(&self) -> &'static str {
        match self.proto {
            ip_proto::TCP => "TCP",
            ip_proto::UDP => "UDP",
            _ => "IP",
        }
    }

    /// The flow protocol, for TCP and UDP.
    fn flow_proto(&self) -> Option<Proto> {
        match self.proto {
            ip_proto::TCP => Some(Proto::Tcp),
            ip_proto::UDP => Some(Proto::Udp),
            _ => None,
        }
    }

    /// `ip:port` for TCP and UDP, else the address.
    fn label(&self) -> String {
        if self.flow_proto().is_some() {
            ep(self.dst, self.port)
        } else {
            self.dst.to_string()
        }
    }

    fn code_name(&self) -> &'static str {
        if self.v6 {
            v6_code(self.code)
        } else {
            v4_code(self.code)
        }
    }

    /// Port unreachable.
    fn port_unreachable(&self) -> bool {
        if self.v6 {
            self.code == icmpv6::PORT_UNREACHABLE
        } else {
            self.code == icmp::PORT_UNREACHABLE
        }
    }

    /// No route to the destination's network.
    fn no_route(&self) -> bool {
        if self.v6 {
            self.code == icmpv6::NO_ROUTE
        } else {
            matches!(
                self.code,
                icmp::NET_UNREACHABLE | icmp::NET_UNKNOWN | icmp::NET_UNREACHABLE_TOS
            )
        }
    }
}

/// Runs the detector: groups the destination-unreachable errors by target, then explains
/// each group.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    groups(ctx.an)
        .into_iter()
        .map(|(t, idx)| explain(ctx, t, &idx))
        .collect()
}

/// The destination-unreachable errors (fragmentation needed left out), by target: indexes
/// into `an.icmp_errors`.
fn groups(an: &Analysis) -> BTreeMap<Target, Vec<usize>> {
    let mut groups: BTreeMap<Target, Vec<usize>> = BTreeMap::new();
    for (i, e) in an.icmp_errors.iter().enumerate() {
        let unreach = if e.icmp.v6 {
            e.icmp.icmp_type == icmpv6::DEST_UNREACHABLE
        } else {
            e.icmp.icmp_type == icmp::DEST_UNREACHABLE && e.icmp.code != icmp::FRAG_NEEDED
        };
        let Some(q) = e.icmp.quoted else { continue };
        if unreach {
            let t = Target {
                dst: q.dst,
                proto: q.proto,
                port: q.dst_port,
                v6: e.icmp.v6,
                code: e.icmp.code,
            };
            groups.entry(t).or_default().push(i);
        }
    }
    groups
}

/// Whether every error of a group is about a packet the *responder* sent (or from a server
/// port to an ephemeral one): the client had already given up and rejects late replies.
fn late_replies(ctx: &Ctx<'_>, idx: &[usize]) -> bool {
    idx.iter().all(|&i| {
        let q = ctx.an.icmp_errors[i]
            .icmp
            .quoted
            .unwrap_or_else(|| unreachable!());
        match ctx.quoted_flow[i] {
            Some(fi) => {
                let f = &ctx.an.flows[fi];
                f.resp_ip == q.src && f.resp_port == q.src_port
            }
            None => q.src_port < 1024 && q.dst_port >= 1024,
        }
    })
}

/// What the code says about the target, said of `who` (the sender of the errors).
fn meaning(t: &Target, who: &str, from_host: bool, reporters: &[String]) -> String {
    let (proto_name, port, dst) = (t.proto_name(), t.port, t.dst);
    if prohibited(t.v6, t.code) {
        format!(" {who} forbids this traffic by policy: a firewall or router ACL rejects it.")
    } else if t.port_unreachable() {
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
    } else if t.no_route() {
        format!(" {} has no route to {dst}'s network.", reporters.join(", "))
    } else {
        format!(
            " {} cannot deliver to {dst}: the host is down, not on its segment (ARP gets no answer), or the route is rejected.",
            reporters.join(", ")
        )
    }
}

/// What to do about the target, by code.
fn remediation(t: &Target, reporters: &[String]) -> Vec<String> {
    let (proto_name, port, dst) = (t.proto_name(), t.port, t.dst);
    if prohibited(t.v6, t.code) {
        vec![format!(
            "Find the ACL or firewall rule on {} that rejects {proto_name} {port} to {dst} and allow the client's traffic.",
            reporters.join(", ")
        )]
    } else if t.port_unreachable() {
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
    }
}

/// The finding for one group of errors.
fn explain(ctx: &Ctx<'_>, t: Target, idx: &[usize]) -> Finding {
    let Target {
        dst,
        port,
        v6,
        code,
        ..
    } = t;
    let (errs, flows) = ctx.icmp_and_quoted(idx);
    let mut flow_set: Vec<(u16, u64)> = flows.iter().map(|f| (f.capture, f.first_frame)).collect();
    flow_set.sort();
    flow_set.dedup();
    let reporters = ip_list(errs.iter().map(|e| e.src));
    let code_name = t.code_name();
    let target = t.label();
    let ok = t
        .flow_proto()
        .is_some_and(|p| ctx.answered_services.contains(&(p, dst, port)));
    let first = errs.iter().map(|e| e.ts_ns).min().unwrap_or(0);
    let last = errs.iter().map(|e| e.ts_ns).max().unwrap_or(0);
    let from_host = reporters.len() == 1 && reporters[0] == dst.to_string();
    let who = if from_host {
        format!("{dst} itself")
    } else {
        format!("{} on the path", reporters.join(", "))
    };
    let title = format!(
        "{} {target} unreachable: ICMP {code_name} from {}",
        t.proto_name(),
        reporters.join(", ")
    );
    let late = late_replies(ctx, idx);
    let expl = if late {
        // Noise: late replies to a closed socket.
        format!(
            "{} sent by {} to {} were rejected with ICMP {code_name}: they answer requests                  the client had already given up on (late replies to a closed socket). Usually                  harmless; many of them point to a slow server.",
            plural(errs.len(), "packet"),
            dst_sender(&errs),
            dst
        )
    } else {
        let mut expl = format!(
            "{} to {target} were answered with ICMP destination unreachable ({code_name}, code \
             {code}) sent by {who}, between {} and {}",
            plural(errs.len(), "packet"),
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
        expl.push_str(&meaning(&t, &who, from_host, &reporters));
        expl
    };
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
    f.server = server(dst, t.flow_proto().is_some().then_some(port));
    f.clients = ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src)));
    f.affected_flows = flow_set.len().max(1) as u64;
    add_evidence(ctx, &mut f, &t, &errs, &flows);
    let (icmp_f, ty) = if v6 { ("icmpv6", 1) } else { ("icmp", 3) };
    f.wireshark_filter = format!(
        "{icmp_f}.type=={ty} && {icmp_f}.code=={code} && {}.dst=={dst}",
        ipf(dst)
    );
    f.remediation = remediation(&t, &reporters);
    f.group = Some(match t.flow_proto() {
        Some(p) => svc_group(p, dst, port),
        None => format!("host {dst}"),
    });
    f.weight = 80;
    f
}

/// The first errors, then the first packets they answer.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, t: &Target, errs: &[&IcmpEvent], flows: &[&Conn]) {
    let what = match t.proto {
        ip_proto::TCP => "SYN/segment",
        ip_proto::UDP => "datagram",
        _ => "packet",
    };
    for e in errs.iter().take(6) {
        let q = e.icmp.quoted.unwrap_or_else(|| unreachable!());
        f.evidence.push(ctx.ev(
            e.capture,
            e.frame,
            e.ts_ns,
            format!(
                "ICMP {} from {} for the {what} {} -> {}",
                t.code_name(),
                e.src,
                ep(q.src, q.src_port),
                t.label()
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
}
