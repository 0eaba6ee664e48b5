//! IP fragment reassembly, IPv4 and IPv6, bounded, with etherparse's [`IpDefragBuf`] doing
//! the byte work (its pool, `IpDefragPool`, has no memory bound and no way to count what it
//! holds, so the bookkeeping around the buffers is here).
//!
//! - **Keyed** like the IP RFCs: source, destination, protocol and identification
//!   (IPv4 RFC 791, IPv6 RFC 8200 §4.5) and the capture, so two captures never mix.
//! - **Bounds:** a datagram is at most 65,535 bytes (the IP limit, enforced by
//!   `IpDefragBuf`); at most [`MAX_DATAGRAMS`] are in reassembly at once and they hold at
//!   most [`MAX_BYTES`] together: a fragment that would exceed either is dropped and counted.
//!   An incomplete datagram is abandoned [`TIMEOUT_NS`] after its first fragment (Linux's
//!   `ipfrag_time`, 30 s).
//! - **Overlaps:** bytes that overlap bytes already received are overwritten by the later
//!   fragment (`IpDefragBuf`'s behaviour, Suricata's "last" policy); each datagram with an
//!   overlap is counted, since an overlap is either a retransmission or an evasion attempt.
//! - **Attribution:** the reassembled datagram belongs to the fragment that completed it,
//!   as Wireshark shows the reassembled message in the last fragment's frame.
//!
//! The counters ([`DefragStats`]) end up in the report's `summary.limits` when anything was
//! dropped or abandoned.

use std::collections::HashMap;
use std::net::IpAddr;

use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber, LaxNetSlice, LaxSlicedPacket};

use super::linktype;

/// Datagrams in reassembly at once, at most.
pub const MAX_DATAGRAMS: usize = 4096;
/// Bytes held by datagrams in reassembly, at most (16 MiB).
pub const MAX_BYTES: usize = 16 << 20;
/// How long an incomplete datagram is kept after its first fragment (30 s, Linux's
/// `net.ipv4.ipfrag_time`).
pub const TIMEOUT_NS: i64 = 30_000_000_000;

/// One fragment, as read again from its frame.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    /// The protocol of the whole datagram (IPv6: the header after the Fragment header).
    pub proto: u8,
    /// Byte offset of `data` in the datagram.
    pub offset: u16,
    /// More fragments follow.
    pub more: bool,
    /// This fragment's bytes of the datagram's payload.
    pub data: &'a [u8],
}

/// A reassembled datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub capture: u16,
    /// Frame and time of the fragment that completed it.
    pub frame: u64,
    pub ts_ns: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    /// The IP payload: transport header and data.
    pub data: Vec<u8>,
}

/// What reassembly did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefragStats {
    /// Datagrams reassembled.
    pub reassembled: u64,
    /// Datagrams abandoned incomplete (timed out, or still incomplete at the end).
    pub incomplete: u64,
    /// Fragments dropped because of [`MAX_DATAGRAMS`] or [`MAX_BYTES`].
    pub dropped: u64,
    /// Fragments that could not be placed (inconsistent ends, unaligned, too big).
    pub invalid: u64,
    /// Datagrams in which fragments overlapped.
    pub overlapping: u64,
}

type Key = (u16, IpAddr, IpAddr, u8, u32);

/// One datagram in reassembly.
struct Pending {
    buf: IpDefragBuf,
    first_ts_ns: i64,
    overlapped: bool,
}

/// The reassembler.
#[derive(Default)]
pub struct Defrag {
    pending: HashMap<Key, Pending>,
    bytes: usize,
    pub stats: DefragStats,
}

