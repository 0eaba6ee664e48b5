//! `tcp_peers_unreachable`: one client that tries many different servers and fails to reach
//! most of them (no answer, or a reset): a peer-to-peer client with a stale peer list, a
//! misconfigured service discovery handing out dead addresses, a worm. The useful statement
//! is about the client, not one `tcp_syn_unanswered` per dead peer: the link stage makes the
//! per-peer findings its consequences.
//!
//! Scan probes (see `port_scan`) are not counted. Parameters: [`MIN_PEERS`],
//! [`MIN_FAILED`], [`MIN_FAILED_SHARE`].

use std::collections::BTreeSet;

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.peers";

/// `tcp_peers_unreachable`: a client failing to reach most of the many peers it tries.
pub const TCP_PEERS_UNREACHABLE: Cause = Cause::new("tcp_peers_unreachable");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TCP_PEERS_UNREACHABLE];

tunables! {
    /// Distinct server addresses a client must try (10: fewer is an ordinary client talking to
    /// a few services, each of which its own detectors judge).
    #[unit = Count]
    pub const MIN_PEERS: usize = 10;
    /// Peers it must fail to reach (8).
    #[unit = Count]
    pub const MIN_FAILED: usize = 8;
    /// Share of the peers it fails to reach (one half: a browser that reaches most of its
    /// servers is not this).
    #[unit = Fraction]
    pub const MIN_FAILED_SHARE: f64 = 0.5;
}

/// How one client fared with one peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Some connection was established.
    Reached,
    /// Connections were refused with a reset (and none established).
    Refused,
    /// No answer at all.
    Silent,
}

/// Runs the detector: one finding per client that fails to reach most of many peers.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut by_client: BTreeMap<IpAddr, BTreeMap<IpAddr, (Outcome, Vec<&Conn>)>> =
        BTreeMap::new();
    for f in ctx.an.flows.iter().filter(|f| {
        f.proto == Proto::Tcp && f.fold.is_none() && ctx.not_only_scans(f)
    }) {
        let outcome = match f.conn_state {
            _ if handshake_ok(f) => Outcome::Reached,
            ConnState::Rej => Outcome::Refused,
            ConnState::S0 if f.resp_pkts == 0 => Outcome::Silent,
            _ => continue,
        };
        let e = by_client
            .entry(f.orig_ip)
            .or_default()
            .entry(f.resp_ip)
            .or_insert((outcome, Vec::new()));
        e.0 = e.0.min(outcome);
        e.1.push(f);
    }
    let tun = Tunables::of(ctx);
    by_client
        .into_iter()
        .filter_map(|(client, peers)| judge(ctx, &tun, client, &peers))
        .collect()
}

/// The finding for one client, when it fails to reach most of many peers.
fn judge(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    client: IpAddr,
    peers: &BTreeMap<IpAddr, (Outcome, Vec<&Conn>)>,
) -> Option<Finding> {
    let n = |o: Outcome| peers.values().filter(|(x, _)| *x == o).count();
    let (reached, refused, silent) = (n(Outcome::Reached), n(Outcome::Refused), n(Outcome::Silent));
    let failed = refused + silent;
    if peers.len() < tun.MIN_PEERS
        || failed < tun.MIN_FAILED
        || (failed as f64) < tun.MIN_FAILED_SHARE * peers.len() as f64
    {
        return None;
    }
    let flows: Vec<&Conn> = peers.values().flat_map(|(_, v)| v.iter().copied()).collect();
    let ports: BTreeSet<u16> = flows.iter().map(|f| f.resp_port).collect();
    let port_list: Vec<String> = ports.iter().take(5).map(|p| p.to_string()).collect();
    let (first, last) = span(flows.iter().copied());
    let mut f = finding(TCP_PEERS_UNREACHABLE, Layer::Transport, Severity::High, 0.85)
        .titled(
            format!(
                "{client} cannot reach {failed} of the {} peers it tries (TCP port {}): \
                 {silent} silent, {refused} refuse",
                peers.len(),
                port_list.join(", ")
            ),
            format!(
                "{client} opened connections to {} different addresses; {reached} answered, \
                 {silent} never answered (absent hosts, or a filter on the path: the capture \
                 cannot tell which) and {refused} refused (nothing listening). One client \
                 failing against many peers points at the client's list of peers: a stale \
                 peer list, a service discovery handing out dead addresses, or a \
                 peer-to-peer or scanning program, rather than at each server.",
                peers.len()
            ),
        )
        .between(first, last);
    f.server = server(client, None);
    f.clients = vec![client.to_string()];
    f.affected_flows = flows.len() as u64;
    for (peer, (o, v)) in peers.iter().filter(|(_, (o, _))| *o != Outcome::Reached).take(6) {
        let c = v[0];
        let what = match o {
            Outcome::Refused => "refused (RST)",
            _ => "no answer",
        };
        f.evidence.push(ctx.ev(
            c.capture,
            c.first_frame,
            c.first_ts_ns,
            format!("SYN to {}: {what}", ep(*peer, c.resp_port)),
        ));
    }
    f.wireshark_filter = format!(
        "{}.src == {client} && tcp.flags.syn == 1 && tcp.flags.ack == 0",
        ipf(client)
    );
    f.remediation = vec![
        format!("Find the program on {client} that connects to these peers, and where it gets their addresses."),
        "If the peers should be reachable, check the route and filters toward them from the client's gateway.".into(),
    ];
    f.group = Some(format!("peers {client}"));
    f.facts.host = Some(client);
    f.weight = 60;
    Some(f)
}
