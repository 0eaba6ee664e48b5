//! Events: the notable messages the analysis pass keeps for the detectors besides flows.
//!
//! Made by one stage and read by the next: the analysis pass makes the per-packet events
//! (ARP, ICMP errors, DNS over UDP) with the constructors here, the flow stage makes those
//! that need a reassembled TCP stream (DNS over TCP, HTTP exchanges, TLS handshakes); the
//! detectors only read them. Every event carries its capture index, frame number (as
//! Wireshark numbers it) and timestamp, so any finding built on it can cite the frame.

use std::net::{IpAddr, Ipv4Addr};

use crate::decode::dns::DnsMessage;
use crate::decode::tls::{ClientOffer, KeyExchange};
use crate::decode::{IcmpInfo, Network, Packet, Transport};

/// An ARP packet, kept for the network-layer detectors.
#[derive(Debug, Clone, Copy)]
pub struct ArpEvent {
    pub capture: u16,
    pub frame: u64,
    pub ts_ns: i64,
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: Ipv4Addr,
    pub eth_src: Option<[u8; 6]>,
    pub eth_dst: Option<[u8; 6]>,
    pub vlan: Option<u16>,
}

/// An ICMP or ICMPv6 error message (unreachable, time exceeded, packet too big...).
#[derive(Debug, Clone, Copy)]
pub struct IcmpEvent {
    pub capture: u16,
    pub frame: u64,
    pub ts_ns: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub icmp: IcmpInfo,
}

/// A DNS message (over UDP or TCP) with where and when it was seen.
#[derive(Debug, Clone)]
pub struct DnsEvent {
    pub capture: u16,
    pub frame: u64,
    pub ts_ns: i64,
    pub src: IpAddr,
    pub src_port: u16,
    pub dst: IpAddr,
    pub dst_port: u16,
    pub tcp: bool,
    pub msg: DnsMessage,
}

/// DNS ports analysed (mDNS and LLMNR are link-local chatter, not resolution).
pub fn is_dns_port(port: u16) -> bool {
    port == 53
}

/// One request and, when seen, its response.
#[derive(Debug, Clone)]
pub struct HttpEvent {
    pub capture: u16,
    pub client: IpAddr,
    pub client_port: u16,
    pub server: IpAddr,
    pub server_port: u16,
    pub req_frame: u64,
    pub req_ts_ns: i64,
    pub method: String,
    pub uri: String,
    pub host: Option<String>,
    /// FNV-1a of the request body (first 64 KiB) and its length.
    pub body_hash: u64,
    pub body_len: u64,
    pub resp_frame: Option<u64>,
    pub resp_ts_ns: Option<i64>,
    pub status: Option<u16>,
    pub reason: Option<String>,
    pub retry_after: Option<String>,
    pub auth_scheme: Option<String>,
}

/// A plaintext alert with its sender and the handshake step it interrupted.
#[derive(Debug, Clone)]
pub struct TlsAlert {
    pub frame: u64,
    pub ts_ns: i64,
    pub by_server: bool,
    pub level: u8,
    pub description: u8,
    /// The last handshake message seen before it ("ClientHello", "ServerHello", ...).
    pub after: &'static str,
}

