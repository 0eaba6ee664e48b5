//! Flows: packets grouped into connections, with Zeek-like `conn_state` and `history`.
//!
//! Takes decoded [`Packet`]s in frame order (per flow) and gives finished [`Conn`] records.
//! A [`FlowKey`] is direction-free, so both directions of a connection land in the same
//! [`FlowTable`] whatever shard handles them. Memory is bounded by the number of concurrent
//! flows: idle flows are finished and summarised by [`FlowTable::expire`].

pub mod expiry;
pub mod fold;
pub mod http;
mod map;
pub mod tcp;
#[cfg(test)]
pub(crate) mod testing;
pub mod tls;

use std::cmp::Reverse;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use rustc_hash::FxHasher;
use serde::Serialize;

pub use crate::config::Timeouts;
use crate::decode::{Network, Packet, Transport};
use crate::event::{DnsEvent, HttpEvent, TlsSession, is_dns_port};
use crate::units::rfc3339;
use expiry::{Deadlines, Slab, Slot};
use map::FlowMap;
use tcp::TcpConn;

/// Transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP and ICMPv6.
    Icmp,
}

impl Proto {
    /// `tcp`, `udp` or `icmp`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
        }
    }
}

/// One end of a flow: address and port (ICMP: type or echo id, see [`flow_tuple`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Addr {
    pub ip: IpAddr,
    pub port: u16,
}

/// Direction-free flow identity: the two ends in sorted order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub proto: Proto,
    pub lo: Addr,
    pub hi: Addr,
}

impl FlowKey {
    /// Builds the key of a packet from `src` to `dst`; symmetric by construction.
    pub fn new(proto: Proto, src: Addr, dst: Addr) -> FlowKey {
        if src <= dst {
            FlowKey {
                proto,
                lo: src,
                hi: dst,
            }
        } else {
            FlowKey {
                proto,
                lo: dst,
                hi: src,
            }
        }
    }

    /// A stable hash used to pick a shard: the same for both directions and every run.
    pub fn shard_hash(&self) -> u64 {
        let mut h = FxHasher::default();
        self.hash(&mut h);
        h.finish()
    }
}

/// A flow key with its hash, computed once per packet: the hash picks the packet's shard and
/// then, with its bits moved (see [`CarriedHash`]), the key's place in the shard's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashedKey {
    /// `key.shard_hash()` (compared first: a cheap way to tell two keys apart).
    pub hash: u64,
    pub key: FlowKey,
}

impl HashedKey {
    pub fn new(key: FlowKey) -> HashedKey {
        HashedKey {
            hash: key.shard_hash(),
            key,
        }
    }
}

impl Hash for HashedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The hasher of a flow table: takes the hash a [`HashedKey`] carries rather than hashing
/// the key again. The shard was chosen by the hash's low bits, the same for every key of one
/// table; rotated, they land in bits the table uses for neither the bucket nor the tag.
#[derive(Default)]
pub struct CarriedHash(u64);

impl Hasher for CarriedHash {
    fn write_u64(&mut self, h: u64) {
        self.0 = h;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `HashedKey`; any other key is hashed as FxHash would.
        let mut h = FxHasher::default();
        h.write_u64(self.0);
        h.write(bytes);
        self.0 = h.finish();
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(32)
    }
}


/// The flow a packet belongs to: key plus the packet's own direction (`src`, `dst`).
/// ICMP echo uses the identifier as both "ports"; other ICMP messages use type and code,
/// with the request/reply pair mapped to the request's type (as Zeek does).
pub fn flow_tuple(p: &Packet) -> Option<(FlowKey, Addr, Addr)> {
    let Network::Ip(ip) = &p.net else {
        return None;
    };
    let (proto, sp, dp) = match &ip.transport {
        Transport::Tcp(t) => (Proto::Tcp, t.src_port, t.dst_port),
        Transport::Udp(u) => (Proto::Udp, u.src_port, u.dst_port),
        Transport::Icmp(i) => {
            if let Some(id) = i.echo_id {
                (Proto::Icmp, id, id)
            } else if i.is_error() {
                // Errors are their own flows between the reporter and the original sender.
                (Proto::Icmp, i.icmp_type as u16, i.code as u16)
            } else {
                let t = counterpart_request(i.v6, i.icmp_type);
                (Proto::Icmp, t as u16, t as u16)
            }
        }
        Transport::Other(_) | Transport::Fragment(_) => return None,
    };
    let src = Addr {
        ip: ip.src,
        port: sp,
    };
    let dst = Addr {
        ip: ip.dst,
        port: dp,
    };
    Some((FlowKey::new(proto, src, dst), src, dst))
}

/// Maps ICMP informational replies to their request type so both land in one flow.
fn counterpart_request(v6: bool, t: u8) -> u8 {
    match (v6, t) {
        (false, 0) => 8,
        (false, 14) => 13,
        (false, 16) => 15,
        (false, 18) => 17,
        (true, 129) => 128,
        (true, 136) => 135,
        (true, 134) => 133,
        _ => t,
    }
}

/// Packet and byte counters of one direction.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DirCounters {
    pub pkts: u64,
    /// Bytes of IP packets, as their headers say.
    pub ip_bytes: u64,
    /// Bytes of the frames on the wire (what Wireshark's Conversations table sums).
    pub wire_bytes: u64,
    /// Transport payload bytes carried (UDP/ICMP: sum of payloads).
    pub payload_bytes: u64,
}

/// A flow being tracked.
#[derive(Debug, Clone)]
pub struct Flow {
    pub key: FlowKey,
    /// The originator is the key's `hi` end, the responder its `lo` (else the other way
    /// round): see [`Flow::orig`].
    orig_is_hi: bool,
    pub capture: u16,
    pub first_frame: u64,
    pub last_frame: u64,
    pub first_ts_ns: i64,
    pub last_ts_ns: i64,
    pub orig_ctr: DirCounters,
    pub resp_ctr: DirCounters,
    pub vlan: Option<u16>,
    /// TCP state, or the history of a UDP/ICMP flow.
    state: FlowState,
    /// Time-to-live / hop limit of the first packet from each side, and of the first RST.
    pub orig_ttl: Option<u8>,
    pub resp_ttl: Option<u8>,
    pub rst_ttl: Option<u8>,
    /// DNS over TCP: the two byte streams, reassembled in order (port 53 only).
    dns_tcp: Option<Box<DnsStreams>>,
    /// HTTP/1.x, recognised by the originator's first bytes on any port.
    http: Option<Box<http::HttpFlow>>,
    /// TLS, recognised the same way.
    tls: Option<Box<tls::TlsFlow>>,
    /// Content recognition done (the first payload from the originator was looked at).
    sniffed: bool,
    /// Time of this flow's entry in the flow table's [`Deadlines`] (none: it has none, as
    /// its idle limit never runs out): at most the time it becomes due, see [`expiry`].
    scheduled: Option<i64>,
    /// Found idle by [`FlowTable::expire`], about to be finished.
    expiring: bool,
}

