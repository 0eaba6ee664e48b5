//! The common frame, decoded without etherparse's lax slicer: Ethernet II without a VLAN tag,
//! a whole IPv4 or IPv6 packet (not a fragment, no IPv4 authentication header, no IPv6
//! extension header) carrying TCP or UDP whose header is complete.
//!
//! On a busy capture nearly every frame is that. `LaxSlicedPacket` (over 300 bytes) is built
//! and moved for every frame, and its copies cost 6% of a one-thread run (perf). Here the
//! same etherparse slices the lax slicer uses (`Ethernet2HeaderSlice`, `Ipv4Slice`,
//! `Ipv6Slice`, `TcpSlice`, `UdpSlice::from_slice_lax`) are taken directly. The strict
//! `Ipv4Slice`/`Ipv6Slice` accept only a packet the lax slicer slices the same way: a length
//! field beyond the captured bytes, a jumbogram, a fragment or anything unusual returns
//! `false`, and [`super::decode`] takes the general path. Both paths give the same
//! [`Packet`] for every frame: a test checks it on every fixture and corpus frame, and the
//! `frame` fuzz target checks it on arbitrary bytes.

use etherparse::{EtherType, Ethernet2HeaderSlice, IpPayloadSlice, Ipv4Slice, Ipv6Slice};

use super::{DecodeStatus, Fragment, IpInfo, Network, Packet, Transport};

/// Decodes `data`, an Ethernet frame, into `p` when it is the common case; false (and `p`
/// untouched) otherwise.
pub(super) fn ethernet(data: &[u8], p: &mut Packet) -> bool {
    let Ok(eth) = Ethernet2HeaderSlice::from_slice(data) else {
        return false;
    };
    let Some(rest) = data.get(eth.slice().len()..) else {
        return false;
    };
    let ip = match eth.ether_type() {
        EtherType::IPV4 => ipv4(rest, data, p),
        EtherType::IPV6 => ipv6(rest, data, p),
        _ => None,
    };
    let Some(ip) = ip else { return false };
    p.net = Network::Ip(ip);
    p.eth_src = Some(eth.source());
    if p.caplen < p.wire_len {
        p.status = DecodeStatus::Truncated;
    }
    true
}

fn ipv4(bytes: &[u8], frame: &[u8], p: &mut Packet) -> Option<IpInfo> {
    let v4 = Ipv4Slice::from_slice(bytes).ok()?;
    let h = v4.header();
    let payload = v4.payload();
    if payload.fragmented || v4.extensions().auth.is_some() {
        return None;
    }
    let mut ip = super::ipv4_info(&h, Fragment::None, payload.ip_number.0);
    let l4_len = (h.total_len() as u32).saturating_sub(h.ihl() as u32 * 4);
    transport(payload, l4_len, frame, &mut ip, p)?;
    Some(ip)
}

fn ipv6(bytes: &[u8], frame: &[u8], p: &mut Packet) -> Option<IpInfo> {
    let v6 = Ipv6Slice::from_slice(bytes).ok()?;
    let h = v6.header();
    let payload = v6.payload();
    // A jumbogram (payload length 0) or any extension header: the general path.
    if h.payload_length() == 0 || !v6.extensions().slice().is_empty() || payload.fragmented {
        return None;
    }
    let mut ip = super::ipv6_info(&h, 0, Fragment::None, payload.ip_number.0);
    transport(payload, h.payload_length() as u32, frame, &mut ip, p)?;
    Some(ip)
}

/// The TCP or UDP header in `payload`, into `ip`, and the application payload's place in
/// `frame` into `p`; None (nothing written) for other protocols or a header cut short.
fn transport(
    payload: &IpPayloadSlice<'_>,
    l4_len: u32,
    frame: &[u8],
    ip: &mut IpInfo,
    p: &mut Packet,
) -> Option<()> {
    let (transport, app) = match payload.ip_number.0 {
        6 => {
            let t = etherparse::TcpSlice::from_slice(payload.payload).ok()?;
            (Transport::Tcp(super::tcp_info(&t, l4_len)), t.payload())
        }
        17 => {
            let u = etherparse::UdpSlice::from_slice_lax(payload.payload).ok()?;
            (Transport::Udp(super::udp_info(&u)), u.payload())
        }
        _ => return None,
    };
    ip.transport = transport;
    super::set_payload(app, frame, p);
    Some(())
}

#[cfg(test)]
mod tests {
    use crate::capture::{Batch, FrameReader, Input};
    use std::path::{Path, PathBuf};

    fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                captures(&path, out);
            } else {
                out.push(path); // what is not a capture fails to open and is skipped
            }
        }
    }

    /// Every frame of every fixture and corpus capture decodes to the same `Packet` with and
    /// without the fast path, and the fast path takes most of them.
    #[test]
    fn fast_path_agrees_with_the_general_decoder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        captures(&root.join("fixtures"), &mut files);
        captures(&root.join("../shared/corpus"), &mut files);
        files.sort();
        assert!(files.len() >= 50, "{} captures", files.len());
        let (mut frames, mut fast, mut opened) = (0u64, 0u64, 0);
        for path in &files {
            let Ok(mut reader) = FrameReader::open(&Input::Path(path.clone())) else {
                continue;
            };
            opened += 1;
            let mut batch = Batch::default();
            while let Ok(true) = reader.next_batch(&mut batch) {
                for f in &batch.frames {
                    let data = batch.data(f);
                    let args = (0, f.number, f.ts_ns, f.linktype, data, f.origlen, f.malformed);
                    let a = super::super::decode(args.0, args.1, args.2, args.3, args.4, args.5, args.6);
                    let mut b = super::super::Packet::EMPTY;
                    super::super::decode_into(
                        &mut b, args.0, args.1, args.2, args.3, args.4, args.5, args.6, false,
                    );
                    assert_eq!(a, b, "{} frame {}", path.display(), f.number);
                    frames += 1;
                    let mut p = b;
                    p.net = super::Network::None;
                    fast += super::ethernet(data, &mut p) as u64;
                }
            }
        }
        // The fixtures alone hold about 14,000 frames; the corpus, when present, 22,000 more.
        assert!(frames > 10_000, "{frames} frames");
        assert!(fast * 2 > frames, "{fast} of {frames} frames on the fast path");
        eprintln!("{fast} of {frames} frames on the fast path, {opened} captures");
    }
}
