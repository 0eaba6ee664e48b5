//! What detectors see: the [`Ctx`], the analysis plus the facts several detectors need,
//! computed once before they run (who talked, indexes over the flows, which flow each ICMP
//! error answers, names for the servers).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::tuning::Overrides;
use super::{dns, ep, handshake_ok, port_scan, Evidence};
use crate::analysis::Analysis;
use crate::decode::{icmp, icmpv6, ip_proto};
use crate::event::IcmpEvent;
use crate::flow::{Conn, Proto};
use crate::units::rfc3339;

/// What detectors see: the analysis plus facts several of them need.
pub struct Ctx<'a> {
    pub an: &'a Analysis,
    /// Capture names, used in evidence when several captures were analysed together.
    capture_names: Vec<String>,
    /// Sources recognised as scanners: their probes belong to `port_scan` only.
    pub scanners: BTreeSet<IpAddr>,
    /// Addresses that sent at least one packet (IP or ARP) in the capture.
    pub talkers: BTreeSet<IpAddr>,
    /// Flows answered by an ICMP error (index into `an.flows`).
    pub icmp_answered: BTreeSet<usize>,
    /// For each of `an.icmp_errors`, the flow it quotes.
    pub quoted_flow: Vec<Option<usize>>,
    /// Names learned from DNS answers, by address.
    pub names: BTreeMap<IpAddr, String>,
    /// Names that DNS resolved to an address at least once.
    pub resolved: dns::Resolved<'a>,
    /// Indexes over the flows, so detectors never rescan them per group.
    handshake_count: rustc_hash::FxHashMap<(IpAddr, u16), usize>,
    /// Ports on which each address answered (any protocol).
    pub answered_ports: rustc_hash::FxHashMap<IpAddr, BTreeSet<u16>>,
    /// Services that answered at least once.
    pub answered_services: rustc_hash::FxHashSet<(Proto, IpAddr, u16)>,
    /// TTLs of each host's packets in flows without resets (a reset with another TTL was
    /// probably forged by a middlebox).
    host_ttls: Vec<(IpAddr, u8)>,
    /// (originator, start, responder) of the non-DNS, non-ICMP connections, sorted: one flat
    /// list, not a list per address (a flood has an address per flow).
    conn_starts: Vec<(IpAddr, i64, IpAddr)>,
    /// Services (protocol, address, port) named by ICMP errors whose flow was folded away
    /// (see [`crate::flow::fold`]): their folded attempts may have been answered by ICMP.
    pub icmp_services: rustc_hash::FxHashSet<(Proto, IpAddr, u16)>,
    /// For sources of folded flows: (first start, last start, responder) of each group they
    /// opened flows in; a connection within such a span cannot be ruled out.
    pub folded_spans: rustc_hash::FxHashMap<IpAddr, Vec<(i64, i64, IpAddr)>>,
    /// Flows told to use smaller packets (ICMP fragmentation needed / packet too big): their
    /// re-sent segments are path-MTU discovery at work, not loss.
    pub pmtu_flows: BTreeSet<usize>,
    /// The flows of each TCP/UDP 5-tuple (indexes into `an.flows`, in time order), built
    /// the first time a detector asks ([`Ctx::flows_of`]).
    by_tuple: std::sync::OnceLock<TupleIndex>,
    /// The tunables this analysis overrides (`Tunables::of` in each detector reads them).
    pub tunables: Overrides,
}

/// Indexes over the flows, built in one pass.
#[derive(Default)]
struct FlowIndexes {
    handshake_count: rustc_hash::FxHashMap<(IpAddr, u16), usize>,
    answered_ports: rustc_hash::FxHashMap<IpAddr, BTreeSet<u16>>,
    answered_services: rustc_hash::FxHashSet<(Proto, IpAddr, u16)>,
    host_ttls: Vec<(IpAddr, u8)>,
    conn_starts: Vec<(IpAddr, i64, IpAddr)>,
    /// The addresses that sent packets in a flow (see [`talkers`] for the rest).
    talkers: rustc_hash::FxHashSet<IpAddr>,
    folded_spans: rustc_hash::FxHashMap<IpAddr, Vec<(i64, i64, IpAddr)>>,
}

