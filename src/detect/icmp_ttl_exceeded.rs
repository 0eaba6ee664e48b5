//! `icmp_ttl_exceeded`: ICMP time exceeded in transit (ICMPv6 type 3 code 0). Repeated for
//! the same destination from the same one or two routers while the destination never answers,
//! it is a routing loop: the packet bounced until its TTL ran out. From many different
//! routers for a destination that does answer, it is a traceroute: informational.
//!
//! Parameters: [`LOOP_MIN_ERRORS`].

use std::collections::BTreeMap;

use super::*;
use crate::decode::{icmp, icmpv6};

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "icmp.ttl_exceeded";

/// `icmp_ttl_exceeded`: packets whose TTL ran out on the way (a loop or a too-long path).
pub const ICMP_TTL_EXCEEDED: Cause = Cause::new("icmp_ttl_exceeded");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ICMP_TTL_EXCEEDED];

tunables! {
    /// Time-exceeded messages for one destination from which a loop is suspected.
    #[unit = Count]
    pub const LOOP_MIN_ERRORS: usize = 3;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let mut groups: BTreeMap<IpAddr, Vec<&crate::event::IcmpEvent>> = BTreeMap::new();
    for e in &an.icmp_errors {
        let exceeded = if e.icmp.v6 {
            e.icmp.icmp_type == icmpv6::TIME_EXCEEDED && e.icmp.code == icmpv6::HOP_LIMIT_EXCEEDED
        } else {
            e.icmp.icmp_type == icmp::TIME_EXCEEDED && e.icmp.code == icmp::TTL_EXCEEDED_IN_TRANSIT
        };
        if let (true, Some(q)) = (exceeded, e.icmp.quoted) {
            groups.entry(q.dst).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (dst, errs) in groups {
        let reporters = ip_list(errs.iter().map(|e| e.src));
        let reached = ctx.talkers.contains(&dst);
        let looping = errs.len() >= tun.LOOP_MIN_ERRORS && reporters.len() <= 2 && !reached;
        let first = errs.iter().map(|e| e.ts_ns).min().unwrap_or(0);
        let last = errs.iter().map(|e| e.ts_ns).max().unwrap_or(0);
        let clients = ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src)));
        let (severity, conf, title, expl) = if looping {
            (
                Severity::High,
                0.85,
                format!(
                    "Routing loop toward {dst}: TTL expires at {}",
                    reporters.join(", ")
                ),
                format!(
                    "{} to {dst} expired in transit (ICMP time exceeded from {}) and {dst} never \
                     answered: packets bounce between routers until their TTL runs out, the \
                     mark of a routing loop (two routers each pointing the route at the other) \
                     or of a path far longer than the sender's TTL.",
                    plural(errs.len(), "packet"),
                    reporters.join(" and ")
                ),
            )
        } else {
            (
                Severity::Info,
                0.7,
                format!(
                    "ICMP time exceeded for {dst} from {}",
                    plural(reporters.len(), "router")
                ),
                format!(
                    "{} to {dst} expired in transit at {}. With {} and the destination {}, \
                     this looks like a traceroute rather than a fault.",
                    plural(errs.len(), "packet"),
                    reporters.join(", "),
                    plural(reporters.len(), "distinct router"),
                    if reached { "answering" } else { "silent" }
                ),
            )
        };
        let mut f = finding(ICMP_TTL_EXCEEDED, Layer::Network, severity, conf)
            .titled(title, expl)
            .between(first, last);
        f.server = server(dst, None);
        f.clients = clients.clone();
        f.affected_flows = errs.len() as u64;
        for e in errs.iter().take(6) {
            let ttl_note = e
                .icmp
                .quoted
                .map(|q| format!(" for {} -> {}", q.src, q.dst))
                .unwrap_or_default();
            f.evidence.push(ctx.ev(
                e.capture,
                e.frame,
                e.ts_ns,
                format!("time exceeded from {}{ttl_note}", e.src),
            ));
        }
        f.wireshark_filter = if dst.is_ipv4() {
            format!(
                "icmp.type==11 && icmp.code==0 && ip.dst=={}",
                clients.first().cloned().unwrap_or_default()
            )
        } else {
            "icmpv6.type==3".to_string()
        };
        f.remediation = vec![
            format!(
                "Compare the routes for {dst} on {}: ip route get {dst} on each; two routers pointing at each other form the loop.",
                reporters.join(" and ")
            ),
            "Run a traceroute to the destination: a loop shows the same routers repeating."
                .to_string(),
        ];
        f.group = Some(format!("host {dst}"));
        f.weight = 70;
        out.push(f);
    }
    out
}
