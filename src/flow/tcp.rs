//! TCP endpoint state and connection history with Zeek's meanings.
//!
//! The endpoint states, the `conn_state` table and the history letters follow Zeek's TCP
//! session adapter and `base/protocols/conn/main.zeek`, so a row of `pcap-rca flows` reads like
//! a line of conn.log:
//!
//! | letter | meaning (upper case: originator, lower case: responder) |
//! |---|---|
//! | s | a SYN without the ACK bit |
//! | h | a SYN-ACK ("handshake") |
//! | a | a pure ACK |
//! | d | a packet with payload ("data") |
//! | f | a packet with FIN |
//! | r | a packet with RST |
//! | c | a packet with a bad checksum (not computed by pcap-rca: see below) |
//! | g | a content gap: the peer acknowledged bytes this side sent that the capture lacks |
//! | t | a retransmitted payload packet |
//! | w | a zero-window advertisement |
//! | i | an inconsistent packet (FIN and RST together) |
//! | q | a multi-flag packet (SYN with FIN or RST) |
//! | ^ | the roles were flipped (the first packet seen came from the responder) |
//!
//! Letters s h a d f r i q appear once per direction (a repeated SYN, FIN or RST with a new
//! sequence number appears again, as in Zeek); g t w appear at 1, 10, 100, ... occurrences.
//! Checksums are not verified (captures taken on the sending host carry offloaded, unfilled
//! checksums), so `c` never appears; this matches Zeek run with `-C`.
//!
//! Sequence numbers compare modulo 2^32 (RFC 1982 serial arithmetic, RFC 9293 §3.4).

use super::expiry::{Slab, Slot};
use crate::decode::{TcpInfo, tcp_flags as F};

/// Largest sequence jump trusted from a SYN or RST (Zeek's `TOO_LARGE_SEQ_DELTA`).
const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

/// `a - b` in sequence space: positive when `a` is after `b`, across wrap-around.
pub fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// Zeek's TCP endpoint states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointState {
    #[default]
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// One side of a TCP connection.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub state: EndpointState,
    pub prev_state: EndpointState,
    initialized: bool,
    pub start_seq: u32,
    pub last_seq: u32,
    pub ack_seq: u32,
    /// Highest end of payload seen (for byte counts).
    data_end: u32,
    data_seen: bool,
    hist_seen: u16,
    last_syn: Option<u32>,
    last_fin: Option<u32>,
    last_rst: Option<u32>,
    pub did_close: bool,
    /// Holes, retransmissions, zero windows and missed bytes: allocated at the first of them
    /// (most connections never have one, and a live connection is smaller without them).
    trouble: Option<Box<Trouble>>,
    pub syn_count: u32,
    pub fin_count: u32,
    pub rst_count: u32,
    /// Last acknowledgement number this side sent, and how many pure ACKs repeated it.
    last_ack_sent: u32,
    dup_acks: u32,
}

/// What goes wrong on one side of a connection; see [`Endpoint::trouble`].
#[derive(Debug, Clone, Default)]
pub struct Trouble {
    /// Holes: ranges of sequence space skipped by a later segment, not (yet) filled; at most
    /// [`MAX_HOLES`].
    holes: Vec<(u32, u32, i64)>,
    pub retransmissions: u32,
    pub zero_windows: u32,
    pub gaps: u32,
    /// Largest payload among this side's retransmitted segments.
    pub max_rtx_len: u32,
    /// Bytes acknowledged by the peer but never seen in the capture (Zeek's missed_bytes).
    pub missed_bytes: u64,
    /// Frames of this side's first retransmission and first zero-window advertisement.
    /// (Frame numbers start at 1: `NonZeroU64` keeps each `Option` at 8 bytes.)
    pub first_rtx_frame: Option<std::num::NonZeroU64>,
    pub first_zero_window_frame: Option<std::num::NonZeroU64>,
    /// Frame of the first acknowledgement of bytes the capture never saw (from the peer).
    pub first_gap_frame: Option<std::num::NonZeroU64>,
}

/// The trouble of a side that had none.
static NO_TROUBLE: Trouble = Trouble {
    holes: Vec::new(),
    retransmissions: 0,
    zero_windows: 0,
    gaps: 0,
    max_rtx_len: 0,
    missed_bytes: 0,
    first_rtx_frame: None,
    first_zero_window_frame: None,
    first_gap_frame: None,
};

