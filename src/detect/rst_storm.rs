//! `rst_storm`: many connections ended by resets from one host (or toward one service) in a
//! short window. Zeek only counts resets inside one connection; this counts across
//! connections and says who sent them.
//!
//! Ordinary client closes (a client resetting after it got its response) are normal life and
//! not counted; neither are scan probes, nor refused attempts (a SYN answered by RST: a closed
//! port, `tcp_rejected_rst`; a storm may explain refusals that follow it, see
//! [`crate::explain`]). Parameters: [`WINDOW_NS`], [`MIN_CONNS`],
//! [`MIN_PEERS`].

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.rst_storm";

/// `rst_storm`: many connections reset within a short window.
pub const RST_STORM: Cause = Cause::new("rst_storm");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[RST_STORM];

tunables! {
    /// Sliding window in which reset connections are counted.
    #[unit = Ns]
    pub const WINDOW_NS: i64 = 10_000_000_000;
    /// Reset connections within one window from which it is a storm.
    #[unit = Count]
    pub const MIN_CONNS: usize = 20;
    /// Distinct peer addresses or ports they involve.
    #[unit = Count]
    pub const MIN_PEERS: usize = 3;
    /// A burst: established connections, each carrying data, reset by one host within this
    /// window (1 s) are one event (a process killed, a service restarted, a firewall flushing
    /// its state) however few they are.
    #[unit = Ns]
    pub const BURST_NS: i64 = 1_000_000_000;
    /// Established connections reset within [`BURST_NS`] from which it is a storm (5: parallel
    /// downloads of one client are often 4 to 8 connections).
    #[unit = Count]
    pub const MIN_BURST_CONNS: u64 = 5;
}

/// The host that sent the reset of a flow, unless it is an ordinary client close.
fn reset_sender(f: &Conn) -> Option<(IpAddr, bool)> {
    let by_orig = f.rst_by? == "orig";
    if by_orig && f.resp_bytes > 0 && f.resp_unacked_bytes == 0 {
        return None; // the client got its answer and closed with a reset
    }
    Some(if by_orig {
        (f.orig_ip, true)
    } else {
        (f.resp_ip, false)
    })
}

/// Reset connections of one sender: the record, how many flows it stands for, when the
/// resets came (count per time), and the peers (address, port; 0 when folded away).
struct Resets<'a> {
    f: &'a Conn,
    n: u64,
    times: Vec<(i64, i64, u64)>,
    peers: Vec<(IpAddr, u16)>,
}

/// The resets of `f`, per sender. A folded record (see [`crate::flow::fold`]) of flows reset
/// by their responder is one sender; reset by their originators, each listed source is one,
/// with its resets placed at its first and last start.
fn resets<'a>(ctx: &Ctx<'_>, f: &'a Conn) -> Vec<(IpAddr, Resets<'a>)> {
    if f.conn_state == ConnState::Rej {
        // A refused attempt (SYN answered by RST) is a closed port: `tcp_rejected_rst`.
        return Vec::new();
    }
    let Some((sender, by_orig)) = reset_sender(f) else {
        return Vec::new();
    };
    let Some(fold) = &f.fold else {
        let peer = if by_orig {
            (f.resp_ip, f.resp_port)
        } else {
            (f.orig_ip, f.orig_port)
        };
        let r = Resets {
            f,
            n: 1,
            times: vec![(f.last_ts_ns, 0, 1)],
            peers: vec![peer],
        };
        return vec![(sender, r)];
    };
    if !by_orig {
        let peers = fold
            .sources
            .keys()
            .filter(|ip| !ctx.scanners.contains(ip))
            .map(|ip| (*ip, 0))
            .collect();
        let r = Resets {
            f,
            n: ctx.weight(f),
            times: f.starts().collect(),
            peers,
        };
        return vec![(sender, r)];
    }
    fold.sources
        .iter()
        .filter(|(ip, _)| !ctx.scanners.contains(ip))
        .map(|(ip, s)| {
            let mut times = vec![(s.first_ts_ns, 0, 1)];
            if s.flows > 1 {
                times.push((s.last_ts_ns, 0, s.flows - 1));
            }
            let r = Resets {
                f,
                n: s.flows,
                times,
                peers: vec![(f.resp_ip, f.resp_port)],
            };
            (*ip, r)
        })
        .collect()
}

/// Runs the detector: gathers the resets per sender, then judges each sender.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    resets_by_sender(ctx)
        .into_iter()
        .filter_map(|(sender, rs)| storm(ctx, &tun, sender, &rs))
        .collect()
}