/// What a flow tracks besides its counters, by protocol.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "the TCP state lives in the slab entry on purpose (see the variant)"
)]
enum FlowState {
    /// TCP state, in the flow's own slab entry: a `Box` per connection went through the
    /// allocator for every TCP flow (with a million flows alive, the allocator growing a
    /// thread's heap was a fifth of the run).
    Tcp(TcpConn),
    /// UDP/ICMP: history letters (d/D per direction), like Zeek's, and the directions seen
    /// (bit 1 the originator's, bit 2 the responder's).
    Datagrams { seen: u8, history: tcp::History },
}

/// Events produced by flows besides their summary.
#[derive(Debug, Default)]
pub struct FlowEvents {
    pub dns: Vec<DnsEvent>,
    pub http: Vec<HttpEvent>,
    pub tls: Vec<TlsSession>,
    /// Distinct certificate chains of `tls`, shared between sessions.
    chains: rustc_hash::FxHashSet<std::sync::Arc<Vec<Vec<u8>>>>,
    /// The TCP connections' rings of recent segment signatures (see [`TcpConn`]).
    rings: tcp::Rings,
    /// HTTP heads read leniently, and HTTP directions abandoned as unreadable.
    pub http_lenient: u64,
    pub http_unreadable: u64,
}

/// In-order delivery for one direction of a TCP stream, used by the application parsers:
/// passes each new segment's payload once, drops retransmissions, and stops for good at a gap
/// (bytes the capture never saw) or a segment the snaplen cut, rather than guessing.
#[derive(Debug, Clone, Copy, Default)]
pub struct InOrder {
    next: Option<u32>,
    /// A gap or a cut segment was met: nothing more is delivered.
    pub broken: bool,
}

impl InOrder {
    /// Sets the next sequence number expected.
    pub fn sync(&mut self, seq: u32) {
        self.next = Some(seq);
    }

    /// The payload of `t` to deliver, if it is the next bytes of the stream.
    pub fn accept<'a>(
        &mut self,
        t: &crate::decode::TcpInfo,
        payload: &'a [u8],
    ) -> Option<&'a [u8]> {
        use crate::decode::tcp_flags;
        if t.has(tcp_flags::SYN) {
            self.next = Some(t.seq.wrapping_add(1));
            return None;
        }
        if payload.is_empty() || t.has(tcp_flags::RST) || self.broken {
            return None;
        }
        let next = *self.next.get_or_insert(t.seq);
        if t.seq != next {
            // Ahead: a gap we will never fill. Behind: a retransmission already delivered.
            self.broken |= tcp::seq_delta(t.seq, next) > 0;
            return None;
        }
        if payload.len() as u32 != t.payload_len {
            self.broken = true;
            return None;
        }
        self.next = Some(next.wrapping_add(t.payload_len));
        Some(payload)
    }
}

/// In-order reassembly of DNS-over-TCP messages (2-byte length prefix, RFC 1035 §4.2.2),
/// bounded to one maximal message per direction.
#[derive(Debug, Default, Clone)]
struct DnsStreams {
    buf: [Vec<u8>; 2],
    order: [InOrder; 2],
}

const DNS_TCP_MAX: usize = 65_537;

/// Ports below this are taken as server ports when deciding who the originator is.
const SERVER_PORT_LIMIT: u16 = 1024;

impl Flow {
    fn new(key: FlowKey, src: Addr, dst: Addr, p: &Packet) -> Flow {
        let mut orig = src;
        let mut resp = dst;
        let mut flipped = false;
        if let Some(t) = p.tcp() {
            // The SYN-ACK's sender is the responder; so is a server port talking to a client.
            let synack =
                t.has(crate::decode::tcp_flags::SYN) && t.has(crate::decode::tcp_flags::ACK);
            let midstream_from_server = !t.has(crate::decode::tcp_flags::SYN)
                && src.port < SERVER_PORT_LIMIT
                && dst.port >= SERVER_PORT_LIMIT;
            flipped = synack || midstream_from_server;
        } else if key.proto == Proto::Udp {
            flipped = src.port < SERVER_PORT_LIMIT && dst.port >= SERVER_PORT_LIMIT;
        }
        if flipped {
            std::mem::swap(&mut orig, &mut resp);
        }
        Flow {
            key,
            orig_is_hi: orig == key.hi,
            capture: p.capture,
            first_frame: p.frame,
            last_frame: p.frame,
            first_ts_ns: p.ts_ns,
            last_ts_ns: p.ts_ns,
            orig_ctr: DirCounters::default(),
            resp_ctr: DirCounters::default(),
            vlan: p.vlan,
            state: if key.proto == Proto::Tcp {
                let mut c = TcpConn::default();
                if flipped {
                    c.history.push(b'^');
                }
                FlowState::Tcp(c)
            } else {
                let mut history = tcp::History::default();
                if flipped {
                    history.push(b'^');
                }
                FlowState::Datagrams { seen: 0, history }
            },
            orig_ttl: None,
            resp_ttl: None,
            rst_ttl: None,
            dns_tcp: (key.proto == Proto::Tcp
                && (is_dns_port(key.lo.port)
                    || is_dns_port(key.hi.port)))
            .then(Box::default),
            http: None,
            tls: None,
            sniffed: false,
            scheduled: None,
            expiring: false,
        }
    }

    /// The originator's end: the first packet's sender, unless that packet is a SYN-ACK or
    /// comes from a server port to a client port (see `Flow::new`).
    pub fn orig(&self) -> Addr {
        if self.orig_is_hi {
            self.key.hi
        } else {
            self.key.lo
        }
    }

    /// The responder's end.
    pub fn resp(&self) -> Addr {
        if self.orig_is_hi {
            self.key.lo
        } else {
            self.key.hi
        }
    }

