//! Packet decoding: one raw frame in, one compact owned [`Packet`] out.
//!
//! Link types: Ethernet (802.1Q / QinQ tags), Linux cooked SLL and SLL2, raw IPv4/IPv6
//! (101, 228, 229), BSD loopback NULL and LOOP. Network: IPv4 (options, fragments), IPv6
//! (extension headers), ARP. Transport: TCP, UDP, ICMP, ICMPv6 (with the header an ICMP error
//! quotes).
//!
//! Guarantees: never panics on any bytes; every frame ends as [`DecodeStatus::Decoded`],
//! [`DecodeStatus::Truncated`] (cut by the snaplen or shorter than its headers claim) or
//! [`DecodeStatus::Undecodable`] (unknown link type or malformed headers), so no packet is
//! lost silently. etherparse types do not leave this module. Runs in parallel: it is a pure
//! function of the frame.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice, err::LenError};
use serde::Serialize;

pub mod dns;
mod fast;
pub mod frag;
pub mod http;
pub mod linktype;
pub mod tls;

pub use linktype::link_type_name;

/// How far a frame could be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecodeStatus {
    /// Every header we look at was complete and well formed (payload may be unknown).
    Decoded,
    /// Bytes are missing: captured length below the wire length, or a header cut short.
    Truncated,
    /// Unknown link type, or headers that are malformed rather than short.
    Undecodable,
}

/// TCP flag bits as on the wire.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// A TCP segment's header fields we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Window scale option (SYN only).
    pub wscale: Option<u8>,
    /// MSS option (SYN only).
    pub mss: Option<u16>,
    /// Payload length according to the IP header (what was sent, even if not captured).
    pub payload_len: u32,
}

impl TcpInfo {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// A UDP datagram's ports and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload_len: u32,
}

/// The packet an ICMP error message quotes: enough to find the flow it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub src_port: u16,
    pub dst_port: u16,
    /// TCP sequence number of the quoted segment, when the quote reaches it.
    pub tcp_seq: Option<u32>,
}

/// IP protocol numbers (the IPv4 protocol / IPv6 next-header field) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod ip_proto {
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
}

/// ICMPv4 message types and codes (RFC 792, RFC 1812) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod icmp {
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination unreachable; its codes follow.
    pub const DEST_UNREACHABLE: u8 = 3;
    /// Source quench.
    pub const SOURCE_QUENCH: u8 = 4;
    /// Redirect.
    pub const REDIRECT: u8 = 5;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 8;
    /// Time exceeded; its code [`TTL_EXCEEDED_IN_TRANSIT`] is a TTL reaching zero.
    pub const TIME_EXCEEDED: u8 = 11;
    /// Parameter problem.
    pub const PARAMETER_PROBLEM: u8 = 12;

    /// Destination unreachable: network unreachable.
    pub const NET_UNREACHABLE: u8 = 0;
    /// Destination unreachable: host unreachable.
    pub const HOST_UNREACHABLE: u8 = 1;
    /// Destination unreachable: port unreachable.
    pub const PORT_UNREACHABLE: u8 = 3;
    /// Destination unreachable: fragmentation needed and DF set (path-MTU discovery).
    pub const FRAG_NEEDED: u8 = 4;
    /// Destination unreachable: destination network unknown.
    pub const NET_UNKNOWN: u8 = 6;
    /// Destination unreachable: network administratively prohibited.
    pub const NET_PROHIBITED: u8 = 9;
    /// Destination unreachable: host administratively prohibited.
    pub const HOST_PROHIBITED: u8 = 10;
    /// Destination unreachable: network unreachable for the type of service.
    pub const NET_UNREACHABLE_TOS: u8 = 11;
    /// Destination unreachable: communication administratively prohibited.
    pub const COMM_PROHIBITED: u8 = 13;

    /// Time exceeded: the TTL reached zero in transit.
    pub const TTL_EXCEEDED_IN_TRANSIT: u8 = 0;
}