/// One TLS connection's handshake, as far as the capture shows it.
#[derive(Debug, Clone)]
pub struct TlsSession {
    pub capture: u16,
    pub client: IpAddr,
    pub client_port: u16,
    pub server: IpAddr,
    pub server_port: u16,
    pub first_frame: u64,
    pub first_ts_ns: i64,
    pub last_ts_ns: i64,
    pub offer: Option<ClientOffer>,
    pub client_hello_frame: Option<u64>,
    /// Frame, version and suite of the ServerHello.
    pub server_hello: Option<(u64, u16, u16)>,
    /// Frame of a TLS 1.3 HelloRetryRequest, and the group it asked for.
    pub hello_retry: Option<(u64, Option<u16>)>,
    /// The server's ephemeral key exchange (ServerKeyExchange), with its frame and time.
    pub key_exchange: Option<(u64, i64, KeyExchange)>,
    pub certificates: u16,
    /// The server sent a CertificateRequest (it wants a client certificate).
    pub cert_requested: bool,
    pub alerts: Vec<TlsAlert>,
    /// Encrypted records each side sent (after ChangeCipherSpec, or after a TLS 1.3
    /// ServerHello), and the length of the client's first one.
    pub client_encrypted: u32,
    pub server_encrypted: u32,
    pub client_first_encrypted_len: Option<u16>,
    /// Frame of the client's first encrypted record.
    pub client_first_encrypted_frame: Option<u64>,
    /// Records of type application data the client sent (in TLS 1.3 this includes its
    /// encrypted Finished).
    pub client_app_records: u32,
    /// The server's certificate chain as sent (DER, leaf first), with the frame and time of
    /// the packet that completed it: certificates are judged at that time.
    pub certs: std::sync::Arc<Vec<Vec<u8>>>,
    pub cert_frame: Option<u64>,
    pub cert_ts_ns: i64,
}

impl ArpEvent {
    /// The ARP event of `p`, if it is an ARP packet.
    pub fn of(p: &Packet) -> Option<ArpEvent> {
        let Network::Arp(a) = &p.net else { return None };
        Some(ArpEvent {
            capture: p.capture,
            frame: p.frame,
            ts_ns: p.ts_ns,
            op: a.op,
            sender_mac: a.sender_mac,
            sender_ip: a.sender_ip,
            target_mac: a.target_mac,
            target_ip: a.target_ip,
            eth_src: p.eth_src,
            eth_dst: a.eth_dst,
            vlan: p.vlan,
        })
    }
}

impl IcmpEvent {
    /// The ICMP error event of `p`, if it is an ICMP or ICMPv6 error message.
    pub fn of(p: &Packet) -> Option<IcmpEvent> {
        let Network::Ip(ip) = &p.net else { return None };
        let Transport::Icmp(i) = &ip.transport else {
            return None;
        };
        i.is_error().then_some(IcmpEvent {
            capture: p.capture,
            frame: p.frame,
            ts_ns: p.ts_ns,
            src: ip.src,
            dst: ip.dst,
            ttl: ip.ttl,
            icmp: *i,
        })
    }
}

/// An IPv6 Neighbor Discovery message (RFC 4861): a Neighbor Solicitation (who has
/// `target`?) or Advertisement (`target` is at me), the IPv6 counterpart of ARP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdpEvent {
    pub capture: u16,
    pub frame: u64,
    pub ts_ns: i64,
    /// Solicitation (else advertisement).
    pub solicitation: bool,
    /// The packet's source address (`::` for duplicate address detection).
    pub src: std::net::Ipv6Addr,
    /// The address asked for or announced.
    pub target: std::net::Ipv6Addr,
    /// Advertisement flags: override (O) set.
    pub override_flag: bool,
    /// Ethernet source of the frame, when known.
    pub eth_src: Option<[u8; 6]>,
    /// The link-layer address option (RFC 4861 4.6.1), when there is an Ethernet one: the
    /// source's (type 1) in a solicitation, the target's (type 2) in an advertisement.
    pub lladdr: Option<[u8; 6]>,
}

/// ICMPv6 Neighbor Solicitation and Advertisement types.
const NDP_NS: u8 = 135;
const NDP_NA: u8 = 136;

/// The Ethernet address in the link-layer address option of type `want` (1: source,
/// 2: target) among the options `opts` (type, length in units of 8 bytes, value), if any.
fn nd_lladdr(mut opts: &[u8], want: u8) -> Option<[u8; 6]> {
    while let [ty, len, ..] = *opts {
        let n = len as usize * 8;
        if n == 0 || n > opts.len() {
            return None; // a zero length is invalid (RFC 4861 4.6): stop
        }
        if ty == want && n == 8 {
            return opts[2..8].try_into().ok();
        }
        opts = &opts[n..];
    }
    None
}