    /// The TCP connection's state (TCP flows only).
    pub fn tcp(&self) -> Option<&TcpConn> {
        match &self.state {
            FlowState::Tcp(c) => Some(c),
            FlowState::Datagrams { .. } => None,
        }
    }

    fn add(&mut self, p: &Packet, payload: &[u8], src: Addr, ev: &mut FlowEvents) {
        let (orig, resp) = (self.orig(), self.resp());
        let is_orig = src == orig;
        let Network::Ip(ip) = &p.net else { return };
        let ctr = if is_orig {
            &mut self.orig_ctr
        } else {
            &mut self.resp_ctr
        };
        ctr.pkts += 1;
        ctr.ip_bytes += ip.ip_len as u64;
        ctr.wire_bytes += p.wire_len as u64;
        let ttl = if is_orig {
            &mut self.orig_ttl
        } else {
            &mut self.resp_ttl
        };
        ttl.get_or_insert(ip.ttl);
        self.last_frame = p.frame;
        self.last_ts_ns = self.last_ts_ns.max(p.ts_ns);
        match &ip.transport {
            Transport::Tcp(t) => {
                if t.has(crate::decode::tcp_flags::RST) {
                    self.rst_ttl.get_or_insert(ip.ttl);
                }
                if let FlowState::Tcp(c) = &mut self.state {
                    if !c.is_capture_duplicate(&mut ev.rings, is_orig, ip.ip_id, t, p.ts_ns) {
                        c.process(is_orig, t, p.frame, p.ts_ns);
                        if let Some(d) = self.dns_tcp.as_mut() {
                            d.segment(usize::from(!is_orig), t, payload, p, ip, &mut ev.dns);
                        }
                        if !self.sniffed && is_orig && !payload.is_empty() {
                            self.sniffed = true;
                            if crate::decode::http::HttpStream::looks_like_request(payload) {
                                let mut h = Box::<http::HttpFlow>::default();
                                // The client's stream starts here; the server's at its first
                                // payload (the client speaks first in HTTP and TLS).
                                h.sync(0, t.seq);
                                self.http = Some(h);
                            } else if crate::decode::tls::TlsStream::looks_like_tls(payload) {
                                let mut h = Box::new(tls::TlsFlow::new(
                                    p,
                                    (orig.ip, orig.port),
                                    (resp.ip, resp.port),
                                ));
                                h.sync(0, t.seq);
                                self.tls = Some(h);
                            }
                        }
                        if let Some(h) = self.tls.as_mut() {
                            h.segment(usize::from(!is_orig), t, payload, p);
                        }
                        if let Some(h) = self.http.as_mut() {
                            let client = (orig.ip, orig.port);
                            let server = (resp.ip, resp.port);
                            h.segment(
                                usize::from(!is_orig),
                                t,
                                payload,
                                p,
                                client,
                                server,
                                &mut ev.http,
                            );
                        }
                    }
                }
            }
            Transport::Udp(u) => {
                ctr.payload_bytes += u.payload_len as u64;
                let bit = if is_orig { 1 } else { 2 };
                if let FlowState::Datagrams { seen, history } = &mut self.state {
                    if *seen & bit == 0 {
                        *seen |= bit;
                        history.push(if is_orig { b'D' } else { b'd' });
                    }
                }
            }
            Transport::Icmp(_) => {
                ctr.payload_bytes += (ip.ip_len as u64).saturating_sub(28);
            }
            _ => {}
        }
    }
}

impl Flow {
    /// The flow is over: emit what is still pending (unanswered HTTP requests).
    fn finish(&mut self, ev: &mut FlowEvents) {
        if let FlowState::Tcp(c) = &mut self.state {
            c.release(&mut ev.rings);
        }
        if let Some(h) = self.http.as_mut() {
            h.flush(&mut ev.http);
            let (lenient, unreadable) = h.quality();
            ev.http_lenient += lenient;
            ev.http_unreadable += unreadable;
        }
        if let Some(t) = self.tls.take() {
            let mut s = t.finish();
            // One copy of each distinct chain: a busy server sends the same one thousands of
            // times, and the sessions are kept to the end.
            if !s.certs.is_empty() {
                match ev.chains.get(&s.certs) {
                    Some(same) => s.certs = same.clone(),
                    None => {
                        ev.chains.insert(s.certs.clone());
                    }
                }
            }
            ev.tls.push(s);
        }
    }
}

impl DnsStreams {
    fn segment(
        &mut self,
        dir: usize,
        t: &crate::decode::TcpInfo,
        payload: &[u8],
        p: &Packet,
        ip: &crate::decode::IpInfo,
        out: &mut Vec<DnsEvent>,
    ) {
        let order = &mut self.order[dir];
        let Some(payload) = order.accept(t, payload) else {
            if t.has(crate::decode::tcp_flags::SYN) || order.broken {
                self.buf[dir].clear();
            }
            if order.broken {
                // Unlike HTTP and TLS, DNS can start over: each message is length-prefixed, so
                // resynchronise on the segment after the gap.
                *order = InOrder::default();
                order.sync(t.seq.wrapping_add(t.payload_len));
            }
            return;
        };
        let buf = &mut self.buf[dir];
        if buf.len() + payload.len() > DNS_TCP_MAX {
            buf.clear();
            return;
        }
        buf.extend_from_slice(payload);
        while buf.len() >= 2 {
            let len = u16::from_be_bytes([buf[0], buf[1]]) as usize;
            if buf.len() < 2 + len {
                break;
            }
            if let Ok(msg) = crate::decode::dns::parse(&buf[2..2 + len]) {
                out.push(DnsEvent {
                    capture: p.capture,
                    frame: p.frame,
                    ts_ns: p.ts_ns,
                    src: ip.src,
                    src_port: t.src_port,
                    dst: ip.dst,
                    dst_port: t.dst_port,
                    tcp: true,
                    msg,
                });
            }
            buf.drain(..2 + len);
        }
    }
}