/// ICMPv6 message types and codes (RFC 4443) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod icmpv6 {
    /// Destination unreachable; its codes follow.
    pub const DEST_UNREACHABLE: u8 = 1;
    /// Packet too big (path-MTU discovery).
    pub const PACKET_TOO_BIG: u8 = 2;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 3;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 129;
    /// Types below this are errors, the others informational.
    pub const FIRST_INFORMATIONAL: u8 = 128;

    /// Time exceeded: the hop limit reached zero in transit.
    pub const HOP_LIMIT_EXCEEDED: u8 = 0;

    /// Destination unreachable: no route to destination.
    pub const NO_ROUTE: u8 = 0;
    /// Destination unreachable: communication administratively prohibited.
    pub const ADMIN_PROHIBITED: u8 = 1;
    /// Destination unreachable: port unreachable.
    pub const PORT_UNREACHABLE: u8 = 4;
    /// Destination unreachable: source address failed ingress/egress policy.
    pub const POLICY_FAILED: u8 = 5;
    /// Destination unreachable: reject route to destination.
    pub const REJECT_ROUTE: u8 = 6;
}

/// ARP operations (RFC 826) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod arp {
    /// A request: who has this address?
    pub const REQUEST: u16 = 1;
    /// A reply: this address is at this MAC.
    pub const REPLY: u16 = 2;
}

/// ICMP or ICMPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo {
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// Echo identifier (echo request/reply only).
    pub echo_id: Option<u16>,
    /// Next-hop MTU of a "fragmentation needed" / "packet too big" message.
    pub mtu: Option<u32>,
    /// The offending packet quoted by an error message.
    pub quoted: Option<Quoted>,
}

impl IcmpInfo {
    /// True for error messages (destination unreachable, time exceeded, ...).
    pub fn is_error(&self) -> bool {
        if self.v6 {
            self.icmp_type < icmpv6::FIRST_INFORMATIONAL
        } else {
            matches!(
                self.icmp_type,
                icmp::DEST_UNREACHABLE
                    | icmp::SOURCE_QUENCH
                    | icmp::REDIRECT
                    | icmp::TIME_EXCEEDED
                    | icmp::PARAMETER_PROBLEM
            )
        }
    }
}

/// Transport layer of an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp(TcpInfo),
    Udp(UdpInfo),
    Icmp(IcmpInfo),
    /// A protocol we do not decode further (its IP protocol number).
    Other(u8),
    /// Not a first fragment: the transport header is in another packet.
    Fragment(u8),
}

/// IPv4 fragmentation of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    None,
    /// Offset 0 with more fragments to come.
    First,
    /// Any later fragment.
    Later,
}

/// The IP layer of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6 unless a fragment header carries one).
    pub ip_id: u32,
    /// Bytes of the IP packet as its header says (IPv4 total length, IPv6 40 + payload).
    pub ip_len: u32,
    pub fragment: Fragment,
    /// IPv4 header carried options.
    pub has_options: bool,
    pub transport: Transport,
}

/// An ARP packet (Ethernet/IPv4 only; others are kept as [`Network::Other`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpInfo {
    /// [`arp::REQUEST`], [`arp::REPLY`], others as numbers.
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: Ipv4Addr,
    /// Ethernet destination of the frame (broadcast for most requests), when known.
    pub eth_dst: Option<[u8; 6]>,
}

/// The network layer of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Ip(IpInfo),
    Arp(ArpInfo),
    /// A link-layer payload we do not analyse (its EtherType), e.g. LLDP or STP.
    Other(u16),
    /// Nothing decodable.
    None,
}

/// Compact, owned summary of one frame: what every later stage works from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Which capture of the incident (index into the report's `captures`).
    pub capture: u16,
    /// 1-based frame number in that capture, as Wireshark shows it.
    pub frame: u64,
    pub ts_ns: i64,
    /// Bytes captured / bytes on the wire.
    pub caplen: u32,
    pub wire_len: u32,
    pub linktype: u32,
    pub status: DecodeStatus,
    /// Outermost VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// Ethernet source address, when the link layer has one.
    pub eth_src: Option<[u8; 6]>,
    pub net: Network,
    /// Offset and length of the transport payload within the frame's captured bytes
    /// (application data: DNS, TLS, HTTP). Length 0 when none was captured.
    pub payload_off: u32,
    pub payload_caplen: u32,
}