impl std::fmt::Debug for Defrag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Defrag")
            .field("pending", &self.pending.len())
            .field("bytes", &self.bytes)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Defrag {
    /// Adds fragment `p` (frame `frame` of capture `capture` at `ts_ns`); returns the
    /// datagram when this fragment completes it.
    pub fn push(&mut self, capture: u16, frame: u64, ts_ns: i64, p: &Piece<'_>) -> Option<Datagram> {
        let key = (capture, p.src, p.dst, p.proto, p.id);
        let end = p.offset as usize + p.data.len();
        if !self.pending.contains_key(&key) {
            if self.pending.len() >= MAX_DATAGRAMS || self.bytes + end > MAX_BYTES {
                self.stats.dropped += 1;
                return None;
            }
            let buf = IpDefragBuf::new(IpNumber(p.proto), Vec::new(), Vec::new());
            self.pending.insert(
                key,
                Pending {
                    buf,
                    first_ts_ns: ts_ns,
                    overlapped: false,
                },
            );
        }
        let entry = self.pending.get_mut(&key)?;
        let before = entry.buf.data().len();
        if self.bytes + end.saturating_sub(before) > MAX_BYTES {
            self.stats.dropped += 1;
            return None;
        }
        let (lo, hi) = (p.offset, end.min(u16::MAX as usize) as u16);
        if entry
            .buf
            .sections()
            .iter()
            .any(|s| s.start < hi && lo < s.end)
        {
            entry.overlapped = true;
        }
        let Some(offset) = IpFragOffset::try_new(p.offset / 8).ok().filter(|_| p.offset % 8 == 0) else {
            self.stats.invalid += 1;
            return None;
        };
        if entry.buf.add(offset, p.more, p.data).is_err() {
            self.stats.invalid += 1;
            return None;
        }
        // The buffer can shrink: a last fragment ending before bytes already received
        // truncates the datagram to its end.
        self.bytes = self.bytes - before + entry.buf.data().len();
        if !entry.buf.is_complete() {
            return None;
        }
        let done = self.pending.remove(&key)?;
        self.bytes -= done.buf.data().len();
        self.stats.reassembled += 1;
        if done.overlapped {
            self.stats.overlapping += 1;
        }
        let (data, _) = done.buf.take_bufs();
        Some(Datagram {
            capture,
            frame,
            ts_ns,
            src: p.src,
            dst: p.dst,
            proto: p.proto,
            data,
        })
    }

    /// Abandons the datagrams whose first fragment is more than [`TIMEOUT_NS`] before
    /// `now_ns`.
    pub fn expire(&mut self, now_ns: i64) {
        let before = self.pending.len();
        let mut freed = 0;
        self.pending.retain(|_, d| {
            let keep = now_ns.saturating_sub(d.first_ts_ns) <= TIMEOUT_NS;
            if !keep {
                freed += d.buf.data().len();
            }
            keep
        });
        self.bytes -= freed;
        self.stats.incomplete += (before - self.pending.len()) as u64;
    }

    /// Abandons what is still incomplete (end of input) and returns the counters.
    pub fn finish(mut self) -> DefragStats {
        self.stats.incomplete += self.pending.len() as u64;
        self.stats
    }
}