/// A finished flow, as `pcap-rca flows` prints it (one row of Zeek's conn.log, plus the
/// frame numbers). Field meanings:
/// - `ts`, `duration_s`: first packet's time (RFC 3339 UTC) and last minus first, seconds;
/// - `orig_*` / `resp_*`: originator (who sent the first SYN, or the first packet) and
///   responder; `*_bytes` are payload bytes by TCP sequence numbers (UDP: datagram payloads),
///   `*_ip_bytes` IP-level bytes, `*_wire_bytes` frame bytes;
/// - `conn_state`, `history`: Zeek's values (see the `flow::tcp` module); UDP uses S0/SF/SHR/OTH;
/// - `missed_bytes`: bytes acknowledged but never seen (capture loss);
/// - `first_frame`/`last_frame`: Wireshark frame numbers in capture `capture`.
#[derive(Debug, Clone, Serialize)]
pub struct Conn {
    /// First packet's time; serialised as `ts` (RFC 3339).
    #[serde(rename = "ts", serialize_with = "ser_ts")]
    pub first_ts_ns: i64,
    /// Last packet's time (ns since the epoch).
    #[serde(skip)]
    pub last_ts_ns: i64,
    /// Index of the capture the flow was seen in (in the order given).
    pub capture: u16,
    /// Frame number of the first packet, as Wireshark shows it.
    pub first_frame: u64,
    /// Frame number of the last packet.
    pub last_frame: u64,
    /// Transport protocol.
    pub proto: Proto,
    /// Originator's address: who sent the first SYN, or the first packet.
    pub orig_ip: IpAddr,
    /// Originator's port (0 for ICMP).
    pub orig_port: u16,
    /// Responder's address.
    pub resp_ip: IpAddr,
    /// Responder's port (ICMP: 0).
    pub resp_port: u16,
    /// Last packet's time minus the first's, in seconds.
    pub duration_s: f64,
    /// Packets from the originator.
    pub orig_pkts: u64,
    /// Payload bytes from the originator, by TCP sequence numbers (UDP: datagram payloads).
    pub orig_bytes: u64,
    /// IP-level bytes from the originator.
    pub orig_ip_bytes: u64,
    /// Frame bytes from the originator.
    pub orig_wire_bytes: u64,
    /// Packets from the responder.
    pub resp_pkts: u64,
    /// Payload bytes from the responder.
    pub resp_bytes: u64,
    /// IP-level bytes from the responder.
    pub resp_ip_bytes: u64,
    /// Frame bytes from the responder.
    pub resp_wire_bytes: u64,
    /// Zeek's connection state (`S0`, `SF`, `REJ`, ...; UDP uses S0/SF/SHR/OTH).
    pub conn_state: tcp::ConnState,
    /// Zeek's history letters (`ShAdaDf`...).
    pub history: tcp::History,
    /// Bytes acknowledged but never seen (capture loss).
    pub missed_bytes: u64,
    /// Segments the originator sent again.
    pub orig_retransmissions: u32,
    /// Segments the responder sent again.
    pub resp_retransmissions: u32,
    /// Zero-window advertisements from the originator.
    pub orig_zero_windows: u32,
    /// Zero-window advertisements from the responder.
    pub resp_zero_windows: u32,
    /// Packets the capture holds twice (seen on two interfaces): counted in the packet and
    /// byte totals, as Wireshark does, but not taken for retransmissions.
    pub duplicates: u32,
    /// Largest retransmitted segment and bytes never acknowledged, per side (TCP).
    pub orig_max_rtx_len: u32,
    /// Largest retransmitted segment from the responder.
    pub resp_max_rtx_len: u32,
    /// Bytes from the originator never acknowledged.
    pub orig_unacked_bytes: u32,
    /// Bytes from the responder never acknowledged.
    pub resp_unacked_bytes: u32,
    /// First retransmission and first zero-window frame, either side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_frame: Option<u64>,
    /// First zero-window frame, either side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_window_frame: Option<u64>,
    /// First acknowledgement of data the capture lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_frame: Option<u64>,
    /// Outer VLAN id, when tagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// Frames of the first SYN, SYN-ACK and RST, and who sent the RST ("orig"/"resp").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syn_frame: Option<u64>,
    /// Frame of the first SYN-ACK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synack_frame: Option<u64>,
    /// Frame of the first RST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rst_frame: Option<u64>,
    /// Who sent the first RST: `orig` or `resp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rst_by: Option<&'static str>,
    /// TTL (hop limit) of the originator's first packet.
    #[serde(skip)]
    pub orig_ttl: Option<u8>,
    /// TTL (hop limit) of the responder's first packet.
    #[serde(skip)]
    pub resp_ttl: Option<u8>,
    /// TTL of the first RST (a value unlike the sender's other packets hints at a middlebox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rst_ttl: Option<u8>,
    /// When this record stands for several flows folded together (beyond the record budget,
    /// see the `flow::fold` module): what they add up to. `None` for an ordinary flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold: Option<Box<fold::Fold>>,
}

fn nz(x: Option<std::num::NonZeroU64>) -> Option<u64> {
    x.map(std::num::NonZeroU64::get)
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn ser_ts<S: serde::Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ns))
}

impl Conn {
    /// First packet's time, RFC 3339.
    pub fn ts(&self) -> String {
        rfc3339(self.first_ts_ns)
    }