impl Packet {
    /// A packet of nothing (frame 0, no bytes), overwritten by [`decode_into`].
    pub const EMPTY: Packet = Packet {
        capture: 0,
        frame: 0,
        ts_ns: 0,
        caplen: 0,
        wire_len: 0,
        linktype: 0,
        status: DecodeStatus::Undecodable,
        vlan: None,
        eth_src: None,
        net: Network::None,
        payload_off: 0,
        payload_caplen: 0,
    };

    pub fn ip(&self) -> Option<&IpInfo> {
        match &self.net {
            Network::Ip(ip) => Some(ip),
            _ => None,
        }
    }

    pub fn tcp(&self) -> Option<&TcpInfo> {
        match &self.net {
            Network::Ip(IpInfo {
                transport: Transport::Tcp(t),
                ..
            }) => Some(t),
            _ => None,
        }
    }

    pub fn udp(&self) -> Option<&UdpInfo> {
        match &self.net {
            Network::Ip(IpInfo {
                transport: Transport::Udp(u),
                ..
            }) => Some(u),
            _ => None,
        }
    }

    /// The captured transport payload of this packet within `frame` (its captured bytes).
    pub fn payload<'a>(&self, frame: &'a [u8]) -> &'a [u8] {
        let start = self.payload_off as usize;
        let end = start.saturating_add(self.payload_caplen as usize);
        frame.get(start..end).unwrap_or(&[])
    }
}

/// Decodes one frame. `data` is what was captured (`caplen` bytes), `wire_len` what was on
/// the wire.
#[cfg(any(test, feature = "internals", feature = "fuzzing"))]
pub fn decode(
    capture: u16,
    frame: u64,
    ts_ns: i64,
    linktype: u32,
    data: &[u8],
    wire_len: u32,
    malformed_record: bool,
) -> Packet {
    let mut p = Packet::EMPTY;
    decode_into(&mut p, capture, frame, ts_ns, linktype, data, wire_len, malformed_record, true);
    p
}

/// [`decode`] into `p`, which it overwrites, with (`fast`) or without the fast path for the
/// common Ethernet frame (`src/decode/fast.rs`; without it, what the fast path must agree
/// with, for the test and the fuzz target that check it). The pass decodes each frame into
/// its slot of the batch: a 168-byte `Packet` returned by value was copied twice on the way
/// there, 3% of a one-thread run.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_into(
    p: &mut Packet,
    capture: u16,
    frame: u64,
    ts_ns: i64,
    linktype: u32,
    data: &[u8],
    wire_len: u32,
    malformed_record: bool,
    fast: bool,
) {
    *p = Packet {
        capture,
        frame,
        ts_ns,
        caplen: data.len() as u32,
        wire_len: wire_len.max(data.len() as u32),
        linktype,
        status: DecodeStatus::Decoded,
        vlan: None,
        eth_src: None,
        net: Network::None,
        payload_off: 0,
        payload_caplen: 0,
    };
    if malformed_record {
        p.status = DecodeStatus::Undecodable;
        return;
    }
    if fast && linktype == linktype::ETHERNET && fast::ethernet(data, p) {
        return;
    }
    // The sliced packet (over 300 bytes) is read where etherparse wrote it: moved out of
    // its `Result`, or into one variable for every arm, it was copied for every frame.
    match linktype {
        linktype::ETHERNET => match &LaxSlicedPacket::from_ethernet(data) {
            Ok(s) => from_sliced(s, data, p),
            Err(_) => p.status = DecodeStatus::Truncated,
        },
        linktype::RAW | linktype::IPV4 | linktype::IPV6 | linktype::RAW_OPENBSD => {
            from_ip(data, data, p)
        }
        linktype::NULL | linktype::LOOP => {
            if data.len() < 4 {
                p.status = DecodeStatus::Truncated;
                return;
            }
            // The address family is in host byte order (NULL) or network order (LOOP);
            // small values tell which. Only the IP families matter.
            from_ip(&data[4..], data, p)
        }
        linktype::LINUX_SLL => {
            if data.len() < 16 {
                p.status = DecodeStatus::Truncated;
                return;
            }
            let proto = u16::from_be_bytes([data[14], data[15]]);
            let arphrd = u16::from_be_bytes([data[2], data[3]]);
            from_sliced(&cooked(proto, arphrd, &data[16..], p), data, p)
        }
        linktype::LINUX_SLL2 => {
            if data.len() < 20 {
                p.status = DecodeStatus::Truncated;
                return;
            }
            let proto = u16::from_be_bytes([data[0], data[1]]);
            let arphrd = u16::from_be_bytes([data[8], data[9]]);
            from_sliced(&cooked(proto, arphrd, &data[20..], p), data, p)
        }
        _ => p.status = DecodeStatus::Undecodable,
    }
}

