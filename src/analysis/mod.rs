//! The analysis: what the pass over the captures produced ([`Analysis`]), read by the
//! detectors. The pass itself is [`pass`]: captures in, flows, events and counters out.
//!
//! Each capture is read in chunks (bounded memory); the frames of a chunk are decoded in
//! parallel with rayon; packets are partitioned into shards by their direction-free flow key
//! so every flow is processed in frame order by one worker; several captures are merged in
//! timestamp order (ties: capture order, then frame number). Everything that comes out is
//! sorted canonically, so the result is the same whatever the thread count.

pub(crate) mod pass;

use crate::capture::CaptureMeta;
use crate::event::{ArpEvent, DnsEvent, HttpEvent, IcmpEvent, TlsSession};
use crate::flow::{Conn, Proto};

/// Runs the pass over `inputs` (`pass::analyze`) and keeps the detectors' tunables of
/// `cfg` with what it produced, for the detectors that run on it later.
pub fn analyze(
    inputs: &[crate::capture::Input<'_>],
    cfg: &crate::config::Config,
) -> crate::error::Result<Analysis> {
    let mut an = pass::analyze(inputs, cfg)?;
    an.tunables = cfg.tunables.clone();
    Ok(an)
}

/// Per-capture counters and facts.
#[derive(Debug, Clone, Default)]
pub struct CaptureStats {
    pub meta: CaptureMeta,
    pub decoded_packets: u64,
    pub truncated_packets: u64,
    pub undecoded_packets: u64,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// The first few truncated frames (evidence for `capture_truncated`).
    pub truncated_sample: Vec<u64>,
}

/// Protocol counters over all captures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub arp: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmp: u64,
    pub other_ip: u64,
    pub other_link: u64,
    pub ip_fragments: u64,
    pub ipv4_with_options: u64,
    pub vlan_tagged: u64,
    pub events_dropped: u64,
    pub flows_evicted: u64,
    /// Finished flows folded into group records beyond `Config::max_records`, and the
    /// records they were folded into.
    pub flows_folded: u64,
    pub fold_groups: u64,
    /// Of the folded flows, those folded per source or per outcome (`Analysis::scattered`).
    pub flows_scattered: u64,
    /// IP fragment reassembly (`decode::frag`).
    pub defrag: crate::decode::frag::DefragStats,
    /// HTTP heads httparse refused that were read leniently, and HTTP streams abandoned as
    /// unreadable.
    pub http_lenient: u64,
    pub http_unreadable: u64,
}

/// Everything the detectors work from.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Per-capture counters and facts, in the order given.
    pub captures: Vec<CaptureStats>,
    /// Finished flows, sorted by first packet time, capture, frame. Beyond
    /// `Config::max_records`, one record may stand for many (see the `flow::fold` module).
    pub flows: Vec<Conn>,
    /// Folded flows that went to too many servers to fold per server: one record per source
    /// (or per outcome), with the targets counted. Only the counts and `port_scan` read them.
    pub scattered: Vec<Conn>,
    /// ARP packets, in time order.
    pub arp: Vec<ArpEvent>,
    /// ICMP and ICMPv6 error messages, in time order.
    pub icmp_errors: Vec<IcmpEvent>,
    /// IPv6 Neighbor Discovery solicitations and advertisements, in time order.
    pub ndp: Vec<crate::event::NdpEvent>,
    /// DNS messages in time order (capture, frame for ties).
    pub dns: Vec<DnsEvent>,
    /// HTTP/1.x requests with their responses, in request time order.
    pub http: Vec<HttpEvent>,
    /// TLS handshakes, in time order.
    pub tls: Vec<TlsSession>,
    /// Trust anchors certificate chains are judged against.
    pub trust: crate::cert::TrustStore,
    /// Protocol counters over all captures.
    pub counters: Counters,
    /// Most flows alive at once (summed over shards at their peaks: an upper bound).
    pub peak_flows: usize,
    /// Threads the analysis ran on; the detectors use as many (1: sequentially).
    pub threads: usize,
    /// The detectors' tunables overridden for this analysis (`Config::tunables`, checked
    /// before the pass began).
    pub(crate) tunables: std::collections::BTreeMap<String, crate::config::TunableValue>,
    /// `dns` paired into transactions, made the first time they are asked for
    /// ([`Analysis::dns_pairs`]): several detectors and the report read them.
    dns_pairs: std::sync::OnceLock<DnsPairs>,
}