/// The reset connections of each sender.
fn resets_by_sender<'a>(ctx: &Ctx<'a>) -> BTreeMap<IpAddr, Vec<Resets<'a>>> {
    let an: &'a Analysis = ctx.an;
    let mut by_sender: BTreeMap<IpAddr, Vec<Resets<'_>>> = BTreeMap::new();
    for f in an
        .flows
        .iter()
        .filter(|f| f.proto == Proto::Tcp && ctx.not_only_scans(f))
    {
        for (ip, r) in resets(ctx, f) {
            by_sender.entry(ip).or_default().push(r);
        }
    }
    by_sender
}

/// The finding for one sender's resets, when they make a storm.
fn storm(ctx: &Ctx<'_>, tun: &Tunables, sender: IpAddr, rs: &[Resets<'_>]) -> Option<Finding> {
    let total: u64 = rs.iter().map(|r| r.n).sum();
    let (burst, burst_span) = burst(tun, sender, rs);
    if total < tun.MIN_CONNS as u64 && burst < tun.MIN_BURST_CONNS {
        return None;
    }
    let mut times: Vec<(i64, i64, u64)> =
        rs.iter().flat_map(|r| r.times.iter().copied()).collect();
    let peak = peak_window(&mut times, tun.WINDOW_NS).0 as usize;
    let peers: BTreeSet<(IpAddr, u16)> =
        rs.iter().flat_map(|r| r.peers.iter().copied()).collect();
    if (peak < tun.MIN_CONNS && burst < tun.MIN_BURST_CONNS) || peers.len() < tun.MIN_PEERS {
        return None;
    }
    let flows: Vec<&Conn> = rs.iter().map(|r| r.f).collect();
    let as_server: u64 = rs
        .iter()
        .filter(|r| r.f.resp_ip == sender)
        .map(|r| r.n)
        .sum();
    let ports: BTreeSet<u16> = flows
        .iter()
        .filter(|f| f.resp_ip == sender)
        .map(|f| f.resp_port)
        .collect();
    let clients = ip_list(peers.iter().map(|p| p.0));
    let (first, last) = span(flows.iter().copied());
    let role = if as_server * 2 >= total {
        let pl: Vec<String> = ports.iter().take(5).map(|p| p.to_string()).collect();
        format!("as the server (port {})", pl.join(", "))
    } else {
        "as a client".to_string()
    };
    // Middlebox hint: resets whose TTL differs from every other packet of the sender.
    let rst_ttls: BTreeSet<u8> = flows.iter().filter_map(|f| f.rst_ttl).collect();
    let other_ttls = ctx.host_ttls(sender);
    let middlebox =
        !rst_ttls.is_empty() && !other_ttls.is_empty() && rst_ttls.is_disjoint(&other_ttls);
    let mut f = finding(RST_STORM, Layer::Transport, if peak >= tun.MIN_CONNS.saturating_mul(5) {
            Severity::Critical
        } else {
            Severity::High
        }, 0.9)
        .titled(format!("RST storm: {sender} reset {total} connections"), format!(
            "{sender} ended {} by sending RST {role}, {}, toward {}. \
             Resets from one host across many connections point to a crashing or overloaded \
             service, a connection limit, or a firewall or IPS killing sessions on its behalf.",
            plural(total as usize, "connection"),
            if burst >= tun.MIN_BURST_CONNS {
                format!(
                    "{burst} of them established and carrying data, within {} of each other",
                    secs(burst_span)
                )
            } else {
                format!("up to {peak} within {}", secs(tun.WINDOW_NS))
            },
            plural(clients.len(), "peer")
        ))
        .between(first, last);
    if middlebox {
        f.explanation.push_str(&format!(
            " The resets carry TTL {rst_ttls:?} while {sender}'s other packets carry {other_ttls:?}: \
             they were most likely injected by a firewall or IPS in between, not sent by {sender}."
        ));
    }
    if ports.len() == 1 {
        let port = *ports.iter().next().unwrap_or(&0);
        f.server = server(sender, Some(port));
        f.group = Some(svc_group(Proto::Tcp, sender, port));
    } else {
        f.server = server(sender, None);
        f.group = Some(format!("rst {sender}"));
    }
    f.clients = clients;
    f.affected_flows = total;
    add_evidence(ctx, &mut f, sender, &flows);
    f.wireshark_filter = format!("{}.src=={sender} && tcp.flags.reset==1", ipf(sender));
    f.remediation = vec![
        format!("Check the service logs on {sender} for crashes, restarts or connection limits at {}.", rfc3339(first)),
        "Compare the TTL of the resets with the server's other packets: a different TTL means a firewall or IPS sends them.".into(),
    ];
    f.weight = 75;
    Some(f)
}