/// The fragment in `data`, a frame of `linktype` that `decode` found to be an IP fragment.
pub fn piece(linktype: u32, data: &[u8]) -> Option<Piece<'_>> {
    let sliced = match linktype {
        linktype::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok()?,
        linktype::RAW | linktype::IPV4 | linktype::IPV6 | linktype::RAW_OPENBSD => {
            LaxSlicedPacket::from_ip(data).ok()?
        }
        linktype::NULL | linktype::LOOP => LaxSlicedPacket::from_ip(data.get(4..)?).ok()?,
        linktype::LINUX_SLL => {
            let proto = u16::from_be_bytes([*data.get(14)?, *data.get(15)?]);
            LaxSlicedPacket::from_ether_type(etherparse::EtherType(proto), data.get(16..)?)
        }
        linktype::LINUX_SLL2 => {
            let proto = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
            LaxSlicedPacket::from_ether_type(etherparse::EtherType(proto), data.get(20..)?)
        }
        _ => return None,
    };
    match sliced.net? {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            let payload = v4.payload();
            // Only what the IP header says belongs to the datagram (no Ethernet padding).
            let len = (h.total_len() as usize).saturating_sub(h.ihl() as usize * 4);
            Some(Piece {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                id: h.identification() as u32,
                proto: payload.ip_number.0,
                offset: h.fragments_offset().byte_offset(),
                more: h.more_fragments(),
                data: &payload.payload[..payload.payload.len().min(len)],
            })
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            let (id, offset, more) = super::ipv6_fragment_header(h.next_header().0, v6.extensions().slice())?;
            let payload = v6.payload();
            Some(Piece {
                src: IpAddr::V6(h.source_addr()),
                dst: IpAddr::V6(h.destination_addr()),
                id,
                proto: payload.ip_number.0,
                offset,
                more,
                data: payload.payload,
            })
        }
        LaxNetSlice::Arp(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(id: u32, offset: u16, more: bool, data: &[u8]) -> Piece<'_> {
        Piece {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            id,
            proto: 17,
            offset,
            more,
            data,
        }
    }

    #[test]
    fn fragments_in_any_order_make_the_datagram_attributed_to_the_last() {
        let mut d = Defrag::default();
        let a = [1u8; 16];
        let b = [2u8; 16];
        let c = [3u8; 5];
        assert!(d.push(0, 1, 10, &piece(7, 16, true, &b)).is_none());
        assert!(d.push(0, 2, 11, &piece(7, 32, false, &c)).is_none());
        let g = d.push(0, 3, 12, &piece(7, 0, true, &a)).expect("complete");
        assert_eq!(g.frame, 3);
        assert_eq!(g.data.len(), 37);
        assert_eq!(&g.data[..16], &a);
        assert_eq!(&g.data[32..], &c);
        assert_eq!(d.stats.reassembled, 1);
        assert_eq!(d.bytes, 0);
    }

    #[test]
    fn incomplete_datagrams_time_out_and_limits_hold() {
        let mut d = Defrag::default();
        assert!(d.push(0, 1, 0, &piece(1, 0, true, &[0; 8])).is_none());
        d.expire(TIMEOUT_NS);
        assert_eq!(d.pending.len(), 1, "not yet");
        d.expire(TIMEOUT_NS + 1);
        assert_eq!((d.pending.len(), d.stats.incomplete, d.bytes), (0, 1, 0));
        for id in 0..MAX_DATAGRAMS as u32 + 10 {
            d.push(0, 1, 0, &piece(id, 0, true, &[0; 8]));
        }
        assert_eq!(d.pending.len(), MAX_DATAGRAMS);
        assert_eq!(d.stats.dropped, 10);
        assert_eq!(d.finish().incomplete, 1 + MAX_DATAGRAMS as u64);
    }

    #[test]
    fn overlaps_are_counted_and_the_later_bytes_kept() {
        let mut d = Defrag::default();
        d.push(0, 1, 0, &piece(9, 0, true, &[1; 16]));
        d.push(0, 2, 0, &piece(9, 8, true, &[2; 16]));
        let g = d.push(0, 3, 0, &piece(9, 24, false, &[3; 4])).unwrap();
        assert_eq!(&g.data[8..16], &[2; 8]);
        assert_eq!(d.stats.overlapping, 1);
    }

    #[test]
    fn a_last_fragment_that_ends_early_shrinks_the_datagram_without_a_panic() {
        // Found by the fuzzer: 64 bytes first, then a last fragment ending at 16.
        let mut d = Defrag::default();
        assert!(d.push(0, 1, 0, &piece(5, 0, true, &[1; 64])).is_none());
        let g = d.push(0, 2, 0, &piece(5, 8, false, &[2; 8])).expect("complete at 16");
        assert_eq!(g.data.len(), 16);
        assert_eq!(d.bytes, 0);
    }

    #[test]
    fn unaligned_or_conflicting_fragments_are_invalid_not_a_panic() {
        let mut d = Defrag::default();
        assert!(d.push(0, 1, 0, &piece(3, 0, true, &[0; 7])).is_none());
        assert!(d.push(0, 2, 0, &piece(3, 8, false, &[0; 8])).is_none());
        assert!(d.push(0, 3, 0, &piece(3, 8, false, &[0; 16])).is_none());
        assert!(d.stats.invalid >= 2, "{:?}", d.stats);
    }
}