    fn from_flow(f: &Flow) -> Conn {
        let dups = f.tcp().map_or(0, |c| c.duplicates);
        let (conn_state, history, ob, rb, missed, rx, zw, syn, synack, rst) = match &f.state {
            FlowState::Tcp(c) => (
                c.conn_state(),
                c.history,
                c.orig.size(),
                c.resp.size(),
                c.orig.trouble().missed_bytes + c.resp.trouble().missed_bytes,
                (
                    c.orig.trouble().retransmissions,
                    c.resp.trouble().retransmissions,
                ),
                (c.orig.trouble().zero_windows, c.resp.trouble().zero_windows),
                nz(c.first_syn_frame),
                nz(c.first_synack_frame),
                c.first_rst.map(|(f, by)| (f.get(), by)),
            ),
            FlowState::Datagrams { history, .. } => {
                let state = if f.key.proto == Proto::Udp {
                    match (f.orig_ctr.pkts > 0, f.resp_ctr.pkts > 0) {
                        (true, true) => tcp::ConnState::Sf,
                        (true, false) => tcp::ConnState::S0,
                        (false, true) => tcp::ConnState::Shr,
                        _ => tcp::ConnState::Oth,
                    }
                } else {
                    tcp::ConnState::Oth
                };
                (
                    state,
                    *history,
                    f.orig_ctr.payload_bytes,
                    f.resp_ctr.payload_bytes,
                    0,
                    (0, 0),
                    (0, 0),
                    None,
                    None,
                    None,
                )
            }
        };
        Conn {
            first_ts_ns: f.first_ts_ns,
            last_ts_ns: f.last_ts_ns,
            capture: f.capture,
            first_frame: f.first_frame,
            last_frame: f.last_frame,
            proto: f.key.proto,
            orig_ip: f.orig().ip,
            orig_port: f.orig().port,
            resp_ip: f.resp().ip,
            resp_port: f.resp().port,
            duration_s: ((f.last_ts_ns - f.first_ts_ns).max(0) as f64 / 1e9 * 1e6).round() / 1e6,
            orig_pkts: f.orig_ctr.pkts,
            orig_bytes: ob,
            orig_ip_bytes: f.orig_ctr.ip_bytes,
            orig_wire_bytes: f.orig_ctr.wire_bytes,
            resp_pkts: f.resp_ctr.pkts,
            resp_bytes: rb,
            resp_ip_bytes: f.resp_ctr.ip_bytes,
            resp_wire_bytes: f.resp_ctr.wire_bytes,
            conn_state,
            history,
            missed_bytes: missed,
            orig_retransmissions: rx.0,
            resp_retransmissions: rx.1,
            orig_zero_windows: zw.0,
            resp_zero_windows: zw.1,
            duplicates: dups,
            orig_max_rtx_len: f.tcp().map_or(0, |c| c.orig.trouble().max_rtx_len),
            resp_max_rtx_len: f.tcp().map_or(0, |c| c.resp.trouble().max_rtx_len),
            orig_unacked_bytes: f.tcp().map_or(0, |c| c.orig.unacked()),
            resp_unacked_bytes: f.tcp().map_or(0, |c| c.resp.unacked()),
            rtx_frame: f
                .tcp()
                .and_then(|c| {
                    min_opt(
                        nz(c.orig.trouble().first_rtx_frame),
                        nz(c.resp.trouble().first_rtx_frame),
                    )
                }),
            gap_frame: f
                .tcp()
                .and_then(|c| {
                    min_opt(
                        nz(c.orig.trouble().first_gap_frame),
                        nz(c.resp.trouble().first_gap_frame),
                    )
                }),
            zero_window_frame: f.tcp().and_then(|c| {
                min_opt(
                    nz(c.orig.trouble().first_zero_window_frame),
                    nz(c.resp.trouble().first_zero_window_frame),
                )
            }),
            vlan: f.vlan,
            syn_frame: syn,
            synack_frame: synack,
            rst_frame: rst.map(|r| r.0),
            rst_by: rst.map(|r| if r.1 { "orig" } else { "resp" }),
            orig_ttl: f.orig_ttl,
            resp_ttl: f.resp_ttl,
            rst_ttl: f.rst_ttl,
            fold: None,
        }
    }

    /// Flows this record stands for: 1, or all those folded into it.
    pub fn weight(&self) -> u64 {
        self.fold.as_ref().map_or(1, |f| f.flows)
    }

    /// Latest last packet of the flows it stands for.
    pub fn until_ns(&self) -> i64 {
        self.fold
            .as_ref()
            .map_or(self.last_ts_ns, |f| f.last_ts_ns.max(self.last_ts_ns))
    }

    /// Packets, bytes, retransmissions, zero windows and missed bytes over the flows it
    /// stands for.
    pub fn totals(&self) -> fold::Totals {
        self.fold
            .as_ref()
            .map_or_else(|| fold::Totals::of(self), |f| f.totals)
    }

    /// Originators and how many of the flows each opened: the record's own, or the listed
    /// sources of its fold (the fold counts the rest).
    pub fn sources(&self) -> impl Iterator<Item = (IpAddr, u64)> + '_ {
        let own = self.fold.is_none().then_some((self.orig_ip, 1));
        own.into_iter().chain(
            self.fold
                .iter()
                .flat_map(|f| f.sources.iter().map(|(ip, s)| (*ip, s.flows))),
        )
    }

    /// When flows started: (time, width, count), a width of 0 for the record's own start,
    /// or the folded flows' histogram buckets (`count` starts somewhere in `[time, time+width)`).
    pub fn starts(&self) -> impl Iterator<Item = (i64, i64, u64)> + '_ {
        let own = self.fold.is_none().then_some((self.first_ts_ns, 0, 1));
        own.into_iter().chain(
            self.fold
                .iter()
                .flat_map(|f| f.starts.iter().map(|(t, n)| (*t, f.bucket_ns, *n))),
        )
    }

    /// Canonical order of finished flows: time, then capture and frame.
    pub fn sort_key(&self) -> (i64, u16, u64) {
        (self.first_ts_ns, self.capture, self.first_frame)
    }
}

/// How long `f` may stay quiet before it is over.
fn idle_limit(t: &Timeouts, f: &Flow) -> i64 {
    {
        match f.key.proto {
            Proto::Tcp if f.tcp().is_some_and(|c| c.is_over()) => {
                t.tcp_closed_ns.min(t.tcp_ns)
            }
            Proto::Tcp => t.tcp_ns,
            Proto::Udp => t.udp_ns,
            Proto::Icmp => t.icmp_ns,
        }
    }
}

/// Flows of one shard. Packets of one flow must arrive in frame order.
#[derive(Debug, Default)]
pub struct FlowTable {
    /// The slot of each live flow in `slab` (the map's slots stay small: growing it, which
    /// briefly holds the old and the new slots, costs 48 bytes a flow, not the whole flow).
    flows: FlowMap,
    /// The live flows, in slots reused as flows come and go.
    slab: Slab<Flow>,
    /// When each live flow becomes due (see [`expiry`]).
    deadlines: Deadlines,
    /// The flows found idle by [`FlowTable::expire`], with their place in the map's order
    /// and their key's hash when they are needed (a buffer kept between calls).
    due: Vec<(Reverse<usize>, Slot, u64)>,
    pub finished: Vec<Conn>,
    /// Finished records kept as they are at most; the rest are folded (see [`fold`]).
    pub budget: fold::Budget,
    pub timeouts: Timeouts,
    /// Most flows alive at once in this table.
    pub peak_flows: usize,
    /// DNS messages and HTTP exchanges found in this table's flows.
    pub events: FlowEvents,
    /// Most flows kept alive at once; beyond it the longest-idle tenth is finished early.
    pub max_flows: usize,
    /// Flows finished early because the table was full.
    pub evicted: u64,
    /// Most DNS, HTTP and TLS events kept, each kind; later ones are only counted.
    pub max_events: usize,
    /// Events counted but not kept.
    pub events_dropped: u64,
    /// DNS, HTTP and TLS events moved out by [`FlowTable::drain_into`] so far: the caps
    /// count them with the ones still here.
    drained: [usize; 3],
}