/// Fills `p` from the sliced frame `data`.
fn from_sliced(sliced: &LaxSlicedPacket<'_>, data: &[u8], p: &mut Packet) {
    if p.status == DecodeStatus::Undecodable && sliced.net.is_none() && sliced.link.is_none() {
        return;
    }
    fill_from_sliced(sliced, data, p);
    if p.status == DecodeStatus::Decoded && p.caplen < p.wire_len {
        p.status = DecodeStatus::Truncated;
    }
}

/// Linux cooked capture: `proto` is an EtherType when `arphrd` is a normal device.
fn cooked<'a>(proto: u16, arphrd: u16, rest: &'a [u8], p: &mut Packet) -> LaxSlicedPacket<'a> {
    // ARPHRD_NETLINK (824) and the 802.2/802.3 pseudo protocols carry no EtherType.
    if arphrd == 824 || proto < 0x0600 {
        p.status = DecodeStatus::Decoded;
        p.net = Network::Other(proto);
        return LaxSlicedPacket::from_ether_type(EtherType(0xffff), &[]);
    }
    LaxSlicedPacket::from_ether_type(EtherType(proto), rest)
}

/// Raw IP at `ip`, within the captured `frame`.
fn from_ip(ip: &[u8], frame: &[u8], p: &mut Packet) {
    match &LaxSlicedPacket::from_ip(ip) {
        Ok(s) => from_sliced(s, frame, p),
        Err(e) => {
            use etherparse::err::ip::LaxHeaderSliceError;
            p.status = match e {
                LaxHeaderSliceError::Len(_) => DecodeStatus::Truncated,
                LaxHeaderSliceError::Content(_) => DecodeStatus::Undecodable,
            };
            from_sliced(
                &LaxSlicedPacket::from_ether_type(EtherType(0xffff), &[]),
                frame,
                p,
            )
        }
    }
}

fn is_len_error(e: &etherparse::err::packet::SliceError) -> bool {
    matches!(e, etherparse::err::packet::SliceError::Len(LenError { .. }))
}

