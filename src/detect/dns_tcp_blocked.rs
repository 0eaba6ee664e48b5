//! `dns_tcp_blocked`: a resolver whose UDP answers come back truncated (TC=1) and whose TCP
//! port 53 does not take the clients' retries: no SYN-ACK, or a reset. Every answer too large
//! for UDP (many addresses, long TXT records, DNSSEC) is then lost, while small lookups work:
//! the classic "some names never resolve" with a firewall that allows only UDP/53.
//!
//! Per resolver: each truncated UDP answer is paired with the TCP connection its client opens
//! to the same resolver port 53 within [`RETRY_NS`]. The finding names the resolver, the
//! names, and how the retries failed; the link stage makes the unanswered or reset SYNs to
//! port 53 and the `dns_truncated` finding its consequences.

use std::collections::BTreeSet;

use super::*;
use crate::event::DnsEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "dns.tcp_fallback";

/// `dns_tcp_blocked`: truncated answers whose TCP retries fail.
pub const DNS_TCP_BLOCKED: Cause = Cause::new("dns_tcp_blocked");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[DNS_TCP_BLOCKED];

tunables! {
    /// How soon after a truncated answer a TCP connection from the same client to the resolver
    /// counts as its retry: 5 s (stub resolvers retry at once; glibc, dig and systemd-resolved
    /// within milliseconds).
    #[unit = Ns]
    pub const RETRY_NS: i64 = 5_000_000_000;
}

/// How a truncated answer's TCP retry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Retry {
    /// No SYN-ACK came back.
    Unanswered,
    /// The SYN was answered by a reset.
    Refused,
    /// The connection was established.
    Connected,
    /// No TCP connection followed.
    None,
}

/// A truncated UDP answer and its client's TCP retry, when there was one.
pub struct Fallback<'a> {
    /// The truncated answer.
    pub answer: &'a DnsEvent,
    /// The retry's connection.
    pub conn: Option<&'a Conn>,
    /// How it ended.
    pub retry: Retry,
}

/// Every truncated UDP answer with its TCP retry (within this detector's `RETRY_NS` as in
/// effect for `ctx`), in capture order.
pub fn fallbacks<'a>(ctx: &Ctx<'a>) -> Vec<Fallback<'a>> {
    let an: &'a Analysis = ctx.an;
    let tun = Tunables::of(ctx);
    an.dns
        .iter()
        .filter(|e| e.msg.is_response && !e.tcp && e.msg.truncated && is_dns_src(e))
        .map(|answer| {
            let conn = an.flows.iter().find(|f| {
                f.proto == Proto::Tcp
                    && f.fold.is_none()
                    && f.orig_ip == answer.dst
                    && f.resp_ip == answer.src
                    && f.resp_port == answer.src_port
                    && f.first_ts_ns >= answer.ts_ns
                    && f.first_ts_ns.saturating_sub(answer.ts_ns) <= tun.RETRY_NS
            });
            let retry = match conn.map(|f| f.conn_state) {
                None => Retry::None,
                Some(ConnState::S0 | ConnState::Rstos0 | ConnState::Sh) => Retry::Unanswered,
                Some(ConnState::Rej) => Retry::Refused,
                Some(_) => Retry::Connected,
            };
            Fallback {
                answer,
                conn,
                retry,
            }
        })
        .collect()
}

fn is_dns_src(e: &DnsEvent) -> bool {
    crate::event::is_dns_port(e.src_port)
}

/// Runs the detector: one finding per resolver with failed retries.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let all = fallbacks(ctx);
    let mut by_resolver: BTreeMap<(IpAddr, u16), Vec<&Fallback<'_>>> = BTreeMap::new();
    for fb in &all {
        by_resolver
            .entry((fb.answer.src, fb.answer.src_port))
            .or_default()
            .push(fb);
    }
    by_resolver
        .into_iter()
        .filter_map(|((ip, port), fbs)| judge(ctx, ip, port, &fbs))
        .collect()
}

/// The finding for one resolver, when some retries failed and none got through.
fn judge(ctx: &Ctx<'_>, ip: IpAddr, port: u16, fbs: &[&Fallback<'_>]) -> Option<Finding> {
    let failed: Vec<&&Fallback<'_>> = fbs
        .iter()
        .filter(|f| matches!(f.retry, Retry::Unanswered | Retry::Refused))
        .collect();
    if failed.is_empty() || fbs.iter().any(|f| f.retry == Retry::Connected) {
        return None;
    }
    let dropped = failed.iter().filter(|f| f.retry == Retry::Unanswered).count();
    let refused = failed.len() - dropped;
    let names: BTreeSet<&str> = failed.iter().map(|f| f.answer.msg.qname.as_str()).collect();
    let name_list: Vec<&str> = names.iter().take(5).copied().collect();
    let how = match (dropped, refused) {
        (_, 0) => "dropped (no SYN-ACK)".to_string(),
        (0, _) => "refused (reset)".to_string(),
        (d, r) => format!("dropped {d} times and refused {r} times"),
    };
    let first = failed.iter().map(|f| f.answer.ts_ns).min().unwrap_or(0);
    let last = failed
        .iter()
        .map(|f| f.conn.map_or(f.answer.ts_ns, |c| c.last_ts_ns))
        .max()
        .unwrap_or(first);
    let target = ep(ip, port);
    let mut f = finding(DNS_TCP_BLOCKED, Layer::Application, Severity::High, 0.9)
        .titled(
            format!(
                "Large DNS answers from {target} are lost: truncated over UDP, TCP {how}"
            ),
            format!(
                "{} from {target} came back truncated (TC) over UDP and each client retried \
                 over TCP at once, as it should; the TCP connections to {target} were {how}, so \
                 {} never resolved ({}{}). Small answers still work over UDP, which makes it \
                 look like some names are broken: a firewall or security group that allows \
                 only UDP to port 53.",
                plural(failed.len(), "answer"),
                plural(names.len(), "name"),
                name_list.join(", "),
                if names.len() > name_list.len() { ", ..." } else { "" }
            ),
        )
        .between(first, last);
    f.server = server(ip, Some(port));
    f.clients = ip_list(failed.iter().map(|f| f.answer.dst));
    f.affected_flows = failed.len() as u64;
    add_evidence(ctx, &mut f, &failed);
    f.wireshark_filter = format!(
        "({}.addr == {ip} && dns.flags.truncated == 1) || ({}.addr == {ip} && tcp.port == {port})",
        ipf(ip),
        ipf(ip)
    );
    f.remediation = vec![
        format!("Allow TCP to {target} from the clients (DNS needs TCP/53 as well as UDP/53: RFC 7766)."),
        "Until then, shrink the answers: fewer records per name, or EDNS0 with a larger UDP buffer if the path carries fragments.".into(),
    ];
    f.group = Some(svc_group(Proto::Udp, ip, port));
    f.weight = 70;
    Some(f)
}

/// Each failed lookup's truncated answer and its retry's first SYN, for the first four.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, failed: &[&&Fallback<'_>]) {
    for fb in failed.iter().take(4) {
        let a = fb.answer;
        f.evidence.push(ctx.ev(
            a.capture,
            a.frame,
            a.ts_ns,
            format!("TC answer for {} (retry over TCP)", a.msg.qname),
        ));
        if let Some(c) = fb.conn {
            let what = match fb.retry {
                Retry::Refused => "refused by a reset",
                _ => "never answered",
            };
            f.evidence.push(ctx.ev(
                c.capture,
                c.first_frame,
                c.first_ts_ns,
                format!("TCP retry for {} from port {}: {what}", a.msg.qname, c.orig_port),
            ));
        }
    }
}