/// Finished flow records and the events of finished flows, gathered from the flow tables
/// as they come ([`FlowTable::drain_into`]) rather than at the end: each record is moved
/// once, while it is still in cache, into vectors that grow once.
#[derive(Debug, Default)]
pub struct Finished {
    pub flows: Vec<Conn>,
    pub dns: Vec<DnsEvent>,
    pub http: Vec<HttpEvent>,
    pub tls: Vec<TlsSession>,
}

impl FlowTable {
    pub fn new(timeouts: Timeouts) -> FlowTable {
        FlowTable {
            timeouts,
            max_flows: usize::MAX,
            max_events: usize::MAX,
            ..FlowTable::default()
        }
    }

    /// Finishes the flow in `slot` (already out of the map) and frees its slot.
    fn finish_slot(&mut self, slot: Slot) {
        let Some(f) = self.slab.get_mut(slot) else {
            return;
        };
        f.finish(&mut self.events);
        self.budget.place(&mut self.finished, Conn::from_flow(f));
        self.slab.remove(slot);
    }

    /// Gives the flow in `slot` an entry in the deadlines if it becomes due before the one
    /// it has (after a packet: its state may have shortened its idle limit).
    fn schedule(&mut self, slot: Slot) {
        let t = self.timeouts;
        let Some(f) = self.slab.get_mut(slot) else {
            return; // not live: nothing to schedule
        };
        let limit = idle_limit(&t, f);
        let Some(at) = expiry::due_at(f.last_ts_ns, limit) else {
            return;
        };
        if f.scheduled.is_none_or(|s| at < s) {
            f.scheduled = Some(at);
            self.deadlines.push(limit, at, slot);
        }
    }

    /// Finishes the longest-idle tenth of the table (ties broken by key, so the choice does not
    /// depend on hashing): memory stays bounded by `max_flows` whatever the traffic (a SYN
    /// flood from random sources creates a flow per packet).
    fn evict(&mut self) {
        let n = (self.flows.len() / 10).max(1);
        let slab = &self.slab;
        let mut idle: Vec<(i64, FlowKey, u64)> = self
            .flows
            .iter()
            .filter_map(|(s, hash)| {
                let f = slab.get(s)?;
                Some((f.last_ts_ns, f.key, hash))
            })
            .collect();
        idle.select_nth_unstable(n - 1);
        idle.truncate(n);
        idle.sort_unstable();
        for (_, key, hash) in idle {
            let k = HashedKey { hash, key };
            if let Some(slot) = self.flows.remove(&k, &self.slab) {
                self.finish_slot(slot);
                self.evicted += 1;
            }
        }
    }

    /// Adds one packet (which must have a flow tuple). A flow idle for longer than its
    /// timeout by this packet's time is finished and the packet starts a new one; so is a TCP
    /// connection reusing the ports of one that ended.
    #[cfg(any(test, feature = "internals"))]
    pub fn add(&mut self, p: &Packet, payload: &[u8], key: FlowKey, src: Addr, dst: Addr) {
        self.add_hashed(p, payload, HashedKey::new(key), src, dst);
    }

    /// Live flows.
    pub fn live(&self) -> usize {
        self.flows.len()
    }

    /// Looks `key` up without changing anything: the time of its flow's last packet, or 0.
    /// Done for a batch's packets before they are added, it brings the map's buckets and the
    /// flows into the cache several at a time (the lookups do not wait on each other), where
    /// one by one each add would wait for its own (see `WARM_FROM` in the pass).
    pub fn peek(&self, key: &HashedKey) -> i64 {
        self.flows
            .get(key, &self.slab)
            .and_then(|s| self.slab.get(s))
            .map_or(0, |f| f.last_ts_ns)
    }

    /// [`FlowTable::add`] with the key's hash computed already.
    pub fn add_hashed(&mut self, p: &Packet, payload: &[u8], key: HashedKey, src: Addr, dst: Addr) {
        if let Some(slot) = self.flows.get(&key, &self.slab) {
            let t = self.timeouts;
            // The map finds only live slots (it compares the key of the flow in the slot).
            let Some(f) = self.slab.get_mut(slot) else {
                return;
            };
            let idle = p.ts_ns.saturating_sub(f.last_ts_ns) > idle_limit(&t, f);
            let reuse = match (p.tcp(), f.tcp()) {
                (Some(t), Some(c)) => c.is_reuse(src == f.orig(), t),
                _ => false,
            };
            if !idle && !reuse {
                f.add(p, payload, src, &mut self.events);
                self.schedule(slot);
                return;
            }
            self.flows.remove(&key, &self.slab);
            self.finish_slot(slot);
        }
        let slot = self.slab.insert_with(|| Flow::new(key.key, src, dst, p));
        if let Some(f) = self.slab.get_mut(slot) {
            f.add(p, payload, src, &mut self.events);
        }
        self.schedule(slot);
        self.flows.insert(&key, slot);
        self.peak_flows = self.peak_flows.max(self.flows.len());
        if self.flows.len() > self.max_flows {
            self.evict();
        }
        self.cap_events();
    }

    /// Keeps at most `max_events` of each kind of event (the earliest, those drained
    /// included), counting the rest: a flood of TLS or HTTP connections cannot grow memory
    /// without bound through them.
    fn cap_events(&mut self) {
        let [dns, http, tls] = self.drained.map(|n| self.max_events.saturating_sub(n));
        let ev = &mut self.events;
        let over = ev.dns.len().saturating_sub(dns)
            + ev.http.len().saturating_sub(http)
            + ev.tls.len().saturating_sub(tls);
        if over > 0 {
            ev.dns.truncate(dns);
            ev.http.truncate(http);
            ev.tls.truncate(tls);
            self.events_dropped += over as u64;
        }
    }

    /// Moves the records of the flows finished so far, and their events, to the end of
    /// `out`'s lists, in the order they were finished.
    pub fn drain_into(&mut self, out: &mut Finished) {
        let ev = &mut self.events;
        self.drained[0] += ev.dns.len();
        self.drained[1] += ev.http.len();
        self.drained[2] += ev.tls.len();
        out.flows.append(&mut self.finished);
        out.dns.append(&mut ev.dns);
        out.http.append(&mut ev.http);
        out.tls.append(&mut ev.tls);
    }