/// The DNS messages of an analysis paired into transactions (see [`Analysis::dns_pairs`]).
#[derive(Debug, Clone, Default)]
pub struct DnsPairs {
    /// Each query (index into `Analysis::dns`) with its response, if one was seen, in query
    /// order.
    pub txns: Vec<(usize, Option<usize>)>,
    /// Responses whose query was not seen (the capture started after it), in time order.
    pub orphans: Vec<usize>,
    /// Queries answered (of `txns`).
    pub answered: usize,
    /// The longest wait for an answer, in ns.
    pub slowest_ns: Option<i64>,
    /// Answers with NXDOMAIN.
    pub nxdomain: usize,
    /// Answers with another error code.
    pub errors: usize,
}

impl Analysis {
    /// Number of flows, folded ones included.
    pub fn flow_count(&self) -> usize {
        self.flow_counts()[0]
    }

    /// Number of flows of a protocol, folded ones included.
    pub fn flows_of(&self, proto: Proto) -> usize {
        self.flow_counts()[match proto {
            Proto::Tcp => 1,
            Proto::Udp => 2,
            Proto::Icmp => 3,
        }]
    }

    /// The DNS messages paired: a response answers the earliest unanswered query with the
    /// same client address and port, server address and port, id, name and type (made once,
    /// then shared). Messages to a port that is not DNS's are neither queries nor answers.
    pub fn dns_pairs(&self) -> &DnsPairs {
        self.dns_pairs.get_or_init(|| pair_dns(&self.dns))
    }

    /// Number of flows, folded ones included: all of them, then TCP, UDP and ICMP ones, in
    /// one pass over the records (those of a busy capture are far larger than the cache).
    pub fn flow_counts(&self) -> [usize; 4] {
        self.flow_counts_with(|_| {})
    }

    /// [`Analysis::flow_counts`], handing each record of [`Analysis::flows`] to `also` on
    /// the way (another count made in the same pass).
    pub(crate) fn flow_counts_with(&self, mut also: impl FnMut(&Conn)) -> [usize; 4] {
        let mut n = [0usize; 4];
        let mut count = |f: &Conn| {
            let w = f.weight() as usize;
            n[0] += w;
            match f.proto {
                Proto::Tcp => n[1] += w,
                Proto::Udp => n[2] += w,
                Proto::Icmp => n[3] += w,
            }
        };
        for f in &self.flows {
            count(f);
            also(f);
        }
        self.scattered.iter().for_each(count);
        n
    }

}


/// Pairs DNS queries with their responses (see [`Analysis::dns_pairs`]).
fn pair_dns(dns: &[DnsEvent]) -> DnsPairs {
    use std::collections::hash_map::Entry;
    use std::net::IpAddr;
    /// client, client port, server, server port, id, name, type.
    type Key<'a> = (IpAddr, u16, IpAddr, u16, u16, &'a str, u16);
    const NONE: usize = usize::MAX;
    // Queries with one key, oldest first, as a list threaded through `next`: the map holds
    // its first unanswered query and its last query.
    let mut open: rustc_hash::FxHashMap<Key<'_>, (usize, usize)> = Default::default();
    let mut next: Vec<usize> = Vec::new();
    let mut out = DnsPairs::default();
    for (i, e) in dns.iter().enumerate() {
        let m = &e.msg;
        if !m.is_response {
            if !crate::event::is_dns_port(e.dst_port) {
                continue; // not a query to a DNS server (garbage or an odd reply)
            }
            let t = out.txns.len();
            out.txns.push((i, None));
            next.push(NONE);
            // One hashing of the key per message (through the entry), not one per lookup.
            let k = (e.src, e.src_port, e.dst, e.dst_port, m.id, m.qname.as_str(), m.qtype);
            match open.entry(k) {
                Entry::Occupied(mut o) => {
                    let (_, last) = o.get_mut();
                    next[*last] = t;
                    *last = t;
                }
                Entry::Vacant(v) => {
                    v.insert((t, t));
                }
            }
        } else {
            let k = (e.dst, e.dst_port, e.src, e.src_port, m.id, m.qname.as_str(), m.qtype);
            match open.entry(k) {
                Entry::Occupied(mut o) => {
                    let t = o.get().0;
                    out.txns[t].1 = Some(i);
                    // Counted now, both messages at hand (a pass over the pairs afterwards
                    // reached into the events again: 5 ms on a busy capture).
                    out.answered += 1;
                    let wait = e.ts_ns.saturating_sub(dns[out.txns[t].0].ts_ns);
                    out.slowest_ns = Some(out.slowest_ns.map_or(wait, |s| s.max(wait)));
                    match m.rcode {
                        crate::decode::dns::rcode::NOERROR => {}
                        crate::decode::dns::rcode::NXDOMAIN => out.nxdomain += 1,
                        _ => out.errors += 1,
                    }
                    if next[t] == NONE {
                        o.remove();
                    } else {
                        o.get_mut().0 = next[t];
                    }
                }
                Entry::Vacant(_) => out.orphans.push(i),
            }
        }
    }
    out
}
