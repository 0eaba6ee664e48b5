//! `dns_upstream_failure`: a resolver that answers its clients SERVFAIL while its own queries
//! to its upstream (a forwarder, or the authoritative servers) are refused, fail, or go
//! unanswered. The resolver is reachable and fast; it cannot complete lookups. Classic cases:
//! a forwarder whose ACL does not allow the resolver, recursion disabled upstream, DNSSEC
//! validation that cannot complete.
//!
//! A host is a resolver here when it both answers DNS queries and sends its own; the capture
//! must see both legs (taken on the resolver or next to it). One finding per resolver, however
//! many names: the link stage makes the per-name `dns_servfail`, `dns_refused` and
//! `dns_timeout` findings its consequences.

use std::collections::BTreeSet;

use super::*;
use crate::decode::dns::rcode;
use crate::event::DnsEvent;

use super::dns::{Txn, transactions};

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "dns.upstream";

/// `dns_upstream_failure`: a resolver whose upstream fails it.
pub const DNS_UPSTREAM_FAILURE: Cause = Cause::new("dns_upstream_failure");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[DNS_UPSTREAM_FAILURE];

tunables! {
    /// An upstream query still unanswered this long before the capture ends counts as lost
    /// (resolvers retry after 0.4-1.5 s; 2 s leaves room).
    #[unit = Ns]
    pub const UNANSWERED_NS: i64 = 2_000_000_000;
    /// Failed upstream queries from which it is a finding (2: one failure could be a single
    /// retry that then succeeded).
    #[unit = Count]
    pub const MIN_FAILED: usize = 2;
}

/// What one resolver did: the SERVFAILs it sent, and its own queries that failed.
#[derive(Default)]
struct Resolver<'a> {
    servfails: Vec<&'a DnsEvent>,
    upstream_failed: Vec<&'a Txn<'a>>,
    upstream_ok: usize,
}

/// Runs the detector: one finding per resolver whose upstream fails it.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    let (txns, _) = transactions(ctx.an);
    let end = ctx.capture_end();
    let mut resolvers: BTreeMap<IpAddr, Resolver<'_>> = BTreeMap::new();
    for t in &txns {
        if let Some(r) = t.r.filter(|r| r.msg.rcode == rcode::SERVFAIL) {
            resolvers.entry(r.src).or_default().servfails.push(r);
        }
    }
    for t in &txns {
        let Some(res) = resolvers.get_mut(&t.q.src) else {
            continue;
        };
        match t.r {
            Some(r) if matches!(r.msg.rcode, rcode::REFUSED | rcode::SERVFAIL) => {
                res.upstream_failed.push(t)
            }
            None if end.saturating_sub(t.q.ts_ns) >= tun.UNANSWERED_NS => {
                res.upstream_failed.push(t)
            }
            Some(_) => res.upstream_ok += 1,
            None => {}
        }
    }
    resolvers
        .into_iter()
        .filter_map(|(ip, r)| judge(ctx, &tun, ip, &r))
        .collect()
}