fn fill_from_sliced(s: &LaxSlicedPacket<'_>, frame: &[u8], p: &mut Packet) {
    if let Some(etherparse::LinkSlice::Ethernet2(eth)) = &s.link {
        p.eth_src = Some(eth.source());
    }
    for ext in &s.link_exts {
        if let etherparse::LaxLinkExtSlice::Vlan(v) = ext {
            p.vlan.get_or_insert(v.vlan_identifier().value());
        }
    }
    if let Some((err, _layer)) = &s.stop_err {
        p.status = if is_len_error(err) {
            DecodeStatus::Truncated
        } else {
            DecodeStatus::Undecodable
        };
    }
    // etherparse picks IPv4 or IPv6 from the version nibble; the EtherType must agree
    // (Wireshark calls IPv4 inside 0x86dd a bogus IPv6 version).
    let ether_type = s.ether_payload().map(|e| e.ether_type.0);
    let mismatch = match (&s.net, ether_type) {
        (Some(LaxNetSlice::Ipv4(_)), Some(et)) => et != 0x0800,
        (Some(LaxNetSlice::Ipv6(_)), Some(et)) => et != 0x86dd,
        _ => false,
    };
    if mismatch {
        p.status = DecodeStatus::Undecodable;
        p.net = Network::Other(ether_type.unwrap_or(0));
        return;
    }
    match &s.net {
        Some(LaxNetSlice::Arp(arp)) => {
            let pkt = arp.to_packet();
            let eth_dst = match &s.link {
                Some(etherparse::LinkSlice::Ethernet2(eth)) => Some(eth.destination()),
                _ => None,
            };
            match pkt.try_eth_ipv4() {
                Ok(a) => {
                    p.net = Network::Arp(ArpInfo {
                        op: pkt.operation.0,
                        sender_mac: a.sender_mac,
                        sender_ip: Ipv4Addr::from(a.sender_ipv4),
                        target_mac: a.target_mac,
                        target_ip: Ipv4Addr::from(a.target_ipv4),
                        eth_dst,
                    })
                }
                Err(_) => p.net = Network::Other(0x0806),
            }
        }
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let payload = v4.payload();
            let frag = if h.fragments_offset().value() != 0 {
                Fragment::Later
            } else if h.more_fragments() {
                Fragment::First
            } else {
                Fragment::None
            };
            let mut ip = ipv4_info(&h, frag, payload.ip_number.0);
            if payload.incomplete && p.status == DecodeStatus::Decoded {
                p.status = DecodeStatus::Truncated;
            }
            let ip_payload_len = (h.total_len() as u32).saturating_sub(h.ihl() as u32 * 4);
            transport(
                s,
                frame,
                payload.ip_number.0,
                payload.fragmented,
                frag,
                ip_payload_len,
                &mut ip,
                p,
            );
            p.net = Network::Ip(ip);
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let payload = v6.payload();
            let mut frag = Fragment::None;
            let mut ip_id = 0;
            // Walk the extension headers ourselves: etherparse 0.21's extension iterator
            // reads out of bounds on some malformed chains (found by fuzzing).
            if let Some((id, f)) = ipv6_fragment(h.next_header().0, v6.extensions().slice()) {
                ip_id = id;
                frag = f;
            }
            let mut ip = ipv6_info(&h, ip_id, frag, payload.ip_number.0);
            if payload.incomplete && p.status == DecodeStatus::Decoded {
                p.status = DecodeStatus::Truncated;
            }
            // Transport payload length: what the IPv6 header announces after the extensions.
            let ext_len = (payload.payload.as_ptr() as usize)
                .saturating_sub(h.slice().as_ptr() as usize)
                .saturating_sub(40) as u32;
            let l4_len = (h.payload_length() as u32).saturating_sub(ext_len);
            transport(
                s,
                frame,
                payload.ip_number.0,
                payload.fragmented,
                frag,
                l4_len,
                &mut ip,
                p,
            );
            p.net = Network::Ip(ip);
        }
        None => {
            if p.net == Network::None {
                if let Some(et) = s.ether_payload().map(|e| e.ether_type.0) {
                    // A valid frame carrying a protocol we do not analyse (LLDP, STP...).
                    if !matches!(et, 0x0800 | 0x86dd | 0x0806) {
                        p.net = Network::Other(et);
                        return;
                    }
                }
                if p.status == DecodeStatus::Decoded {
                    p.status = DecodeStatus::Undecodable;
                }
            }
        }
    }
}

/// The IPv4 layer of header `h` (its transport still to fill in).
fn ipv4_info(h: &etherparse::Ipv4HeaderSlice<'_>, fragment: Fragment, ip_number: u8) -> IpInfo {
    IpInfo {
        src: IpAddr::V4(h.source_addr()),
        dst: IpAddr::V4(h.destination_addr()),
        ttl: h.ttl(),
        ip_id: h.identification() as u32,
        ip_len: h.total_len() as u32,
        fragment,
        has_options: h.ihl() > 5,
        transport: Transport::Other(ip_number),
    }
}