/// What the ICMP errors say about the flows.
#[derive(Default)]
struct IcmpMatches {
    quoted_flow: Vec<Option<usize>>,
    icmp_answered: BTreeSet<usize>,
    pmtu_flows: BTreeSet<usize>,
    icmp_services: rustc_hash::FxHashSet<(Proto, IpAddr, u16)>,
}

impl<'a> Ctx<'a> {
    /// Computes the shared facts of `an`, step by step.
    pub fn new(an: &'a Analysis) -> Ctx<'a> {
        let capture_names = if an.captures.len() > 1 {
            an.captures.iter().map(|c| c.meta.name.clone()).collect()
        } else {
            Vec::new()
        };
        // Checked before the analysis began (`Config::check_tunables`); were one wrong
        // anyway, the others still apply.
        let tunables = Overrides::resolve(&an.tunables).unwrap_or_else(|e| {
            debug_assert!(false, "unchecked tunables: {e}");
            Overrides::lenient(&an.tunables)
        });
        let by_tuple = std::sync::OnceLock::new();
        // The indexes over the flows and the names from DNS, TLS and HTTP are independent:
        // built side by side unless the analysis was asked for one thread (on a busy capture
        // each half is about a tenth of detection).
        let flow_side = || {
            let mut idx = flow_indexes(an);
            let icmp = match_icmp(an, &by_tuple);
            // The scanners are found here, before any detector runs, rather than by the
            // `tcp.port_scan` detector alone: every other detector leaves a scanner's probes
            // out of its counts (see `weight`), so they must be known first. Finding them
            // takes the port-scan detector's own rules, so it stays with `port_scan`.
            let scanners = port_scan::scanners(an, &tunables);
            let talkers = talkers(an, std::mem::take(&mut idx.talkers));
            let folded_spans = std::mem::take(&mut idx.folded_spans);
            (idx, icmp, scanners, talkers, folded_spans)
        };
        let ((idx, icmp, scanners, talkers, folded_spans), (names, resolved)) = if an.threads <= 1 {
            (flow_side(), server_names(an))
        } else {
            rayon::join(flow_side, || server_names(an))
        };
        Ctx {
            an,
            capture_names,
            scanners,
            talkers,
            icmp_answered: icmp.icmp_answered,
            quoted_flow: icmp.quoted_flow,
            pmtu_flows: icmp.pmtu_flows,
            icmp_services: icmp.icmp_services,
            folded_spans,
            names,
            resolved,
            handshake_count: idx.handshake_count,
            answered_ports: idx.answered_ports,
            answered_services: idx.answered_services,
            host_ttls: idx.host_ttls,
            conn_starts: idx.conn_starts,
            by_tuple,
            tunables,
        }
    }

    /// The flows (indexes into `an.flows`, in time order) of the TCP or UDP connection
    /// between `a` and `b`, either direction.
    pub fn flows_of(&self, proto: Proto, a: (IpAddr, u16), b: (IpAddr, u16)) -> &[usize] {
        tuple_index(self.an, &self.by_tuple)
            .get(&tuple_key(proto, a, b))
            .map_or(&[], Vec::as_slice)
    }

    /// The time of the first packet of the capture (of the earliest, when several were
    /// analysed together), in ns since the epoch; 0 for an empty capture.
    pub fn capture_start(&self) -> i64 {
        let an = self.an;
        an.captures
            .iter()
            .filter_map(|c| c.first_ts_ns)
            .min()
            .unwrap_or(0)
    }

    /// The time of the last packet of the capture (of the latest, when several were analysed
    /// together), in ns since the epoch; 0 for an empty capture.
    pub fn capture_end(&self) -> i64 {
        let an = self.an;
        an.captures
            .iter()
            .filter_map(|c| c.last_ts_ns)
            .max()
            .unwrap_or(0)
    }

    /// The ICMP errors at indexes `idx` of `an.icmp_errors`, and the flows they quote (those
    /// that quote a flow of the capture).
    pub fn icmp_and_quoted(&self, idx: &[usize]) -> (Vec<&'a IcmpEvent>, Vec<&'a Conn>) {
        let an: &'a Analysis = self.an;
        let errs = idx.iter().map(|&i| &an.icmp_errors[i]).collect();
        let flows = idx
            .iter()
            .filter_map(|&i| self.quoted_flow[i])
            .map(|i| &an.flows[i])
            .collect();
        (errs, flows)
    }

    /// TTLs of `ip`'s packets in flows without resets.
    pub fn host_ttls(&self, ip: IpAddr) -> BTreeSet<u8> {
        let from = self.host_ttls.partition_point(|e| e.0 < ip);
        self.host_ttls[from..]
            .iter()
            .take_while(|e| e.0 == ip)
            .map(|e| e.1)
            .collect()
    }

    /// (start, responder) of the connections `ip` opened, in time order.
    pub fn conn_starts(&self, ip: IpAddr) -> &[(IpAddr, i64, IpAddr)] {
        let from = self.conn_starts.partition_point(|e| e.0 < ip);
        let to = self.conn_starts.partition_point(|e| e.0 <= ip);
        &self.conn_starts[from..to]
    }

    /// Flows `f` stands for (1, or its folded flows), those opened by scanners left out.
    pub fn weight(&self, f: &Conn) -> u64 {
        match &f.fold {
            None => u64::from(!self.scanners.contains(&f.orig_ip)),
            Some(x) => {
                let scans: u64 = x
                    .sources
                    .iter()
                    .filter(|(ip, _)| self.scanners.contains(ip))
                    .map(|(_, s)| s.flows)
                    .sum();
                x.flows.saturating_sub(scans)
            }
        }
    }

    /// Whether any flow `f` stands for was opened by a non-scanner.
    pub fn not_only_scans(&self, f: &Conn) -> bool {
        self.weight(f) > 0
    }

    /// TCP connections to `ip:port` that completed their handshake.
    pub fn handshakes(&self, ip: IpAddr, port: u16) -> usize {
        self.handshake_count.get(&(ip, port)).copied().unwrap_or(0)
    }

    /// `name (ip:port)` when a DNS answer named the address, else `ip:port`.
    pub fn label(&self, ip: IpAddr, port: u16) -> String {
        match self.names.get(&ip) {
            Some(n) => format!("{n} ({})", ep(ip, port)),
            None => ep(ip, port),
        }
    }

    /// Evidence for `frame` of capture `capture`.
    pub fn ev(&self, capture: u16, frame: u64, ts_ns: i64, note: impl Into<String>) -> Evidence {
        Evidence {
            frame,
            ts: rfc3339(ts_ns),
            note: note.into(),
            capture: self.capture_names.get(capture as usize).cloned(),
        }
    }
}

/// The addresses that sent a packet: `in_flows`, those of the flows (gathered with the other
/// indexes, [`flow_indexes`]), and those of scattered flows, ARP and ICMP errors.
fn talkers(an: &Analysis, in_flows: rustc_hash::FxHashSet<IpAddr>) -> BTreeSet<IpAddr> {
    // Few different ones: gathered by hashing, then ordered once.
    let mut talkers = in_flows;
    for f in &an.scattered {
        talkers.extend(f.sources().map(|(ip, _)| ip));
    }
    for a in &an.arp {
        talkers.insert(IpAddr::V4(a.sender_ip));
    }
    for e in &an.icmp_errors {
        talkers.insert(e.src);
    }
    talkers.into_iter().collect()
}

/// Whether a flow is a connection to a service: not ICMP, not DNS.
fn is_service_conn(f: &Conn) -> bool {
    f.proto != Proto::Icmp && !crate::event::is_dns_port(f.resp_port)
}

/// The indexes over the flows, in one pass (a busy capture's flows are far larger than the
/// cache: each pass over them took 3-4 ms): completed handshakes per service, answered ports
/// and services, TTLs per host, connection starts per originator (the last two sorted), the
/// addresses that sent packets, and, for each source of folded service connections, (first
/// start, last start, responder) of each group it opened flows in.
fn flow_indexes(an: &Analysis) -> FlowIndexes {
    let mut x = FlowIndexes::default();
    // (host, TTL) pairs, collected once each: two per flow on a busy capture, a few hundred
    // different ones.
    let mut ttls: rustc_hash::FxHashSet<(IpAddr, u8)> = Default::default();
    for f in &an.flows {
        if f.proto == Proto::Tcp && handshake_ok(f) {
            *x.handshake_count.entry((f.resp_ip, f.resp_port)).or_default() +=
                f.weight() as usize;
        }
        if f.resp_pkts > 0 {
            x.answered_ports
                .entry(f.resp_ip)
                .or_default()
                .insert(f.resp_port);
            x.answered_services.insert((f.proto, f.resp_ip, f.resp_port));
        }
        if f.rst_frame.is_none() {
            if let Some(t) = f.orig_ttl {
                ttls.insert((f.orig_ip, t));
            }
            if let Some(t) = f.resp_ttl {
                ttls.insert((f.resp_ip, t));
            }
        }
        let service = is_service_conn(f);
        if service {
            x.conn_starts.push((f.orig_ip, f.first_ts_ns, f.resp_ip));
        }
        if f.orig_pkts > 0 {
            x.talkers.insert(f.orig_ip);
        }
        if f.resp_pkts > 0 {
            x.talkers.insert(f.resp_ip);
        }
        if let Some(fold) = &f.fold {
            x.talkers.extend(fold.sources.keys().copied());
            if service {
                for (ip, s) in &fold.sources {
                    x.folded_spans
                        .entry(*ip)
                        .or_default()
                        .push((s.first_ts_ns, s.last_ts_ns, f.resp_ip));
                }
            }
        }
    }
    x.host_ttls = ttls.into_iter().collect();
    x.host_ttls.sort_unstable();
    // In the order of the tuples, compared as integers (a hundred thousand on a busy capture:
    // comparing addresses as enums took most of the sort).
    x.conn_starts
        .sort_unstable_by_key(|&(o, t, r)| (ip_order(o), t, ip_order(r)));
    x
}

/// A key that orders addresses as `IpAddr` does (IPv4 first, then by bytes).
fn ip_order(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u32::from(v4) as u128),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

/// Whether an ICMP error tells the sender to use smaller packets (IPv4 fragmentation needed,
/// ICMPv6 packet too big): path-MTU discovery, not a failure.
pub fn is_packet_too_big(e: &IcmpEvent) -> bool {
    if e.icmp.v6 {
        e.icmp.icmp_type == icmpv6::PACKET_TOO_BIG
    } else {
        e.icmp.icmp_type == icmp::DEST_UNREACHABLE && e.icmp.code == icmp::FRAG_NEEDED
    }
}

/// Matches the ICMP errors to the flows they quote: flows answered by an error, flows told to
/// use smaller packets, and the services named by errors whose flow was folded away.
fn match_icmp(an: &Analysis, by_tuple: &std::sync::OnceLock<TupleIndex>) -> IcmpMatches {
    let mut m = IcmpMatches {
        quoted_flow: quoted_flows(an, by_tuple),
        ..Default::default()
    };
    for (e, q) in an.icmp_errors.iter().zip(&m.quoted_flow) {
        let Some(i) = *q else { continue };
        if is_packet_too_big(e) {
            m.pmtu_flows.insert(i);
        } else {
            m.icmp_answered.insert(i);
        }
    }
    if an.flows.iter().any(|f| f.fold.is_some()) {
        for (e, q) in an.icmp_errors.iter().zip(&m.quoted_flow) {
            match (q, e.icmp.quoted) {
                (None, Some(qh)) if qh.proto == ip_proto::TCP || qh.proto == ip_proto::UDP => {
                    let p = if qh.proto == ip_proto::TCP {
                        Proto::Tcp
                    } else {
                        Proto::Udp
                    };
                    m.icmp_services.insert((p, qh.dst, qh.dst_port));
                }
                _ => {}
            }
        }
    }
    m
}

/// Names for servers: DNS answers first; a TLS SNI or an HTTP Host header names what DNS did
/// not (addresses written as names are not names). With them, the names DNS resolved.
fn server_names(an: &Analysis) -> (BTreeMap<IpAddr, String>, dns::Resolved<'_>) {
    use std::collections::btree_map::Entry;
    let (mut n, resolved) = dns::names(an);
    // A server named already keeps its name: the name offered is only read (and parsed, to
    // tell an address from a name) for a server still without one. Sessions and requests to
    // one server are many, its names few.
    for s in &an.tls {
        if let Entry::Vacant(slot) = n.entry(s.server) {
            if let Some(sni) = s.offer.as_ref().and_then(|o| o.sni.as_ref()) {
                if !sni.is_empty() && sni.parse::<IpAddr>().is_err() {
                    slot.insert(sni.clone());
                }
            }
        }
    }
    for e in &an.http {
        if let Entry::Vacant(slot) = n.entry(e.server) {
            if let Some(h) = e.host.as_deref() {
                let h = h.split(':').next().unwrap_or(h);
                if !h.is_empty() && h.parse::<IpAddr>().is_err() && !h.starts_with('[') {
                    slot.insert(h.to_string());
                }
            }
        }
    }
    (n, resolved)
}

/// Flows by 5-tuple (see [`Ctx::flows_of`]).
type TupleIndex = rustc_hash::FxHashMap<crate::flow::FlowKey, Vec<usize>>;

/// The direction-free key of a TCP/UDP connection.
fn tuple_key(proto: Proto, a: (IpAddr, u16), b: (IpAddr, u16)) -> crate::flow::FlowKey {
    use crate::flow::Addr;
    crate::flow::FlowKey::new(proto, Addr { ip: a.0, port: a.1 }, Addr { ip: b.0, port: b.1 })
}

/// The flow index of `an`, built on first use.
fn tuple_index<'i>(an: &Analysis, cell: &'i std::sync::OnceLock<TupleIndex>) -> &'i TupleIndex {
    cell.get_or_init(|| {
        let mut index = TupleIndex::default();
        for (i, f) in an.flows.iter().enumerate() {
            if matches!(f.proto, Proto::Tcp | Proto::Udp) {
                let k = tuple_key(f.proto, (f.orig_ip, f.orig_port), (f.resp_ip, f.resp_port));
                index.entry(k).or_default().push(i);
            }
        }
        index
    })
}