/// Records `frame` in `slot` unless an earlier frame is there already.
fn note_first(slot: &mut Option<std::num::NonZeroU64>, frame: u64) {
    if slot.is_none() {
        *slot = std::num::NonZeroU64::new(frame);
    }
}

/// Holes remembered per side.
const MAX_HOLES: usize = 4;

/// A segment filling a hole within this time of the hole appearing is reordering, not a
/// retransmission (Wireshark uses the same 3 ms default for "out-of-order").
pub const REORDER_WINDOW_NS: i64 = 3_000_000;

const H_SYN: u16 = 1;
const H_SYNACK: u16 = 2;
const H_ACK: u16 = 4;
const H_DATA: u16 = 8;
const H_FIN: u16 = 16;
const H_RST: u16 = 32;
const H_MULTI: u16 = 64;
const H_FINRST: u16 = 128;

impl Endpoint {
    /// Bytes this side sent that the peer never acknowledged (by the end of the capture).
    pub fn unacked(&self) -> u32 {
        if !self.data_seen {
            return 0;
        }
        seq_delta(self.data_end, self.ack_seq).max(0) as u32
    }

    /// Payload bytes sent, by sequence numbers (includes bytes the capture missed), as
    /// Zeek's `orig_bytes` / `resp_bytes`.
    pub fn size(&self) -> u64 {
        if !self.data_seen {
            return 0;
        }
        let d = seq_delta(self.data_end, self.start_seq.wrapping_add(1));
        d.max(0) as u64
    }

    /// Retransmissions, zero windows, gaps and missed bytes of this side (all zero for most).
    pub fn trouble(&self) -> &Trouble {
        self.trouble.as_deref().unwrap_or(&NO_TROUBLE)
    }

    fn trouble_mut(&mut self) -> &mut Trouble {
        self.trouble.get_or_insert_with(Box::default)
    }

    /// Whether `seq..end` fills a hole this side left; returns the time the hole appeared.
    fn in_holes(&mut self, seq: u32, end: u32) -> Option<i64> {
        let holes = &mut self.trouble.as_mut()?.holes;
        for i in 0..holes.len() {
            let (hs, he, since) = holes[i];
            if seq_delta(seq, he) < 0 && seq_delta(end, hs) > 0 {
                // Fill what overlaps; keep it simple: shrink from whichever side it touches.
                if seq_delta(seq, hs) <= 0 && seq_delta(end, he) >= 0 {
                    holes.remove(i);
                } else if seq_delta(seq, hs) <= 0 {
                    holes[i].0 = end;
                } else {
                    holes[i].1 = seq;
                }
                return Some(since);
            }
        }
        None
    }

    /// Bytes of the holes the peer's acknowledgement `ack_no` covers, which it removes.
    fn acked_holes(&mut self, ack_no: u32) -> u64 {
        let Some(tr) = self.trouble.as_mut() else {
            return 0;
        };
        let mut missed = 0u64;
        tr.holes.retain(|&(hs, he, _)| {
            let covered = seq_delta(ack_no, he) >= 0;
            if covered {
                missed += seq_delta(he, hs).max(0) as u64;
            }
            !covered
        });
        missed
    }

    fn add_hole(&mut self, from: u32, to: u32, ts_ns: i64) {
        let holes = &mut self.trouble_mut().holes;
        if holes.len() < MAX_HOLES {
            holes.reserve_exact(MAX_HOLES);
            holes.push((from, to, ts_ns));
        }
    }

    fn set_state(&mut self, s: EndpointState) {
        self.prev_state = self.state;
        self.state = s;
    }
}

/// History string with Zeek's letters, kept inline (no heap allocation per flow).
#[derive(Debug, Clone, Copy, Default)]
pub struct History {
    buf: [u8; 31],
    len: u8,
}