/// The IPv6 layer of header `h` (its transport still to fill in).
fn ipv6_info(
    h: &etherparse::Ipv6HeaderSlice<'_>,
    ip_id: u32,
    fragment: Fragment,
    ip_number: u8,
) -> IpInfo {
    IpInfo {
        src: IpAddr::V6(h.source_addr()),
        dst: IpAddr::V6(h.destination_addr()),
        ttl: h.hop_limit(),
        ip_id,
        ip_len: 40 + h.payload_length() as u32,
        fragment,
        has_options: false,
        transport: Transport::Other(ip_number),
    }
}

/// A TCP header's fields (options read on SYNs only); `l4_len` is the segment's length as
/// the IP header says.
fn tcp_info(t: &etherparse::TcpSlice<'_>, l4_len: u32) -> TcpInfo {
    let mut info = TcpInfo {
        src_port: t.source_port(),
        dst_port: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags: frame_flags(t),
        window: t.window_size(),
        wscale: None,
        mss: None,
        payload_len: l4_len.saturating_sub(t.header_len() as u32),
    };
    if info.has(tcp_flags::SYN) {
        for opt in t.options_iterator().flatten() {
            match opt {
                etherparse::TcpOptionElement::WindowScale(w) => info.wscale = Some(w),
                etherparse::TcpOptionElement::MaximumSegmentSize(m) => info.mss = Some(m),
                _ => {}
            }
        }
    }
    info
}

/// A UDP header's ports and the payload length its length field gives.
fn udp_info(u: &etherparse::UdpSlice<'_>) -> UdpInfo {
    UdpInfo {
        src_port: u.source_port(),
        dst_port: u.destination_port(),
        payload_len: (u.length() as u32).saturating_sub(8),
    }
}

/// Records where `payload` (a sub-slice of `frame`) lies within the frame.
fn set_payload(payload: &[u8], frame: &[u8], p: &mut Packet) {
    let off = (payload.as_ptr() as usize).saturating_sub(frame.as_ptr() as usize);
    if off <= frame.len() {
        p.payload_off = off as u32;
        p.payload_caplen = payload.len().min(frame.len() - off) as u32;
    }
}

/// Finds an IPv6 fragment header in the extension-header bytes `ext` (which follow the fixed
/// header whose next-header field is `next`): its identification and fragment position.
fn ipv6_fragment(next: u8, ext: &[u8]) -> Option<(u32, Fragment)> {
    let (id, offset, more) = ipv6_fragment_header(next, ext)?;
    let f = if offset != 0 {
        Fragment::Later
    } else if more {
        Fragment::First
    } else {
        Fragment::None
    };
    Some((id, f))
}