    /// Finishes flows idle for longer than their timeout at time `now_ns`. Only the flows
    /// whose deadline has come are looked at (see [`expiry`]); those that are over are
    /// finished in the order the flow map lists them (see [`FlowMap::position`]).
    pub fn expire(&mut self, now_ns: i64) {
        let t = self.timeouts;
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        while let Some((at, slot)) = self.deadlines.pop_due(now_ns) {
            let Some(f) = self.slab.get_mut(slot) else {
                continue;
            };
            if f.scheduled != Some(at) {
                continue; // rescheduled since, or another flow in a reused slot
            }
            let limit = idle_limit(&t, f);
            match expiry::due_at(f.last_ts_ns, limit) {
                Some(at) if at > now_ns => {
                    f.scheduled = Some(at);
                    self.deadlines.push(limit, at, slot);
                }
                Some(_) => {
                    debug_assert!(now_ns.saturating_sub(f.last_ts_ns) > limit);
                    f.scheduled = None;
                    f.expiring = true;
                    due.push((Reverse(0), slot, 0));
                }
                None => f.scheduled = None,
            }
        }
        if due.len().saturating_mul(8) >= self.flows.len() {
            // Most of a small table: one walk over the map meets them in its order, and
            // costs less than looking each one up twice.
            let (slab, events) = (&mut self.slab, &mut self.events);
            let (budget, finished) = (&mut self.budget, &mut self.finished);
            self.flows.retain(|slot| {
                let Some(f) = slab.get_mut(slot).filter(|f| f.expiring) else {
                    return true;
                };
                f.finish(events);
                budget.place(finished, Conn::from_flow(f));
                slab.remove(slot);
                false
            });
        } else {
            for (pos, slot, hash) in due.iter_mut() {
                if let Some(f) = self.slab.get(*slot) {
                    let key = HashedKey::new(f.key);
                    *pos = Reverse(self.flows.position(&key, &self.slab));
                    *hash = key.hash;
                }
            }
            due.sort_unstable();
            for &(_, slot, hash) in &due {
                let Some(key) = self.slab.get(slot).map(|f| f.key) else {
                    continue;
                };
                self.flows.remove(&HashedKey { hash, key }, &self.slab);
                self.finish_slot(slot);
            }
        }
        self.due = due;
        let slab = &self.slab;
        self.deadlines.compact_if(self.flows.len(), |at, s| {
            slab.get(s).is_some_and(|f| f.scheduled == Some(at))
        });
        self.cap_events();
    }

    /// Finishes every flow (end of input).
    pub fn finish_all(&mut self) {
        let room = self.budget.max_records.saturating_sub(self.budget.kept);
        self.finished.reserve_exact(self.flows.len().min(room));
        // Oldest first, so the budget keeps the earliest flows whatever the hashing.
        let slab = &self.slab;
        let mut live: Vec<((i64, u16, u64), Slot)> = std::mem::take(&mut self.flows)
            .iter()
            .filter_map(|(s, _)| {
                let f = slab.get(s)?;
                Some(((f.first_ts_ns, f.capture, f.first_frame), s))
            })
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            self.finish_slot(slot);
            self.cap_events();
        }
        self.slab = Slab::default();
        self.deadlines.clear();
        self.due = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn print_sizes() {
        eprintln!(
            "Flow {} TcpConn {} Endpoint {} Conn {} TlsFlow {} HttpFlow {} DnsEvent {} HttpEvent {} TlsSession {}",
            std::mem::size_of::<Flow>(),
            std::mem::size_of::<TcpConn>(),
            std::mem::size_of::<tcp::Endpoint>(),
            std::mem::size_of::<Conn>(),
            std::mem::size_of::<tls::TlsFlow>(),
            std::mem::size_of::<http::HttpFlow>(),
            std::mem::size_of::<DnsEvent>(),
            std::mem::size_of::<HttpEvent>(),
            std::mem::size_of::<TlsSession>()
        );
    }

    #[test]
    fn finished_flow_records_stay_compact() {
        // Finished flows are kept for the detectors: their size bounds memory per flow.
        assert!(
            std::mem::size_of::<Conn>() <= 384,
            "{}",
            std::mem::size_of::<Conn>()
        );
    }