impl History {
    pub fn push(&mut self, c: u8) {
        if (self.len as usize) < self.buf.len() {
            self.buf[self.len as usize] = c;
            self.len += 1;
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq for History {
    fn eq(&self, other: &History) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for History {}

impl std::hash::Hash for History {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl PartialOrd for History {
    fn partial_cmp(&self, other: &History) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for History {
    fn cmp(&self, other: &History) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<&str> for History {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for History {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The TCP part of a flow: both endpoints and the history.
#[derive(Debug, Clone, Default)]
pub struct TcpConn {
    pub orig: Endpoint,
    pub resp: Endpoint,
    pub history: History,
    /// Frame of the first SYN, first SYN-ACK and first RST (with its sender) seen.
    /// (Frame numbers start at 1: `NonZeroU64` keeps each `Option` at 8 bytes.)
    pub first_syn_frame: Option<std::num::NonZeroU64>,
    pub first_synack_frame: Option<std::num::NonZeroU64>,
    pub first_rst: Option<(std::num::NonZeroU64, bool)>,
    pub established_ts_ns: Option<i64>,
    first_syn_ts_ns: Option<i64>,
    /// Packets seen twice by the capture (several interfaces, or a SPAN port copying both
    /// ways): identical segment within [`DUPLICATE_WINDOW_NS`]; not fed to the state machine.
    pub duplicates: u32,
    /// The last segment's signature inline, and the [`INLINE`] before it; older ones in a
    /// ring taken from the flow table's [`Rings`] only once a connection has more distinct
    /// segments than that (a handshake, or a SYN-only attempt, takes none: with a million
    /// of them alive, their rings were a quarter of the memory). The ring goes back with
    /// [`TcpConn::release`].
    last_sig: Option<(u64, i64)>,
    /// Only the first `recent_next` are written (and read) before the ring is taken.
    older: [(u64, i64); INLINE],
    recent: Option<Slot>,
    /// Where the next older signature goes: in `older` until it is full, then in the ring.
    recent_next: u8,
}

/// Older segment signatures kept in the connection itself before it takes a ring.
const INLINE: usize = 2;

/// A signature slot that matches nothing (no segment is that far from any time).
const NO_SIG: (u64, i64) = (0, i64::MIN);

/// Segments remembered per connection to recognise capture duplicates (besides the last).
const RECENT: usize = 16;

/// The older segment signatures of one connection.
pub type Ring = [(u64, i64); RECENT];

/// The rings of a flow table's connections, in slots allocated by chunks: a `Box` per
/// connection went through the allocator once per TCP flow (with a million flows alive, the
/// allocator growing its heap was a tenth of the run).
pub type Rings = Slab<Ring>;
/// Two identical segments closer than this are one packet captured twice: no TCP stack
/// retransmits that fast (Linux's minimum RTO is 200 ms).
pub const DUPLICATE_WINDOW_NS: i64 = 5_000_000;

fn letter(is_orig: bool, c: u8) -> u8 {
    if is_orig { c.to_ascii_uppercase() } else { c }
}

/// Records a letter at 1, 10, 100, ... occurrences (Zeek's scaled history entries).
fn scaled(history: &mut History, is_orig: bool, c: u8, count: u32) {
    let mut t = 1u32;
    while t < count {
        t = t.saturating_mul(10);
    }
    if t == count {
        history.push(letter(is_orig, c));
    }
}

/// Zeek's `conn_state` of a connection: how far the handshake got and who closed or reset
/// it. It prints (and serialises) as Zeek writes it (`S0`, `SF`, `REJ`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// `S0`: an attempt seen, no reply.
    S0,
    /// `S1`: established, not terminated.
    S1,
    /// `S2`: established, the originator closed, no reply to its close.
    S2,
    /// `S3`: established, the responder closed, no reply to its close.
    S3,
    /// `SF`: normal establishment and termination.
    Sf,
    /// `REJ`: the attempt was rejected (a reset in answer to the SYN).
    Rej,
    /// `RSTO`: established, the originator aborted (sent a reset).
    Rsto,
    /// `RSTR`: the responder sent a reset.
    Rstr,
    /// `RSTOS0`: the originator sent a SYN and then a reset; no SYN-ACK from the responder.
    Rstos0,
    /// `RSTRH`: the responder sent a SYN-ACK and then a reset; no SYN from the originator.
    Rstrh,
    /// `SH`: the originator sent a SYN and then a FIN; no SYN-ACK from the responder.
    Sh,
    /// `SHR`: the responder sent a SYN-ACK and then a FIN; no SYN from the originator.
    Shr,
    /// `OTH`: no SYN seen, just midstream traffic.
    Oth,
}

impl ConnState {
    /// Zeek's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::Sf => "SF",
            ConnState::Rej => "REJ",
            ConnState::Rsto => "RSTO",
            ConnState::Rstr => "RSTR",
            ConnState::Rstos0 => "RSTOS0",
            ConnState::Rstrh => "RSTRH",
            ConnState::Sh => "SH",
            ConnState::Shr => "SHR",
            ConnState::Oth => "OTH",
        }
    }
}

// Hashed and ordered by name, as the strings it replaces were: fold groups keyed by it keep
// their order.
impl std::hash::Hash for ConnState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for ConnState {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConnState {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for ConnState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl TcpConn {
    /// Whether the connection is over: both sides closed, or one reset.
    pub fn is_over(&self) -> bool {
        use EndpointState::{Closed, Reset};
        (self.orig.state == Closed && self.resp.state == Closed)
            || self.orig.state == Reset
            || self.resp.state == Reset
    }

    /// Whether a packet with these flags from the side that would be the originator should
    /// start a new connection on a key whose previous connection is over (port reuse).
    pub fn is_reuse(&self, is_orig: bool, t: &TcpInfo) -> bool {
        let ep = if is_orig { &self.orig } else { &self.resp };
        let closed = |s: EndpointState| matches!(s, EndpointState::Closed | EndpointState::Reset);
        t.has(F::SYN)
            && !t.has(F::ACK)
            && (closed(self.orig.state) || closed(self.resp.state))
            && ep.start_seq != t.seq
    }

    /// Returns true when this segment is a copy of one seen moments ago (the same IP ID,
    /// sequence and acknowledgement numbers, flags, window and length from the same side), and
    /// remembers it otherwise.
    pub fn is_capture_duplicate(
        &mut self,
        rings: &mut Rings,
        is_orig: bool,
        ip_id: u32,
        t: &TcpInfo,
        ts_ns: i64,
    ) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        (
            is_orig,
            ip_id,
            t.seq,
            t.ack,
            t.flags,
            t.window,
            t.payload_len,
        )
            .hash(&mut h);
        let sig = h.finish();
        let same =
            |&(s, ts): &(u64, i64)| s == sig && ts_ns.abs_diff(ts) <= DUPLICATE_WINDOW_NS as u64;
        let seen_before = match self.recent {
            None => self.older[..usize::from(self.recent_next).min(INLINE)]
                .iter()
                .any(same),
            Some(r) => rings.get(r).is_some_and(|r| r.iter().any(same)),
        };
        if seen_before || self.last_sig.as_ref().is_some_and(same) {
            self.duplicates += 1;
            return true;
        }
        if let Some(prev) = self.last_sig.replace((sig, ts_ns)) {
            let next = self.recent_next as usize;
            match self.recent {
                None if next < INLINE => self.older[next] = prev,
                None => {
                    // The ring starts as if it had been used from the first older segment.
                    let older = self.older;
                    let slot = rings.insert_with(|| {
                        let mut ring = [NO_SIG; RECENT];
                        ring[..INLINE].copy_from_slice(&older);
                        ring
                    });
                    self.recent = Some(slot);
                    if let Some(ring) = rings.get_mut(slot) {
                        ring[next] = prev;
                    }
                }
                Some(slot) => {
                    if let Some(ring) = rings.get_mut(slot) {
                        ring[next] = prev;
                    }
                }
            }
            self.recent_next = ((next + 1) % RECENT) as u8;
        }
        false
    }

    /// Gives the connection's ring back to `rings` (the flow is over).
    pub fn release(&mut self, rings: &mut Rings) {
        if let Some(r) = self.recent.take() {
            rings.remove(r);
        }
    }

    /// Processes one segment. `is_orig` tells which side sent it.
    pub fn process(&mut self, is_orig: bool, t: &TcpInfo, frame: u64, ts_ns: i64) {
        let syn = t.has(F::SYN);
        let fin = t.has(F::FIN);
        let rst = t.has(F::RST);
        let ack = t.has(F::ACK);
        let len = t.payload_len;
        let mut seg_len = len as i64 + i64::from(syn) + i64::from(fin);
        if rst {
            seg_len -= len as i64;
        }
        let seg_end = t.seq.wrapping_add(seg_len.max(0) as u32);

        if syn && !ack {
            note_first(&mut self.first_syn_frame, frame);
            self.first_syn_ts_ns.get_or_insert(ts_ns);
        }
        // Reordering window: the handshake round trip when known, at most 3 ms.
        let reorder_ns = match (self.first_syn_ts_ns, self.established_ts_ns) {
            (Some(a), Some(b)) if b > a => (b - a).min(REORDER_WINDOW_NS),
            _ => REORDER_WINDOW_NS,
        };
        if syn && ack {
            note_first(&mut self.first_synack_frame, frame);
        }
        if rst && self.first_rst.is_none() {
            self.first_rst = std::num::NonZeroU64::new(frame).map(|f| (f, is_orig));
        }

        let (endpoint, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };

        // init_endpoint: a first packet sets the sequence base; a new SYN may reset it.
        let reinit = match endpoint.state {
            EndpointState::SynSent | EndpointState::SynAckSent => {
                syn && t.seq != endpoint.start_seq
            }
            EndpointState::Established | EndpointState::Partial => syn,
            EndpointState::Reset => syn && endpoint.prev_state == EndpointState::Inactive,
            _ => false,
        };
        if endpoint.state == EndpointState::Inactive && !endpoint.initialized {
            endpoint.initialized = true;
            if syn {
                endpoint.start_seq = t.seq;
                endpoint.ack_seq = t.seq;
                endpoint.last_seq = seg_end;
            } else {
                endpoint.start_seq = t.seq.wrapping_sub(1);
                endpoint.ack_seq = t.seq.wrapping_sub(1);
                endpoint.last_seq = t.seq;
            }
        } else if reinit {
            endpoint.start_seq = t.seq;
            endpoint.ack_seq = t.seq;
            endpoint.last_seq = seg_end;
        }
        let rel_seq = t.seq.wrapping_sub(endpoint.start_seq);

        // update_history
        let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
        let h = &mut self.history;
        // Records the letter the first time; true when it was already recorded.
        let check = |ep: &mut Endpoint, h: &mut History, bit: u16, c: u8| -> bool {
            if ep.hist_seen & bit == 0 {
                ep.hist_seen |= bit;
                h.push(letter(is_orig, c));
                false
            } else {
                true
            }
        };
        if bits > 1 {
            if fin && rst {
                check(endpoint, h, H_FINRST, b'i');
            } else {
                check(endpoint, h, H_MULTI, b'q');
            }
        } else if bits == 1 {
            if syn {
                endpoint.syn_count += 1;
                let (bit, c) = if ack { (H_SYNACK, b'h') } else { (H_SYN, b's') };
                if check(endpoint, h, bit, c) && endpoint.last_syn != Some(rel_seq) {
                    h.push(letter(is_orig, c));
                }
                endpoint.last_syn = Some(rel_seq);
            }
            if fin {
                endpoint.fin_count += 1;
                let fin_seq = rel_seq.wrapping_add(len);
                if check(endpoint, h, H_FIN, b'f') && endpoint.last_fin != Some(fin_seq) {
                    h.push(letter(is_orig, b'f'));
                }
                endpoint.last_fin = Some(fin_seq);
            }
            if rst {
                endpoint.rst_count += 1;
                if check(endpoint, h, H_RST, b'r') && endpoint.last_rst != Some(rel_seq) {
                    h.push(letter(is_orig, b'r'));
                }
                endpoint.last_rst = Some(rel_seq);
            }
        } else if len > 0 {
            check(endpoint, h, H_DATA, b'd');
        } else if ack {
            check(endpoint, h, H_ACK, b'a');
        }

        // update_window: zero windows (not with or after a RST, not after the peer's FIN).
        if t.window == 0
            && !rst
            && peer.state != EndpointState::Closed
            && endpoint.state != EndpointState::Reset
        {
            let tr = endpoint.trouble_mut();
            tr.zero_windows += 1;
            note_first(&mut tr.first_zero_window_frame, frame);
            scaled(&mut self.history, is_orig, b'w', tr.zero_windows);
        }

        // Duplicate ACKs: pure ACKs repeating the previous acknowledgement number.
        if ack && !syn && !fin && !rst {
            if len == 0 && t.ack == endpoint.last_ack_sent {
                endpoint.dup_acks += 1;
            } else if t.ack != endpoint.last_ack_sent {
                endpoint.dup_acks = 0;
                endpoint.last_ack_sent = t.ack;
            }
        }

        // Acknowledgements: initialise an unseen peer, advance its ack point.
        let mut gap_check = None;
        if ack {
            if peer.state == EndpointState::Inactive && !peer.initialized {
                peer.initialized = true;
                peer.start_seq = t.ack.wrapping_sub(1);
                peer.ack_seq = t.ack.wrapping_sub(1);
                peer.last_seq = t.ack.wrapping_sub(1);
            } else if !rst {
                let d = seq_delta(t.ack, peer.ack_seq);
                if !(t.ack == 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0 {
                    peer.ack_seq = t.ack;
                }
                if !fin {
                    gap_check = Some(t.ack);
                }
            }
        }

        // update_last_seq, retransmissions and holes
        let delta_last = seq_delta(seg_end, endpoint.last_seq);
        if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last) {
        } else if fin && endpoint.last_seq == endpoint.start_seq.wrapping_add(1) {
            endpoint.last_seq = seg_end;
        } else if endpoint.state == EndpointState::Reset {
        } else if delta_last > 0 {
            if len > 0 && !rst && seq_delta(t.seq, endpoint.last_seq) > 0 && endpoint.data_seen {
                endpoint.add_hole(endpoint.last_seq, t.seq, ts_ns);
            }
            endpoint.last_seq = seg_end;
        } else if len > 0 {
            let data_end = t.seq.wrapping_add(len);
            // Filling a hole soon after it appeared is reordering; filling it later is the
            // retransmission of a segment lost before the capture point (as Wireshark says).
            // Two or more duplicate ACKs from the receiver make it a fast retransmission.
            let reordered = endpoint.in_holes(t.seq, data_end).is_some_and(|since| {
                ts_ns.saturating_sub(since) <= reorder_ns && peer.dup_acks < 2
            });
            if !reordered {
                let tr = endpoint.trouble_mut();
                note_first(&mut tr.first_rtx_frame, frame);
                tr.retransmissions += 1;
                tr.max_rtx_len = tr.max_rtx_len.max(len);
                scaled(&mut self.history, is_orig, b't', tr.retransmissions);
            }
        }
        if len > 0 && !rst {
            let data_end = t.seq.wrapping_add(len);
            if !endpoint.data_seen || seq_delta(data_end, endpoint.data_end) > 0 {
                endpoint.data_end = data_end;
            }
            endpoint.data_seen = true;
        }

        // UpdateStateMachine
        self.update_state(is_orig, t, ts_ns);

        // Content gaps: the peer's data acknowledged here but never seen.
        if let Some(ack_no) = gap_check {
            let peer = if is_orig {
                &mut self.resp
            } else {
                &mut self.orig
            };
            let mut missed = peer.acked_holes(ack_no);
            let beyond = seq_delta(ack_no, peer.last_seq);
            if peer.data_seen && beyond > 0 && beyond < TOO_LARGE_SEQ_DELTA * 64 {
                missed += beyond as u64;
                peer.last_seq = ack_no;
                peer.data_end = ack_no;
            }
            if missed > 0 {
                let tr = peer.trouble_mut();
                note_first(&mut tr.first_gap_frame, frame);
                tr.missed_bytes += missed;
                tr.gaps += 1;
                scaled(&mut self.history, !is_orig, b'g', tr.gaps);
            }
        }
    }

    fn update_state(&mut self, is_orig: bool, t: &TcpInfo, ts_ns: i64) {
        use EndpointState::*;
        let syn = t.has(F::SYN);
        let fin = t.has(F::FIN);
        let rst = t.has(F::RST);
        let ack = t.has(F::ACK);
        let len = t.payload_len;
        let (endpoint, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        match endpoint.state {
            Inactive => {
                if syn {
                    if is_orig {
                        endpoint.set_state(if ack { SynAckSent } else { SynSent });
                    } else {
                        if peer.state == SynSent {
                            peer.set_state(Established);
                        }
                        endpoint.set_state(Established);
                        if ack {
                            self.established_ts_ns.get_or_insert(ts_ns);
                        }
                    }
                }
                let (endpoint, peer) = if is_orig {
                    (&mut self.orig, &mut self.resp)
                } else {
                    (&mut self.resp, &mut self.orig)
                };
                if fin {
                    endpoint.set_state(Closed);
                    endpoint.did_close = true;
                }
                if rst {
                    endpoint.set_state(Reset);
                    endpoint.did_close = true;
                }
                if endpoint.state == Inactive {
                    if !is_orig && len == 0 && peer.state == SynSent {
                        // An ACK to the SYN before the SYN-ACK: not a partial connection.
                    } else if ack && peer.state == Established {
                        endpoint.set_state(Established);
                    } else {
                        endpoint.set_state(Partial);
                    }
                }
            }
            SynSent | SynAckSent => {
                if fin {
                    endpoint.set_state(Closed);
                    endpoint.did_close = true;
                }
                if rst {
                    endpoint.set_state(Reset);
                    endpoint.did_close = true;
                }
            }
            Established | Partial => {
                if syn && endpoint.state == Partial && peer.state == Inactive && !ack {
                    endpoint.set_state(SynSent);
                }
                if fin && !rst {
                    endpoint.set_state(Closed);
                    endpoint.did_close = true;
                    if peer.state == Reset && peer.prev_state == Closed {
                        peer.set_state(Closed);
                    }
                }
                if rst {
                    endpoint.set_state(Reset);
                    endpoint.did_close = true;
                }
            }
            Closed => {
                if rst && peer.state != Closed {
                    endpoint.set_state(Reset);
                }
            }
            Reset => {}
        }
        if self.orig.state == Established && self.resp.state == Established {
            self.established_ts_ns.get_or_insert(ts_ns);
        }
    }

    /// Zeek's `conn_state` for this connection, given its history string.
    pub fn conn_state(&self) -> ConnState {
        use EndpointState::*;
        let os = self.orig.state;
        let rs = self.resp.state;
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent)
                || (os == Reset && self.orig.size() == 0 && self.resp.size() == 0)
            {
                ConnState::Rej
            } else if o_inactive {
                ConnState::Rstrh
            } else {
                ConnState::Rstr
            }
        } else if os == Reset {
            if r_inactive {
                if rstos0_history(self.history.as_str()) {
                    ConnState::Rstos0
                } else {
                    ConnState::Oth
                }
            } else {
                ConnState::Rsto
            }
        } else if rs == Closed && os == Closed {
            ConnState::Sf
        } else if os == Closed {
            if r_inactive { ConnState::Sh } else { ConnState::S2 }
        } else if rs == Closed {
            if o_inactive { ConnState::Shr } else { ConnState::S3 }
        } else if os == SynSent && rs == Inactive {
            ConnState::S0
        } else if os == Established && rs == Established {
            ConnState::S1
        } else {
            ConnState::Oth
        }
    }
}

/// Zeek's `/^\^?S[^HAFGIQ]*R.*/` test on the history.
fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(flags: u8, seq: u32, ack: u32, len: u32) -> TcpInfo {
        TcpInfo {
            src_port: 1,
            dst_port: 2,
            seq,
            ack,
            flags,
            window: 1000,
            wscale: None,
            mss: None,
            payload_len: len,
        }
    }

    fn run(pkts: &[(bool, TcpInfo)]) -> (String, &'static str) {
        let mut c = TcpConn::default();
        for (i, (o, t)) in pkts.iter().enumerate() {
            c.process(*o, t, i as u64 + 1, i as i64);
        }
        (c.history.as_str().to_string(), c.conn_state().as_str())
    }

    const S: u8 = F::SYN;
    const A: u8 = F::ACK;
    const R: u8 = F::RST;
    const FI: u8 = F::FIN;

    #[test]
    fn normal_connection_is_sf() {
        let (h, s) = run(&[
            (true, seg(S, 100, 0, 0)),
            (false, seg(S | A, 500, 101, 0)),
            (true, seg(A, 101, 501, 0)),
            (true, seg(A, 101, 501, 10)),
            (false, seg(A, 501, 111, 20)),
            (true, seg(FI | A, 111, 521, 0)),
            (false, seg(FI | A, 521, 112, 0)),
            (true, seg(A, 112, 522, 0)),
        ]);
        // The responder never sends a pure ACK here, so no `a`.
        assert_eq!((h.as_str(), s), ("ShADdFf", "SF"));
    }

    #[test]
    fn unanswered_syn_is_s0_and_retransmits_do_not_repeat_letters() {
        let (h, s) = run(&[
            (true, seg(S, 100, 0, 0)),
            (true, seg(S, 100, 0, 0)),
            (true, seg(S, 100, 0, 0)),
        ]);
        assert_eq!((h.as_str(), s), ("S", "S0"));
    }

    #[test]
    fn syn_answered_by_rst_is_rej() {
        let (h, s) = run(&[(true, seg(S, 100, 0, 0)), (false, seg(R | A, 0, 101, 0))]);
        assert_eq!((h.as_str(), s), ("Sr", "REJ"));
    }

    #[test]
    fn single_rst_is_oth() {
        // zeek/tcp-single-rst.pcap: "R, OTH"
        let (h, s) = run(&[(true, seg(R, 100, 0, 0))]);
        assert_eq!((h.as_str(), s), ("R", "OTH"));
    }

    #[test]
    fn syn_then_stuff_then_rst_is_oth() {
        // zeek/tcp-syn-then-stuff-then-rst.pcap: "SaFR, OTH"
        let (h, s) = run(&[
            (true, seg(S, 100, 0, 0)),
            (true, seg(A, 101, 7, 0)),
            (true, seg(FI | A, 101, 7, 0)),
            (true, seg(R, 102, 0, 0)),
        ]);
        assert_eq!(h, "SAFR");
        assert_eq!(s, "OTH");
    }

    #[test]
    fn originator_abort_is_rsto_and_syn_rst_is_rstos0() {
        let (_, s) = run(&[
            (true, seg(S, 100, 0, 0)),
            (false, seg(S | A, 500, 101, 0)),
            (true, seg(A, 101, 501, 0)),
            (true, seg(R, 101, 0, 0)),
        ]);
        assert_eq!(s, "RSTO");
        let (h, s) = run(&[(true, seg(S, 100, 0, 0)), (true, seg(R, 101, 0, 0))]);
        assert_eq!((h.as_str(), s), ("SR", "RSTOS0"));
    }

    #[test]
    fn retransmission_and_gap_letters() {
        let (h, _) = run(&[
            (true, seg(S, 100, 0, 0)),
            (false, seg(S | A, 500, 101, 0)),
            (true, seg(A, 101, 501, 0)),
            (true, seg(A, 101, 501, 10)),
            (true, seg(A, 101, 501, 10)), // retransmission
            (true, seg(A, 121, 501, 10)), // skips 111..121
            (false, seg(A, 501, 131, 0)), // acks the unseen bytes: gap on the originator side
        ]);
        assert_eq!(h, "ShADTaG");
    }

    #[test]
    fn out_of_order_fill_is_not_a_retransmission() {
        let mut c = TcpConn::default();
        let pk = [
            (true, seg(S, 100, 0, 0)),
            (false, seg(S | A, 500, 101, 0)),
            (true, seg(A, 101, 501, 10)),
            (true, seg(A, 121, 501, 10)),
            (true, seg(A, 111, 501, 10)),
            (false, seg(A, 501, 131, 0)),
        ];
        for (i, (o, t)) in pk.iter().enumerate() {
            c.process(*o, t, i as u64, 0);
        }
        assert_eq!(c.orig.trouble().retransmissions, 0);
        assert_eq!(c.orig.trouble().missed_bytes, 0);
        assert_eq!(c.orig.size(), 30);
    }

    /// The last segment and the 16 before it are remembered, whether the connection keeps
    /// them in itself (its first few) or in a ring; the 18th segment back is forgotten.
    #[test]
    fn a_connection_remembers_its_last_seventeen_segments() {
        for distinct in [1u32, 2, 3, 4, 17, 18, 40] {
            let mut c = TcpConn::default();
            let mut rings = Rings::default();
            let t = seg(A, 101, 501, 10);
            for id in 0..distinct {
                assert!(!c.is_capture_duplicate(&mut rings, true, id, &t, 1_000 + i64::from(id)));
            }
            assert_eq!(c.recent.is_some(), distinct > 3, "{distinct}");
            // Copies are not remembered: the remembered ones first, newest first, then the
            // newest forgotten one (which, not a copy, is remembered from then on).
            for id in (0..distinct).rev() {
                let remembered = distinct - id <= 17;
                let dup = c.is_capture_duplicate(&mut rings, true, id, &t, 2_000);
                assert_eq!(dup, remembered, "{distinct} segments, copy of #{id}");
                if !remembered {
                    break;
                }
            }
            c.release(&mut rings);
        }
    }

    #[test]
    fn capture_duplicates_are_recognised_but_retransmissions_are_not() {
        let mut c = TcpConn::default();
        let mut rings = Rings::default();
        let r = &mut rings;
        let t = seg(A, 101, 501, 10);
        assert!(!c.is_capture_duplicate(r, true, 7, &t, 1_000));
        assert!(c.is_capture_duplicate(r, true, 7, &t, 1_500));
        // Same segment 300 ms later with a new IP ID: a real retransmission.
        assert!(!c.is_capture_duplicate(r, true, 8, &t, 300_000_000));
        // Same bytes from the other side are a different packet.
        assert!(!c.is_capture_duplicate(r, false, 7, &t, 1_600));
        // The first segment is in the ring now: a copy of it is still recognised.
        assert!(c.is_capture_duplicate(r, true, 7, &t, 2_000));
        assert_eq!(c.duplicates, 2);
        c.release(r);
        assert!(rings.get(0).is_none());
    }

    #[test]
    fn seq_delta_wraps() {
        assert_eq!(seq_delta(5, u32::MAX - 4), 10);
        assert_eq!(seq_delta(u32::MAX - 4, 5), -10);
        assert!(seq_delta(0x8000_0000, 0) < 0);
    }
}