/// The IPv6 Fragment header in the extension headers `ext` (which follow the fixed header
/// whose next-header field is `next`): identification, byte offset, more fragments.
fn ipv6_fragment_header(mut next: u8, ext: &[u8]) -> Option<(u32, u16, bool)> {
    let mut off = 0usize;
    for _ in 0..16 {
        let h = ext.get(off..)?;
        match next {
            44 => {
                let b = h.get(..8)?;
                let offset = (u16::from_be_bytes([b[2], b[3]]) >> 3) * 8;
                let more = b[3] & 1 == 1;
                let id = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                return Some((id, offset, more));
            }
            0 | 43 | 60 | 135 | 139 | 140 => {
                let b = h.get(..2)?;
                next = b[0];
                off = off.checked_add((b[1] as usize + 1) * 8)?;
            }
            51 => {
                let b = h.get(..2)?;
                next = b[0];
                off = off.checked_add((b[1] as usize + 2) * 4)?;
            }
            _ => return None,
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn transport(
    s: &LaxSlicedPacket<'_>,
    frame: &[u8],
    ip_number: u8,
    fragmented: bool,
    frag: Fragment,
    l4_len: u32,
    ip: &mut IpInfo,
    p: &mut Packet,
) {
    if fragmented && frag == Fragment::Later {
        ip.transport = Transport::Fragment(ip_number);
        return;
    }
    match &s.transport {
        Some(TransportSlice::Tcp(t)) => {
            set_payload(t.payload(), frame, p);
            ip.transport = Transport::Tcp(tcp_info(t, l4_len));
        }
        Some(TransportSlice::Udp(u)) => {
            set_payload(u.payload(), frame, p);
            ip.transport = Transport::Udp(udp_info(u));
        }
        Some(TransportSlice::Icmpv4(i)) => {
            let b = i.bytes5to8();
            let t = i.type_u8();
            let mut info = IcmpInfo {
                v6: false,
                icmp_type: t,
                code: i.code_u8(),
                echo_id: matches!(t, icmp::ECHO_REPLY | icmp::ECHO_REQUEST).then(|| u16::from_be_bytes([b[0], b[1]])),
                mtu: (t == icmp::DEST_UNREACHABLE && i.code_u8() == icmp::FRAG_NEEDED).then(|| u16::from_be_bytes([b[2], b[3]]) as u32),
                quoted: None,
            };
            if info.is_error() {
                info.quoted = quoted(i.payload());
            }
            set_payload(i.payload(), frame, p);
            ip.transport = Transport::Icmp(info);
        }
        Some(TransportSlice::Icmpv6(i)) => {
            let b = i.bytes5to8();
            let t = i.type_u8();
            let mut info = IcmpInfo {
                v6: true,
                icmp_type: t,
                code: i.code_u8(),
                echo_id: matches!(t, icmpv6::ECHO_REQUEST | icmpv6::ECHO_REPLY).then(|| u16::from_be_bytes([b[0], b[1]])),
                mtu: (t == icmpv6::PACKET_TOO_BIG).then(|| u32::from_be_bytes(b)),
                quoted: None,
            };
            if info.is_error() {
                info.quoted = quoted(i.payload());
            }
            set_payload(i.payload(), frame, p);
            ip.transport = Transport::Icmp(info);
        }
        Some(_) => {}
        None if fragmented && frag == Fragment::First => {
            // First fragment: the transport header is here even though the datagram is not
            // whole (Wireshark shows its ports too). Payload length is the reassembled one.
            let ip_payload = s.ip_payload().map(|p| p.payload).unwrap_or(&[]);
            match ip_number {
                17 => {
                    if let Ok(u) = etherparse::UdpSlice::from_slice_lax(ip_payload) {
                        ip.transport = Transport::Udp(udp_info(&u));
                    }
                }
                6 => {
                    if let Ok(t) = etherparse::TcpSlice::from_slice(ip_payload) {
                        ip.transport = Transport::Tcp(TcpInfo {
                            src_port: t.source_port(),
                            dst_port: t.destination_port(),
                            seq: t.sequence_number(),
                            ack: t.acknowledgment_number(),
                            flags: frame_flags(&t),
                            window: t.window_size(),
                            wscale: None,
                            mss: None,
                            payload_len: l4_len.saturating_sub(t.header_len() as u32),
                        });
                    }
                }
                _ => {}
            }
        }
        None => {
            // No transport although the protocol is one we decode: header cut or malformed
            // (stop_err says which; status was set from it).
            if matches!(ip_number, 6 | 17 | 1 | 58)
                && !fragmented
                && p.status == DecodeStatus::Decoded
            {
                p.status = DecodeStatus::Truncated;
            }
            // A TCP header cut inside its options (a small snaplen on a SYN): the fixed 20
            // bytes still tell ports, sequence numbers and flags, as Wireshark shows them.
            let ip_payload = s.ip_payload().map(|p| p.payload).unwrap_or(&[]);
            if ip_number == 6 && p.status == DecodeStatus::Truncated && ip_payload.len() >= 20 {
                let b = ip_payload;
                let data_offset = (b[12] >> 4) as u32 * 4;
                if data_offset >= 20 {
                    let be16 = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
                    let be32 = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
                    ip.transport = Transport::Tcp(TcpInfo {
                        src_port: be16(0),
                        dst_port: be16(2),
                        seq: be32(4),
                        ack: be32(8),
                        flags: b[13],
                        window: be16(14),
                        wscale: None,
                        mss: None,
                        payload_len: l4_len.saturating_sub(data_offset),
                    });
                }
            }
        }
    }
}

fn frame_flags(t: &etherparse::TcpSlice<'_>) -> u8 {
    use tcp_flags::*;
    let mut f = 0;
    if t.fin() {
        f |= FIN;
    }
    if t.syn() {
        f |= SYN;
    }
    if t.rst() {
        f |= RST;
    }
    if t.psh() {
        f |= PSH;
    }
    if t.ack() {
        f |= ACK;
    }
    if t.urg() {
        f |= URG;
    }
    if t.ece() {
        f |= ECE;
    }
    if t.cwr() {
        f |= CWR;
    }
    f
}

/// Decodes the IP header and first transport bytes quoted by an ICMP error.
fn quoted(payload: &[u8]) -> Option<Quoted> {
    let s = LaxSlicedPacket::from_ip(payload).ok()?;
    let (src, dst, proto, l4) = match &s.net {
        Some(LaxNetSlice::Ipv4(v4)) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload().ip_number.0,
            v4.payload().payload,
        ),
        Some(LaxNetSlice::Ipv6(v6)) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload().ip_number.0,
            v6.payload().payload,
        ),
        _ => return None,
    };
    let port = |i: usize| {
        l4.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .unwrap_or(0)
    };
    let tcp_seq = (proto == 6)
        .then(|| {
            l4.get(4..8)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        })
        .flatten();
    let (src_port, dst_port) = if matches!(proto, 6 | 17 | 132) {
        (port(0), port(2))
    } else {
        (0, 0)
    };
    Some(Quoted {
        src,
        dst,
        proto,
        src_port,
        dst_port,
        tcp_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real frame: TCP SYN 10.0.0.2:40000 -> 10.0.0.5:8081 (Ethernet, with MSS and wscale).
    fn syn_frame() -> Vec<u8> {
        let mut f = vec![
            0x02, 0, 0, 0, 0, 0x05, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00, // ethernet
            0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0,
            5, // ipv4
            0x9c, 0x40, 0x1f, 0x91, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0, 0,
            0, // tcp, data offset 6
            2, 4, 0x05, 0xb4, // MSS 1460
        ];
        f.truncate(14 + 44);
        f
    }

    #[test]
    fn parse_syn() {
        let f = syn_frame();
        let p = decode(0, 1, 0, linktype::ETHERNET, &f, f.len() as u32, false);
        assert_eq!(p.status, DecodeStatus::Decoded);
        let t = p.tcp().unwrap();
        assert_eq!((t.src_port, t.dst_port), (40000, 8081));
        assert!(t.has(tcp_flags::SYN) && !t.has(tcp_flags::ACK));
        assert_eq!(t.mss, Some(1460));
        assert_eq!(t.payload_len, 0);
    }

    #[test]
    fn parse_truncated_at_every_length() {
        let f = syn_frame();
        for cut in 0..f.len() {
            let p = decode(
                0,
                1,
                0,
                linktype::ETHERNET,
                &f[..cut],
                f.len() as u32,
                false,
            );
            assert_eq!(p.status, DecodeStatus::Truncated, "cut {cut}");
        }
    }

    #[test]
    fn unknown_link_type_is_undecodable() {
        let p = decode(0, 1, 0, 9999, &[1, 2, 3], 3, false);
        assert_eq!(p.status, DecodeStatus::Undecodable);
    }

    #[test]
    fn bad_ip_version_is_undecodable() {
        let p = decode(0, 1, 0, linktype::RAW, &[0x75; 40], 40, false);
        assert_eq!(p.status, DecodeStatus::Undecodable);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic sweep; the fuzz targets go much further.
        let mut x: u32 = 0x1234_5678;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            for lt in [0, 1, 101, 108, 113, 228, 229, 276] {
                let _ = decode(0, 1, 0, lt, &bytes, len as u32, false);
            }
        }
    }
}