    fn key(i: u32) -> FlowKey {
        let a = Addr {
            ip: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i >> 8))),
            port: 1024 + (i & 0xff) as u16,
        };
        let b = Addr {
            ip: IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9)),
            port: 443,
        };
        FlowKey::new(Proto::Tcp, a, b)
    }

    /// The flow map places and orders its entries as `std`'s `HashMap` of the same keys and
    /// hashes did (the expiry order, and so the reports, depend on it: the map replaced that
    /// `HashMap`, and `hashbrown` is pinned to the version this toolchain's `std` is built on;
    /// a toolchain whose `std` moves to another version fails the comparison with pcap-rca's
    /// own order unchanged, and the comparison can go then), and
    /// `FlowMap::position` orders keys as iterating the map (which `retain` does) meets
    /// them, through growth, removals and reuse of the freed buckets.
    #[test]
    fn expiry_follows_the_map_order() {
        type StdMap =
            std::collections::HashMap<HashedKey, u32, std::hash::BuildHasherDefault<CarriedHash>>;
        let mut old = StdMap::default();
        let mut m = FlowMap::default();
        let mut slab: Slab<Flow> = Slab::default();
        let mut slots = std::collections::HashMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200u32 {
            for _ in 0..(50 + round * 3) {
                let i = (next() % 20_000) as u32;
                let p = udp(i, 0);
                let (k, src, dst) = flow_tuple(&p).unwrap();
                let hk = HashedKey::new(k);
                if next() % 3 == 0 {
                    old.remove(&hk);
                    if let Some(s) = m.remove(&hk, &slab) {
                        slab.remove(s);
                        slots.remove(&i);
                    }
                } else if old.insert(hk, i).is_none() {
                    let s = slab.insert_with(|| Flow::new(k, src, dst, &p));
                    m.insert(&hk, s);
                    slots.insert(i, s);
                }
            }
            assert_eq!(m.len(), old.len());
            let walked: Vec<Slot> = m.iter().map(|(s, _)| s).collect();
            let walked_old: Vec<Slot> = old.values().map(|i| slots[i]).collect();
            assert_eq!(walked, walked_old, "round {round}, {} keys", m.len());
            let mut sorted = walked.clone();
            sorted.sort_by_key(|&s| {
                let f = slab.get(s).unwrap();
                Reverse(m.position(&HashedKey::new(f.key), &slab))
            });
            assert_eq!(walked, sorted, "round {round}, {} keys", m.len());
        }
    }

    /// A UDP packet of flow `i` (its own client port) at `ts_ns`.
    fn udp(i: u32, ts_ns: i64) -> Packet {
        use crate::decode::{DecodeStatus, Fragment, IpInfo, UdpInfo};
        Packet {
            capture: 0,
            frame: u64::from(i) + 1,
            ts_ns,
            caplen: 60,
            wire_len: 60,
            linktype: 1,
            status: DecodeStatus::Decoded,
            vlan: None,
            eth_src: None,
            net: Network::Ip(IpInfo {
                src: IpAddr::V4(Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8)),
                dst: IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9)),
                ttl: 64,
                ip_id: 0,
                ip_len: 46,
                fragment: Fragment::None,
                has_options: false,
                transport: Transport::Udp(UdpInfo {
                    src_port: 40_000,
                    dst_port: 9_999,
                    payload_len: 18,
                }),
            }),
            payload_off: 42,
            payload_caplen: 0,
        }
    }

    /// Expiring only the due flows finishes the same flows, in the same order, as a walk of
    /// the whole map would (whether a few or most of the table are due).
    #[test]
    fn expire_finishes_what_a_walk_of_the_map_would() {
        let mut t = FlowTable::new(Timeouts::default());
        let udp_ns = t.timeouts.udp_ns;
        let mut next = 0u32;
        let mut now = 0i64;
        let (mut few, mut many) = (0, 0);
        for round in 0..80i64 {
            // Flows time out 20 rounds after they start: a few of the table at a time, or
            // most of it when the large rounds come up.
            let n = if round % 10 == 0 { 4000 } else { 40 };
            for _ in 0..n {
                now += 1_000_000;
                let p = udp(next, now);
                let (k, s, d) = flow_tuple(&p).unwrap();
                t.add(&p, &[], k, s, d);
                next += 1;
            }
            // Touch some older flows again (their deadlines move later).
            for i in (0..next).step_by(7) {
                let p = udp(i, now);
                let (k, s, d) = flow_tuple(&p).unwrap();
                if t.flows.get(&HashedKey::new(k), &t.slab).is_some() {
                    t.add(&p, &[], k, s, d);
                }
            }
            now += udp_ns / 20;
            let expected: Vec<u64> = t
                .flows
                .iter()
                .filter_map(|(s, _)| t.slab.get(s))
                .filter(|f| now.saturating_sub(f.last_ts_ns) > idle_limit(&t.timeouts, f))
                .map(|f| f.first_frame)
                .collect();
            if !expected.is_empty() {
                if expected.len() * 8 >= t.flows.len() {
                    many += 1;
                } else {
                    few += 1;
                }
            }
            let before = t.finished.len();
            t.expire(now);
            let got: Vec<u64> = t.finished[before..].iter().map(|c| c.first_frame).collect();
            assert_eq!(got, expected, "round {round}");
        }
        assert!(few > 10 && many > 2, "{few} {many}");
    }

    /// Keys of one shard share the low bits of their hash; the table must not place them by
    /// those bits (a table would then use one bucket in sixteen).
    #[test]
    fn a_shards_keys_spread_over_the_table() {
        use std::hash::BuildHasher;
        let build = std::hash::BuildHasherDefault::<CarriedHash>::default();
        let mut low_bits = [0usize; 16];
        for i in 0..40_000u32 {
            let k = HashedKey::new(key(i));
            if k.hash % 16 == 5 {
                low_bits[(build.hash_one(k) % 16) as usize] += 1;
            }
        }
        let n: usize = low_bits.iter().sum();
        assert!(n > 2_000, "{n}");
        for c in low_bits {
            assert!(c * 16 > n / 2 && c * 16 < n * 2, "{low_bits:?}");
        }
    }

    /// A DNS-over-TCP event numbered `n` (its frame).
    fn dns_event(n: u64) -> DnsEvent {
        DnsEvent {
            capture: 0,
            frame: n,
            ts_ns: n as i64,
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            src_port: 40000,
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53)),
            dst_port: 53,
            tcp: true,
            msg: crate::decode::dns::DnsMessage {
                id: n as u16,
                is_response: false,
                rcode: 0,
                qname: format!("n{n}.example"),
                qtype: 1,
                qclass: 1,
                question_count: 1,
                answer_count: 0,
                addrs: Vec::new(),
                opcode: 0,
                authoritative: false,
                truncated: false,
                recursion_desired: true,
                recursion_available: false,
                ede: Vec::new(),
                partial: false,
            },
        }
    }

    /// The event caps count what was drained: draining after every step keeps the same
    /// events, and drops as many, as draining once at the end.
    #[test]
    fn event_caps_count_drained_events() {
        let run = |drain_each_step: bool| {
            let mut t = FlowTable::new(Timeouts::default());
            t.max_events = 10;
            let mut out = Finished::default();
            let mut n = 0;
            for step in 0..8 {
                for _ in 0..(step % 3 + 1) {
                    n += 1;
                    t.events.dns.push(dns_event(n));
                }
                t.cap_events();
                if drain_each_step {
                    t.drain_into(&mut out);
                }
            }
            t.drain_into(&mut out);
            let frames: Vec<u64> = out.dns.iter().map(|e| e.frame).collect();
            (frames, t.events_dropped)
        };
        let once = run(false);
        assert_eq!(once, ((1..=10).collect::<Vec<u64>>(), 5)); // 15 events
        assert_eq!(run(true), once);
    }

    #[test]
    fn flow_key_is_symmetric() {
        let a = Addr {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port: 40000,
        };
        let b = Addr {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            port: 8081,
        };
        assert_eq!(
            FlowKey::new(Proto::Tcp, a, b),
            FlowKey::new(Proto::Tcp, b, a)
        );
        assert_eq!(
            FlowKey::new(Proto::Tcp, a, b).shard_hash(),
            FlowKey::new(Proto::Tcp, b, a).shard_hash()
        );
    }
}
