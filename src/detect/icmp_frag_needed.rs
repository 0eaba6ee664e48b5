//! `icmp_frag_needed` and `pmtu_blackhole`: path-MTU problems.
//!
//! `icmp_frag_needed`: ICMP "fragmentation needed" (type 3 code 4) or ICMPv6 "packet too
//! big", with the MTU the router asks for. When the sender adapts (its connection goes on and
//! completes) it is informational; when the connection it quotes never completes it is a real
//! problem (a sender or middlebox ignoring the message).
//!
//! `pmtu_blackhole`: large segments retransmitted and never acknowledged while the handshake
//! and small segments passed, and no ICMP arrived: the path drops packets above some MTU and
//! the ICMP that would tell the sender is filtered. Parameters: [`BLACKHOLE_MIN_RTX`],
//! [`BLACKHOLE_MIN_LEN`].

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "icmp.frag_needed";

/// `icmp_frag_needed`: senders told to use smaller packets (path MTU).
pub const ICMP_FRAG_NEEDED: Cause = Cause::new("icmp_frag_needed");
/// `pmtu_blackhole`: large segments never acknowledged, with no ICMP about them.
pub const PMTU_BLACKHOLE: Cause = Cause::new("pmtu_blackhole");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[ICMP_FRAG_NEEDED, PMTU_BLACKHOLE];

tunables! {
    /// Retransmissions of one side from which a stuck large segment is suspicious.
    #[unit = Count]
    pub const BLACKHOLE_MIN_RTX: u32 = 3;
    /// A segment at least this large (bytes of payload) counts as "large".
    #[unit = Bytes]
    pub const BLACKHOLE_MIN_LEN: u32 = 1000;
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut quoted_by_ptb = BTreeSet::new();
    let mut out = frag_needed(ctx, &mut quoted_by_ptb);
    out.extend(blackholes(ctx, &quoted_by_ptb));
    out
}

/// `icmp_frag_needed`: the messages, per router and destination, and whether the senders
/// adapted. Notes in `quoted_by_ptb` the flows they quote.
fn frag_needed(ctx: &Ctx<'_>, quoted_by_ptb: &mut BTreeSet<usize>) -> Vec<Finding> {
    let an = ctx.an;
    let mut out = Vec::new();
    let mut groups: BTreeMap<(IpAddr, IpAddr), Vec<usize>> = BTreeMap::new();
    for (i, e) in an.icmp_errors.iter().enumerate() {
        if let (true, Some(q)) = (is_packet_too_big(e), e.icmp.quoted) {
            groups.entry((e.src, q.dst)).or_default().push(i);
        }
    }
    for ((router, dst), idx) in groups {
        let (errs, flows) = ctx.icmp_and_quoted(&idx);
        quoted_by_ptb.extend(idx.iter().filter_map(|&i| ctx.quoted_flow[i]));
        let mtus: Vec<String> = {
            let mut m: Vec<u32> = errs.iter().filter_map(|e| e.icmp.mtu).collect();
            m.sort();
            m.dedup();
            m.iter().map(|x| x.to_string()).collect()
        };
        let adapted = !flows.is_empty()
            && flows.iter().all(|f| {
                matches!(f.conn_state, ConnState::Sf | ConnState::S1 | ConnState::S2 | ConnState::S3)
                    && f.orig_unacked_bytes == 0
                    && f.resp_unacked_bytes == 0
            });
        let first = errs.iter().map(|e| e.ts_ns).min().unwrap_or(0);
        let last = errs.iter().map(|e| e.ts_ns).max().unwrap_or(0);
        let mtu = if mtus.is_empty() {
            "?".to_string()
        } else {
            mtus.join("/")
        };
        let (sev, expl) = if adapted || flows.is_empty() {
            (
                Severity::Info,
                format!(
                    "{router} asked senders toward {dst} to use packets of at most {mtu} bytes \
                     ({}); {}.",
                    plural(errs.len(), "ICMP message"),
                    if flows.is_empty() {
                        "the connections it refers to are not in the capture"
                    } else {
                        "the senders adapted and their connections completed"
                    }
                ),
            )
        } else {
            (
                Severity::High,
                format!(
                    "{router} asked senders toward {dst} to use packets of at most {mtu} bytes, \
                     but the {} it refers to never completed: the sender, or a device in \
                     between, does not act on the message.",
                    plural(flows.len(), "connection")
                ),
            )
        };
        let mut f = finding(ICMP_FRAG_NEEDED, Layer::Network, sev, 0.9)
            .titled(format!("Path MTU toward {dst} is {mtu} (ICMP from {router})"), expl)
            .between(first, last);
        f.server = server(dst, None);
        f.clients = ip_list(errs.iter().filter_map(|e| e.icmp.quoted.map(|q| q.src)));
        f.affected_flows = flows.len() as u64;
        for e in errs.iter().take(4) {
            f.evidence.push(ctx.ev(
                e.capture,
                e.frame,
                e.ts_ns,
                format!(
                    "fragmentation needed, next-hop MTU {}",
                    e.icmp.mtu.map_or("?".into(), |m| m.to_string())
                ),
            ));
        }
        f.wireshark_filter = if dst.is_ipv4() {
            "icmp.type==3 && icmp.code==4".into()
        } else {
            "icmpv6.type==2".into()
        };
        f.remediation = vec![format!(
            "Lower the MTU or clamp the TCP MSS (iptables TCPMSS --clamp-mss-to-pmtu) on the path through {router} if senders do not adapt; otherwise nothing to do."
        )];
        if let Some(c) = flows.first() {
            f.group = Some(svc_group(c.proto, c.resp_ip, c.resp_port));
        }
        f.weight = 40;
        out.push(f);
    }
    out
}