/// For each ICMP error of `an.icmp_errors`, the flow it quotes (index into `an.flows`): the
/// last flow with that 5-tuple that started before the error.
fn quoted_flows(an: &Analysis, by_tuple: &std::sync::OnceLock<TupleIndex>) -> Vec<Option<usize>> {
    if an.icmp_errors.is_empty() {
        return Vec::new();
    }
    let index = tuple_index(an, by_tuple);
    an.icmp_errors
        .iter()
        .map(|e| {
            let q = e.icmp.quoted?;
            let proto = match q.proto {
                ip_proto::TCP => Proto::Tcp,
                ip_proto::UDP => Proto::Udp,
                _ => return None,
            };
            index
                .get(&tuple_key(proto, (q.src, q.src_port), (q.dst, q.dst_port)))?
                .iter()
                .copied()
                .rfind(|&i| an.flows[i].first_ts_ns <= e.ts_ns)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keyed_as_integers_keep_their_order() {
        let ips: Vec<IpAddr> = [
            "0.0.0.0", "10.0.0.2", "10.0.0.10", "9.255.255.255", "255.255.255.255", "::",
            "::1", "::ffff:10.0.0.1", "fe80::1", "2001:db8::1", "ffff::",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for a in &ips {
            for b in &ips {
                assert_eq!(a.cmp(b), ip_order(*a).cmp(&ip_order(*b)), "{a} vs {b}");
            }
        }
    }
}