/// The finding for one resolver, when its upstream failed it more often than not.
fn judge(ctx: &Ctx<'_>, tun: &Tunables, ip: IpAddr, r: &Resolver<'_>) -> Option<Finding> {
    let failed = r.upstream_failed.len();
    if failed < tun.MIN_FAILED || failed < r.upstream_ok {
        return None;
    }
    let upstreams: BTreeSet<IpAddr> = r.upstream_failed.iter().map(|t| t.q.dst).collect();
    let up_list = upstreams.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", ");
    let refused = r
        .upstream_failed
        .iter()
        .filter(|t| t.r.is_some_and(|x| x.msg.rcode == rcode::REFUSED))
        .count();
    let unanswered = r.upstream_failed.iter().filter(|t| t.r.is_none()).count();
    let how = match (refused, unanswered) {
        (n, 0) if n == failed => "refuses its queries (REFUSED)",
        (0, n) if n == failed => "does not answer its queries",
        (0, 0) => "answers its queries SERVFAIL",
        _ => "refuses or does not answer its queries",
    };
    let names: BTreeSet<&str> = r.servfails.iter().map(|e| e.msg.qname.as_str()).collect();
    let clients: BTreeSet<IpAddr> = r.servfails.iter().map(|e| e.dst).collect();
    let answered_ok = ctx.an.dns.iter().any(|e| {
        e.src == ip && e.msg.is_response && e.msg.rcode != rcode::SERVFAIL
    });
    let first = r
        .servfails
        .iter()
        .map(|e| e.ts_ns)
        .chain(r.upstream_failed.iter().map(|t| t.q.ts_ns))
        .min()
        .unwrap_or(0);
    let last = r
        .servfails
        .iter()
        .map(|e| e.ts_ns)
        .chain(r.upstream_failed.iter().map(|t| t.r.map_or(t.q.ts_ns, |x| x.ts_ns)))
        .max()
        .unwrap_or(first);
    let name_list: Vec<&str> = names.iter().take(5).copied().collect();
    let severity = if answered_ok {
        Severity::High
    } else {
        Severity::Critical
    };
    let mut f = finding(DNS_UPSTREAM_FAILURE, Layer::Application, severity, 0.9)
        .titled(
            format!("Resolver {ip} cannot resolve: its upstream {up_list} {how}"),
            format!(
                "{ip} answered {} from {} with SERVFAIL, for {} ({}{}). It is reachable and \
                 answers at once; the lookups fail behind it: of its own {} to {up_list}, {} \
                 ({refused} REFUSED, {unanswered} unanswered). A forwarder that does not \
                 allow this resolver (an ACL, recursion off), an upstream that is down, or \
                 DNSSEC validation that cannot complete.",
                plural(r.servfails.len(), "query"),
                plural(clients.len(), "client"),
                plural(names.len(), "name"),
                name_list.join(", "),
                if names.len() > name_list.len() { ", ..." } else { "" },
                plural(failed + r.upstream_ok, "query"),
                if r.upstream_ok == 0 {
                    "every one failed".to_string()
                } else {
                    format!("{failed} failed")
                },
            ),
        )
        .between(first, last);
    f.server = server(ip, Some(53));
    f.clients = ip_list(clients.into_iter());
    f.affected_flows = r.servfails.len() as u64;
    add_evidence(ctx, &mut f, r);
    f.wireshark_filter = format!(
        "dns.flags.response == 1 && dns.flags.rcode != 0 && {}.addr == {ip}",
        ipf(ip)
    );
    f.remediation = vec![
        format!("Check {up_list}: does it allow queries from {ip} (ACL, recursion), and is it up?"),
        format!("Test from {ip} itself: dig @{} {}", upstreams.iter().next().map_or(String::new(), |u| u.to_string()), name_list.first().copied().unwrap_or(".")),
        format!("Or point {ip} at a forwarder that works."),
    ];
    f.group = Some(format!("resolver {ip}"));
    f.facts.host = Some(ip);
    f.weight = 70;
    Some(f)
}

/// The first two failed lookups: the client's SERVFAIL and the upstream failures before it.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, r: &Resolver<'_>) {
    for sf in r.servfails.iter().take(2) {
        let name = sf.msg.qname.as_str();
        for t in r
            .upstream_failed
            .iter()
            .filter(|t| t.q.msg.qname == name && t.q.ts_ns <= sf.ts_ns)
            .take(1)
        {
            let what = match t.r {
                Some(x) => {
                    f.evidence.push(ctx.ev(
                        x.capture,
                        x.frame,
                        x.ts_ns,
                        format!(
                            "{} answers {name}: {}",
                            x.src,
                            crate::decode::dns::rcode_name(x.msg.rcode)
                        ),
                    ));
                    continue;
                }
                None => format!("{} asks {} for {name}: no answer", t.q.src, t.q.dst),
            };
            f.evidence.push(ctx.ev(t.q.capture, t.q.frame, t.q.ts_ns, what));
        }
        f.evidence.push(ctx.ev(
            sf.capture,
            sf.frame,
            sf.ts_ns,
            format!("SERVFAIL for {name} to {}", sf.dst),
        ));
    }
}