impl NdpEvent {
    /// The Neighbor Discovery message in `p` (`frame`: its bytes), if it is one.
    pub fn of(p: &Packet, frame: &[u8]) -> Option<NdpEvent> {
        let Network::Ip(ip) = &p.net else { return None };
        let Transport::Icmp(i) = &ip.transport else {
            return None;
        };
        let (std::net::IpAddr::V6(src), true) = (ip.src, i.v6) else {
            return None;
        };
        if i.icmp_type != NDP_NS && i.icmp_type != NDP_NA {
            return None;
        }
        // The ICMPv6 body after its 8-byte header starts with the target address; the
        // advertisement's flags are the header's fifth byte.
        let body = p.payload(frame);
        let target: [u8; 16] = body.get(..16)?.try_into().ok()?;
        let flags = frame.get((p.payload_off as usize).checked_sub(4)?).copied().unwrap_or(0);
        let solicitation = i.icmp_type == NDP_NS;
        // Options follow the target address.
        let lladdr = nd_lladdr(body.get(16..).unwrap_or(&[]), if solicitation { 1 } else { 2 });
        Some(NdpEvent {
            capture: p.capture,
            frame: p.frame,
            ts_ns: p.ts_ns,
            solicitation,
            src,
            target: std::net::Ipv6Addr::from(target),
            override_flag: !solicitation && flags & 0x20 != 0,
            eth_src: p.eth_src,
            lladdr,
        })
    }
}

impl DnsEvent {
    /// The DNS message carried whole in the UDP datagram `p` (`frame`: its bytes), if any.
        pub fn of_udp(p: &Packet, frame: &[u8]) -> Option<DnsEvent> {
        let Network::Ip(ip) = &p.net else { return None };
        let Transport::Udp(u) = &ip.transport else {
            return None;
        };
        if ip.fragment != crate::decode::Fragment::None {
            return None; // not whole: the reassembled datagram carries the message
        }
        if !is_dns_port(u.src_port) && !is_dns_port(u.dst_port) {
            return None;
        }
        let msg = crate::decode::dns::parse(p.payload(frame)).ok()?;
        Some(DnsEvent {
            capture: p.capture,
            frame: p.frame,
            ts_ns: p.ts_ns,
            src: ip.src,
            src_port: u.src_port,
            dst: ip.dst,
            dst_port: u.dst_port,
            tcp: false,
            msg,
        })
    }

    /// The DNS message in a reassembled UDP datagram, attributed to the fragment that
    /// completed it.
    pub fn of_datagram(d: &crate::decode::frag::Datagram) -> Option<DnsEvent> {
        if d.proto != crate::decode::ip_proto::UDP {
            return None;
        }
        let h = d.data.get(..8)?;
        let src_port = u16::from_be_bytes([h[0], h[1]]);
        let dst_port = u16::from_be_bytes([h[2], h[3]]);
        let len = (u16::from_be_bytes([h[4], h[5]]) as usize).clamp(8, d.data.len());
        if !is_dns_port(src_port) && !is_dns_port(dst_port) {
            return None;
        }
        let msg = crate::decode::dns::parse(&d.data[8..len]).ok()?;
        Some(DnsEvent {
            capture: d.capture,
            frame: d.frame,
            ts_ns: d.ts_ns,
            src: d.src,
            src_port,
            dst: d.dst,
            dst_port,
            tcp: false,
            msg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::nd_lladdr;

    #[test]
    fn nd_link_layer_address_options() {
        // A nonce option (type 14, 8 bytes), then the target link-layer address.
        let opts = [14, 1, 9, 9, 9, 9, 9, 9, 2, 1, 2, 0, 0, 0, 0, 0x0b];
        assert_eq!(nd_lladdr(&opts, 2), Some([2, 0, 0, 0, 0, 0x0b]));
        assert_eq!(nd_lladdr(&opts, 1), None);
        // A zero length stops the walk; a cut option is not read.
        assert_eq!(nd_lladdr(&[14, 0, 2, 1, 2, 0, 0, 0, 0, 1], 2), None);
        assert_eq!(nd_lladdr(&opts[..12], 2), None);
        // Not Ethernet (16 bytes): no MAC.
        assert_eq!(nd_lladdr(&[2, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0], 2), None);
    }
}