/// `pmtu_blackhole`: established flows stuck on a large retransmitted segment, with no ICMP
/// about them (those in `quoted_by_ptb` were told).
fn blackholes(ctx: &Ctx<'_>, quoted_by_ptb: &BTreeSet<usize>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let mut out = Vec::new();
    let stuck = an.flows.iter().enumerate().filter(|(i, f)| {
        f.proto == Proto::Tcp
            && handshake_ok(f)
            && !quoted_by_ptb.contains(i)
            && ((f.orig_retransmissions >= tun.BLACKHOLE_MIN_RTX
                && f.orig_max_rtx_len >= tun.BLACKHOLE_MIN_LEN
                && f.orig_unacked_bytes > 0)
                || (f.resp_retransmissions >= tun.BLACKHOLE_MIN_RTX
                    && f.resp_max_rtx_len >= tun.BLACKHOLE_MIN_LEN
                    && f.resp_unacked_bytes > 0))
    });
    for ((_, ip, port), flows) in by_service(stuck) {
        let (first, last) = span(flows.iter().map(|(_, f)| *f));
        let biggest = flows
            .iter()
            .map(|(_, f)| f.orig_max_rtx_len.max(f.resp_max_rtx_len))
            .max()
            .unwrap_or(0);
        let svc = ctx.label(ip, port);
        let mut f = finding(PMTU_BLACKHOLE, Layer::Network, Severity::High, 0.75)
            .titled(format!("Path MTU black hole toward {svc}: large segments never get through"), format!(
                "{} to {svc} completed the handshake, but segments of {biggest} bytes were \
                 retransmitted again and again and never acknowledged, while smaller packets \
                 passed, and no ICMP \"fragmentation needed\" arrived. A link on the path has a \
                 smaller MTU and the ICMP that would tell the sender is filtered.",
                plural(flows.len(), "connection")
            ))
            .between(first, last);
        about_service(&mut f, ip, port, &flows);
        for (_, c) in flows.iter().take(5) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.first_frame,
                c.first_ts_ns,
                format!(
                    "connection from {}: {} retransmissions, {} bytes never acknowledged",
                    ep(c.orig_ip, c.orig_port),
                    c.orig_retransmissions + c.resp_retransmissions,
                    c.orig_unacked_bytes.max(c.resp_unacked_bytes)
                ),
            ));
        }
        f.wireshark_filter = format!(
            "{}.addr=={ip} && tcp.port=={port} && tcp.analysis.retransmission && tcp.len>={}",
            ipf(ip),
            tun.BLACKHOLE_MIN_LEN
        );
        f.remediation = vec![
            "Allow ICMP type 3 code 4 (ICMPv6 packet too big) through firewalls on the path.".into(),
            "Clamp the TCP MSS on the router in front of the small-MTU link (iptables -t mangle ... TCPMSS --clamp-mss-to-pmtu), or lower the interface MTU.".into(),
            "Find the link MTU with ping -M do -s 1472 ... and smaller sizes.".into(),
        ];
        f.group = Some(svc_group(Proto::Tcp, ip, port));
        f.from_absence = true;
        f.weight = 70;
        out.push(f);
    }
    out
}