/// Resets by `sender` as the server of established connections that carried data: the
/// most within [`BURST_NS`], and from when to when.
fn burst(tun: &Tunables, sender: IpAddr, rs: &[Resets<'_>]) -> (u64, i64) {
    let mut times: Vec<(i64, i64, u64)> = rs
        .iter()
        .filter(|r| {
            r.f.fold.is_none()
                && r.f.resp_ip == sender
                && handshake_ok(r.f)
                && r.f.orig_bytes + r.f.resp_bytes > 0
        })
        .map(|r| (r.f.last_ts_ns, 0, 1))
        .collect();
    let (n, from, to) = peak_window(&mut times, tun.BURST_NS);
    (n, to.saturating_sub(from))
}

/// The first resets, with the connection each ended.
fn add_evidence(ctx: &Ctx<'_>, f: &mut Finding, sender: IpAddr, flows: &[&Conn]) {
    for c in flows.iter().take(6) {
        if let Some(fr) = c.rst_frame {
            f.evidence.push(ctx.ev(
                c.capture,
                fr,
                c.last_ts_ns,
                format!(
                    "RST from {sender} on {} <-> {}",
                    ep(c.orig_ip, c.orig_port),
                    ep(c.resp_ip, c.resp_port)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    #[test]
    fn rst_storm_needs_many_connections_in_the_window() {
        let storm = |n: usize| {
            let flows = (0..n)
                .map(|i| {
                    let mut c = conn(
                        ip(1, (i % 4) as u8),
                        2000 + i as u16,
                        ip(0, 5),
                        8081,
                        ConnState::Rstr,
                        "ShADdr",
                        // 400 ms apart: never a burst (at most 3 within BURST_NS).
                        i as i64 * 400,
                    );
                    c.rst_by = Some("resp");
                    c.orig_bytes = 10;
                    c
                })
                .collect();
            analysis(flows, vec![])
        };
        assert!(causes(&storm(rst_storm::MIN_CONNS)).contains(&RST_STORM.into()));
        assert!(!causes(&storm(rst_storm::MIN_CONNS - 1)).contains(&RST_STORM.into()));
        // 400 ms apart, a 5 s window holds 13 of them: not a storm.
        let narrow = [("tcp.rst_storm.window_ns", 5_000_000_000i64.into())];
        assert!(!causes(&tuned(storm(rst_storm::MIN_CONNS), &narrow)).contains(&RST_STORM.into()));
        let fewer = [("TCP.RST_STORM.MIN_CONNS", 10i64.into())];
        assert!(causes(&tuned(storm(10), &fewer)).contains(&RST_STORM.into()));
    }

    /// `n` established connections with data, reset within a few ms by the server (or by
    /// the client, `by_client`), from one client's ports.
    fn burst_of(n: usize, by_client: bool) -> Analysis {
        let flows = (0..n)
            .map(|i| {
                let mut c = conn(
                    ip(1, 2),
                    49001 + i as u16,
                    ip(0, 5),
                    8080,
                    if by_client { ConnState::Rsto } else { ConnState::Rstr },
                    if by_client { "ShADR" } else { "ShADr" },
                    i as i64,
                );
                c.rst_by = Some(if by_client { "orig" } else { "resp" });
                c.resp_bytes = 12_000;
                c.resp_unacked_bytes = 1_000;
                c.orig_bytes = 100;
                c
            })
            .collect();
        analysis(flows, vec![])
    }

    #[test]
    fn a_server_resetting_a_few_downloads_at_once_is_a_storm() {
        let n = rst_storm::MIN_BURST_CONNS as usize;
        assert!(causes(&burst_of(n, false)).contains(&RST_STORM.into()));
        assert!(!causes(&burst_of(n - 1, false)).contains(&RST_STORM.into()));
        // A client aborting its own downloads is not the server's storm.
        assert!(!causes(&burst_of(n, true)).contains(&RST_STORM.into()));
    }

#[test]
    fn resets_with_a_foreign_ttl_are_blamed_on_a_middlebox() {
        let server = ip(0, 5);
        let mut flows: Vec<Conn> = (0..rst_storm::MIN_CONNS)
            .map(|i| {
                let mut c = conn(
                    ip(1, (i % 4) as u8),
                    2000 + i as u16,
                    server,
                    8081,
                    ConnState::Rstr,
                    "ShADdr",
                    i as i64 * 10,
                );
                c.rst_by = Some("resp");
                c.orig_bytes = 10;
                c.rst_ttl = Some(250);
                c
            })
            .collect();
        flows.push(conn(ip(1, 9), 3000, server, 80, ConnState::Sf, "ShADadFf", 900));
        let f = run_all(&analysis(flows, vec![]));
        let storm = f.iter().find(|f| f.cause == RST_STORM).expect("storm");
        assert!(
            storm.explanation.contains("injected"),
            "{}",
            storm.explanation
        );
    }
}
