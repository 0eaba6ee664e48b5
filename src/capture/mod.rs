//! Capture containers: bytes in, frames out.
//!
//! Takes a byte source (a file, standard input or memory; plain, gzip or zstd, detected by
//! content) and gives [`Batch`]es of raw frames: the frame's bytes stay in the batch's buffer,
//! each [`RawFrame`] says where they are, when they were captured and with which link type.
//!
//! Guarantees:
//! - never panics on any input; every length read from the file is checked against the bytes
//!   actually there and against [`MAX_PCAP_RECORD`] / [`MAX_PCAPNG_BLOCK`] before it is used;
//! - frame numbers are 1-based, in file order, and count every packet record (Enhanced,
//!   Simple and obsolete Packet Blocks in pcapng), exactly as Wireshark numbers them;
//! - memory is bounded by the chunk size plus the largest record, whatever the file's size;
//! - a file cut off in the middle of a record yields every complete record before it and one
//!   warning.
//!
//! pcap-parser types do not leave this module.

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;

use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le};

use crate::error::Error;

pub use crate::config::CHUNK_BYTES;
/// Largest packet record accepted in a classic pcap file (Wireshark's limit for the common
/// link types; a larger `caplen` means the file is corrupt from that record on).
pub const MAX_PCAP_RECORD: usize = 262_144;
/// Timestamps are kept within ±2^62 ns (±146 years around 1970; classic pcap's 32-bit seconds
/// fit), so the difference of any two never overflows.
pub const MAX_TS_NS: i64 = (1 << 62) - 1;
/// Largest pcapng block accepted (Wireshark's limit).
pub const MAX_PCAPNG_BLOCK: usize = 16 << 20;

/// Where a capture comes from.
#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// A file on disk; `-` is not special here (see [`Input::Stdin`]).
    Path(PathBuf),
    /// Standard input.
    Stdin,
    /// Bytes already in memory, with a name used in messages and in the report.
    Bytes {
        /// The name used in messages and in the report.
        name: String,
        /// The capture's bytes (pcap or pcapng, plain, gzip or zstd).
        data: &'a [u8],
    },
}

impl Input<'_> {
    /// The name shown for this input in the report and in messages.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
            Input::Bytes { name, .. } => name.clone(),
        }
    }
}

/// Container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        })
    }
}

/// Compression wrapped around the container, detected from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// One packet record of the capture, its bytes at `start..start + caplen` in the batch buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame {
    /// 1-based frame number in file order, as Wireshark shows it.
    pub number: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Link type (LINKTYPE_* value) of the interface that captured it.
    pub linktype: u32,
    /// Bytes captured.
    pub caplen: u32,
    /// Bytes on the wire (may exceed `caplen` when the snaplen cut the packet).
    pub origlen: u32,
    /// Offset of the frame's first byte in [`Batch::buf`].
    pub start: usize,
    /// The record itself was malformed (e.g. a pcapng packet block whose lengths disagree):
    /// the frame is counted but has no usable bytes.
    pub malformed: bool,
}

/// A buffer of raw bytes and the frames found in it.
#[derive(Debug, Default)]
pub struct Batch {
    /// The bytes read: `buf[..filled]`. The buffer keeps the largest length it ever had, all
    /// of it initialised once, so each chunk is read straight into it with one `read` (reading
    /// into uninitialised capacity went through `read_to_end`, which grows its reads from
    /// 8 KiB: seven system calls per chunk where one does).
    buf: Vec<u8>,
    filled: usize,
    pub frames: Vec<RawFrame>,
}

impl Batch {
    /// The captured bytes of `frame`.
    pub fn data(&self, frame: &RawFrame) -> &[u8] {
        let end = frame.start.saturating_add(frame.caplen as usize);
        self.bytes().get(frame.start..end).unwrap_or(&[])
    }

    /// The bytes read into this batch.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    /// Empties the batch (its buffer is kept).
    fn clear(&mut self) {
        self.filled = 0;
        self.frames.clear();
    }

    /// Appends `bytes`.
    fn push(&mut self, bytes: &[u8]) {
        let end = self.filled + bytes.len();
        self.room(end);
        self.buf[self.filled..end].copy_from_slice(bytes);
        self.filled = end;
    }

    /// Makes the buffer at least `len` bytes long (zeroing only what it never held).
    fn room(&mut self, len: usize) {
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
    }
}

/// Facts about one capture file, filled in while it is read.
#[derive(Debug, Clone, Default)]
pub struct CaptureMeta {
    pub name: String,
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    /// Link types in order of first appearance (pcap: one; pcapng: one per interface).
    pub link_types: Vec<u32>,
    /// Container bytes read (after decompression).
    pub bytes: u64,
    /// Packet records found.
    pub packets: u64,
    /// Problems with the container itself (cut-off record, bad block...), one line each.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp (if_tsoffset).
    offset_s: i64,
}

#[derive(Debug)]
enum State {
    /// Header not read yet.
    Start,
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        linktype: u32,
        snaplen: u32,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
    /// Nothing more will be read (end of input, or the rest is unreadable).
    Done,
}

/// Reads one capture and yields batches of frames.
pub struct FrameReader<'a> {
    src: Box<dyn Read + Send + 'a>,
    pending: Vec<u8>,
    eof: bool,
    state: State,
    next_frame: u64,
    last_ts_ns: i64,
    chunk: usize,
    pub meta: CaptureMeta,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_EPB: u32 = 0x0000_0006;
const PCAPNG_SPB: u32 = 0x0000_0003;
const PCAPNG_OPB: u32 = 0x0000_0002;

impl<'a> FrameReader<'a> {
    /// Opens `input`, detects compression and the container format. Fails with
    /// [`Error::NotACapture`] when the first bytes are neither pcap nor pcapng.
    pub fn open(input: &Input<'a>) -> Result<FrameReader<'a>, Error> {
        let name = input.name();
        let raw: Box<dyn Read + Send + 'a> = match input {
            Input::Path(p) => Box::new(std::fs::File::open(p).map_err(|e| Error::Io {
                name: name.clone(),
                source: e,
            })?),
            Input::Stdin => Box::new(io::stdin()),
            Input::Bytes { data, .. } => Box::new(io::Cursor::new(*data)),
        };
        Self::from_reader(name, raw, CHUNK_BYTES)
    }

    /// Like [`FrameReader::open`] over any reader, with a chosen chunk size (tests use small
    /// chunks to exercise records split across chunk boundaries).
    pub fn from_reader(
        name: String,
        mut raw: Box<dyn Read + Send + 'a>,
        chunk: usize,
    ) -> Result<FrameReader<'a>, Error> {
        let io_err = |e| Error::Io {
            name: name.clone(),
            source: e,
        };
        let head = read_up_to(&mut raw, 4).map_err(io_err)?;
        let compression = if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        };
        let chained: Box<dyn Read + Send + 'a> = Box::new(io::Cursor::new(head).chain(raw));
        let mut src: Box<dyn Read + Send + 'a> = match compression {
            Compression::None => chained,
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
                io::BufReader::with_capacity(1 << 16, chained),
            )),
            Compression::Zstd => {
                let dec = ruzstd::decoding::StreamingDecoder::new(chained).map_err(|e| {
                    Error::NotACapture {
                        name: name.clone(),
                        what: format!("a zstd stream that cannot be decoded ({e})"),
                    }
                })?;
                Box::new(dec)
            }
        };
        let first = read_up_to(&mut src, 24).map_err(|e| Error::Io {
            name: name.clone(),
            source: e,
        })?;
        let format = sniff_format(&first).ok_or_else(|| Error::NotACapture {
            name: name.clone(),
            what: describe_bytes(&first, compression),
        })?;
        let meta = CaptureMeta {
            name,
            format: Some(format),
            compression: Some(compression),
            ..CaptureMeta::default()
        };
        Ok(FrameReader {
            src,
            pending: first,
            eof: false,
            state: State::Start,
            next_frame: 1,
            last_ts_ns: 0,
            chunk: chunk.max(64),
            meta,
        })
    }

    /// Changes the chunk size (bytes read per batch).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(64);
        self
    }

    /// Fills `batch` with the next complete records. Returns `Ok(false)` once the capture has
    /// no more frames (the batch is then empty). I/O errors are returned; container problems
    /// become warnings in [`FrameReader::meta`].
    pub fn next_batch(&mut self, batch: &mut Batch) -> Result<bool, Error> {
        batch.clear();
        if matches!(self.state, State::Done) {
            return Ok(false);
        }
        // The batch keeps its own buffer (no reallocation per batch); only the incomplete
        // record left over from the previous chunk is copied in front.
        batch.push(&self.pending);
        self.pending.clear();
        let mut target = self.chunk;
        let mut pos = 0;
        loop {
            self.fill(batch, target)?;
            let (end, need) = self.walk(batch, pos);
            pos = end;
            if matches!(self.state, State::Done) {
                batch.filled = pos;
                return Ok(!batch.frames.is_empty());
            }
            if pos >= batch.filled {
                if self.eof {
                    self.state = State::Done;
                    return Ok(!batch.frames.is_empty());
                }
                return Ok(true);
            }
            // An incomplete record starts at `pos`.
            if self.eof {
                self.cut_off(batch.filled - pos);
                batch.filled = pos;
                return Ok(!batch.frames.is_empty());
            }
            if batch.frames.is_empty() {
                // A record larger than the chunk: read until it is whole.
                target = pos + need.unwrap_or(self.chunk).max(batch.filled - pos + 1);
                continue;
            }
            self.pending.extend_from_slice(&batch.bytes()[pos..]);
            batch.filled = pos;
            return Ok(true);
        }
    }

    fn cut_off(&mut self, left: usize) {
        self.meta.warnings.push(format!(
            "capture is cut off: the last record is incomplete ({left} bytes after frame {}); \
             analysed the {} complete frames before it",
            self.next_frame - 1,
            self.next_frame - 1
        ));
        self.state = State::Done;
    }

    /// Reads into `batch` until it holds `target` bytes or the source is exhausted.
    fn fill(&mut self, batch: &mut Batch, target: usize) -> Result<(), Error> {
        if self.eof || batch.filled >= target {
            return Ok(());
        }
        let old = batch.filled;
        batch.room(target);
        while batch.filled < target {
            match self.src.read(&mut batch.buf[batch.filled..target]) {
                Ok(0) => {
                    // Short of what was asked: the source is exhausted.
                    self.eof = true;
                    break;
                }
                Ok(n) => batch.filled += n.min(target - batch.filled),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // A corrupt compressed stream: analyse what was decoded, say why we stopped.
                    if matches!(
                        self.meta.compression,
                        Some(Compression::Gzip | Compression::Zstd)
                    ) {
                        self.meta
                            .warnings
                            .push(format!("decompression stopped: {e}"));
                        self.eof = true;
                        break;
                    }
                    return Err(Error::Io {
                        name: self.meta.name.clone(),
                        source: e,
                    });
                }
            }
        }
        self.meta.bytes += (batch.filled - old) as u64;
        Ok(())
    }

    /// Walks complete records in `batch.buf`, appending frames. Returns how many bytes were
    /// consumed and, when stopped by an incomplete record, the total size that record needs.
    fn walk(&mut self, batch: &mut Batch, from: usize) -> (usize, Option<usize>) {
        let buf = &batch.buf[..batch.filled];
        let mut off = from;
        loop {
            let rest = &buf[off..];
            match self.state {
                State::Done => return (off, None),
                State::Start => match self.meta.format {
                    Some(Format::Pcap) => {
                        if rest.len() < 24 {
                            return (off, Some(24));
                        }
                        let magic = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                        let (big_endian, nanos, modified) = match magic {
                            0xa1b2_c3d4 => (false, false, false),
                            0xa1b2_3c4d => (false, true, false),
                            0xa1b2_cd34 => (false, false, true),
                            0xd4c3_b2a1 => (true, false, false),
                            0x4d3c_b2a1 => (true, true, false),
                            0x34cd_b2a1 => (true, false, true),
                            _ => {
                                self.state = State::Done;
                                return (off, None);
                            }
                        };
                        let rd = |i: usize| read_u32(&rest[i..i + 4], big_endian);
                        let snaplen = rd(16);
                        // Upper bits of the link-type field carry FCS information.
                        let linktype = rd(20) & 0x0fff_ffff;
                        self.meta.link_types.push(linktype);
                        self.state = State::Pcap {
                            big_endian,
                            nanos,
                            modified,
                            linktype,
                            snaplen,
                        };
                        off += 24;
                    }
                    _ => {
                        self.state = State::PcapNg {
                            big_endian: false,
                            interfaces: Vec::new(),
                        };
                    }
                },
                State::Pcap {
                    big_endian,
                    nanos,
                    modified,
                    linktype,
                    snaplen,
                } => {
                    let hdr = if modified { 24 } else { 16 };
                    if rest.len() < hdr {
                        return (off, Some(hdr));
                    }
                    let caplen = read_u32(&rest[8..12], big_endian) as usize;
                    let limit = MAX_PCAP_RECORD.max(snaplen.min(MAX_PCAPNG_BLOCK as u32) as usize);
                    if caplen > limit {
                        self.meta.warnings.push(format!(
                            "frame {}: record claims {caplen} captured bytes, more than the \
                             {limit} allowed: the file is corrupt from here on; analysed the {} \
                             frames before it",
                            self.next_frame,
                            self.next_frame - 1
                        ));
                        self.state = State::Done;
                        return (off, None);
                    }
                    let total = hdr + caplen;
                    if rest.len() < total {
                        return (off, Some(total));
                    }
                    let rec = &rest[..total];
                    let parsed = if modified {
                        parse_pcap_frame_modified(rec)
                    } else if big_endian {
                        parse_pcap_frame_be(rec)
                    } else {
                        parse_pcap_frame(rec)
                    };
                    let (ts_ns, origlen) = match parsed {
                        Ok((_, b)) => {
                            let frac_ns = if nanos {
                                b.ts_usec as i64
                            } else {
                                b.ts_usec as i64 * 1000
                            };
                            (b.ts_sec as i64 * 1_000_000_000 + frac_ns, b.origlen)
                        }
                        Err(_) => (self.last_ts_ns, caplen as u32),
                    };
                    self.push_frame(
                        &mut batch.frames,
                        RawFrame {
                            number: 0,
                            ts_ns,
                            linktype,
                            caplen: caplen as u32,
                            origlen: origlen.max(caplen as u32),
                            start: off + hdr,
                            malformed: false,
                        },
                    );
                    off += total;
                }
                State::PcapNg { .. } => {
                    if rest.len() < 12 {
                        if rest.is_empty() {
                            return (off, None);
                        }
                        return (off, Some(12));
                    }
                    let raw_type = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    let big_endian = if raw_type == PCAPNG_SHB {
                        // A new section: its byte-order magic decides the endianness.
                        match rest[8..12] {
                            [0x1a, 0x2b, 0x3c, 0x4d] => true,
                            [0x4d, 0x3c, 0x2b, 0x1a] => false,
                            _ => {
                                self.meta.warnings.push(format!(
                                    "section header at byte {} has an unknown byte-order \
                                     magic; stopped reading",
                                    self.meta.bytes
                                ));
                                self.state = State::Done;
                                return (off, None);
                            }
                        }
                    } else if let State::PcapNg { big_endian, .. } = self.state {
                        big_endian
                    } else {
                        false
                    };
                    let block_type = read_u32(&rest[0..4], big_endian);
                    let block_len = read_u32(&rest[4..8], big_endian) as usize;
                    if block_len < 12 || block_len % 4 != 0 || block_len > MAX_PCAPNG_BLOCK {
                        self.meta.warnings.push(format!(
                            "pcapng block of type 0x{block_type:08x} after frame {} has an \
                             invalid length {block_len}: the file is corrupt from here on",
                            self.next_frame - 1
                        ));
                        self.state = State::Done;
                        return (off, None);
                    }
                    if rest.len() < block_len {
                        return (off, Some(block_len));
                    }
                    let block = &rest[..block_len];
                    self.pcapng_block(&mut batch.frames, block, block_type, big_endian, off);
                    off += block_len;
                }
            }
        }
    }

    fn pcapng_block(
        &mut self,
        frames: &mut Vec<RawFrame>,
        block: &[u8],
        block_type: u32,
        big_endian: bool,
        off: usize,
    ) {
        let parsed = if big_endian {
            parse_block_be(block)
        } else {
            parse_block_le(block)
        };
        let State::PcapNg { interfaces, .. } = &mut self.state else {
            return;
        };
        match parsed {
            Ok((_, Block::SectionHeader(_))) => {
                self.state = State::PcapNg {
                    big_endian,
                    interfaces: Vec::new(),
                };
            }
            Ok((_, Block::InterfaceDescription(idb))) => {
                let linktype = (idb.linktype.0 as u32) & 0x0fff_ffff;
                let units_per_sec = match ts_units(idb.if_tsresol) {
                    Some(u) if u > 0 => u,
                    _ => {
                        self.meta.warnings.push(format!(
                            "interface {} has an invalid if_tsresol {}; microseconds assumed",
                            interfaces.len(),
                            idb.if_tsresol
                        ));
                        1_000_000
                    }
                };
                interfaces.push(Interface {
                    linktype,
                    snaplen: idb.snaplen,
                    units_per_sec,
                    offset_s: idb.if_tsoffset,
                });
                if !self.meta.link_types.contains(&linktype) {
                    self.meta.link_types.push(linktype);
                }
            }
            Ok((_, Block::EnhancedPacket(epb))) => {
                let iface = interfaces.get(epb.if_id as usize).copied();
                let ts_ns = iface
                    .map(|i| {
                        ts_to_ns(
                            ((epb.ts_high as u64) << 32) | epb.ts_low as u64,
                            i.units_per_sec,
                            i.offset_s,
                        )
                    })
                    .unwrap_or(self.last_ts_ns);
                let caplen = (epb.caplen as usize).min(epb.data.len());
                let data_off = off + 28;
                let malformed = iface.is_none();
                if malformed {
                    self.meta.warnings.push(format!(
                        "frame {}: refers to interface {} which was never described",
                        self.next_frame, epb.if_id
                    ));
                }
                self.push_frame(
                    frames,
                    RawFrame {
                        number: 0,
                        ts_ns,
                        linktype: iface.map(|i| i.linktype).unwrap_or(u32::MAX),
                        caplen: caplen as u32,
                        origlen: epb.origlen.max(caplen as u32),
                        start: data_off,
                        malformed,
                    },
                );
            }
            Ok((_, Block::SimplePacket(spb))) => {
                // No timestamp and no interface id: interface 0, previous packet's time.
                let iface = interfaces.first().copied();
                let snap = iface
                    .map(|i| i.snaplen as usize)
                    .filter(|&s| s > 0)
                    .unwrap_or(usize::MAX);
                let caplen = (spb.origlen as usize).min(spb.data.len()).min(snap);
                let ts_ns = self.last_ts_ns;
                self.push_frame(
                    frames,
                    RawFrame {
                        number: 0,
                        ts_ns,
                        linktype: iface.map(|i| i.linktype).unwrap_or(u32::MAX),
                        caplen: caplen as u32,
                        origlen: spb.origlen.max(caplen as u32),
                        start: off + 12,
                        malformed: iface.is_none(),
                    },
                );
            }
            Ok((_, Block::Custom(_) | Block::SystemdJournalExport(_))) => {
                // Wireshark shows these as frames of their own (capinfos does not count them as
                // packets): keep the numbering of the packets after them identical.
                self.next_frame += 1;
            }
            Ok((_, _)) => {
                if block_type == PCAPNG_OPB {
                    self.obsolete_packet_block(frames, block, big_endian, off);
                }
            }
            Err(_) => {
                if matches!(block_type, PCAPNG_EPB | PCAPNG_SPB | PCAPNG_OPB) {
                    // A packet whose block is malformed: count it, it is a frame to Wireshark.
                    self.meta.warnings.push(format!(
                        "frame {}: malformed pcapng packet block",
                        self.next_frame
                    ));
                    let ts = self.last_ts_ns;
                    self.push_frame(
                        frames,
                        RawFrame {
                            number: 0,
                            ts_ns: ts,
                            linktype: u32::MAX,
                            caplen: 0,
                            origlen: 0,
                            start: off,
                            malformed: true,
                        },
                    );
                } else if block_type == 1 {
                    // Keep interface numbering right even when an IDB is unreadable.
                    self.meta.warnings.push(format!(
                        "interface {} description is malformed; its packets are undecodable",
                        interfaces.len()
                    ));
                    interfaces.push(Interface {
                        linktype: u32::MAX,
                        snaplen: 0,
                        units_per_sec: 1_000_000,
                        offset_s: 0,
                    });
                } else {
                    self.meta.warnings.push(format!(
                        "skipped a malformed pcapng block of type 0x{block_type:08x}"
                    ));
                }
            }
        }
    }

    /// Obsolete Packet Block (type 2): interface id (u16), drops (u16), ts high/low, caplen,
    /// origlen, data. pcap-parser has no parser for it; its layout is fixed.
    fn obsolete_packet_block(
        &mut self,
        frames: &mut Vec<RawFrame>,
        block: &[u8],
        big_endian: bool,
        off: usize,
    ) {
        if block.len() < 32 {
            return;
        }
        let if_id = if big_endian {
            u16::from_be_bytes([block[8], block[9]])
        } else {
            u16::from_le_bytes([block[8], block[9]])
        } as usize;
        let ts = ((read_u32(&block[12..16], big_endian) as u64) << 32)
            | read_u32(&block[16..20], big_endian) as u64;
        let caplen = (read_u32(&block[20..24], big_endian) as usize).min(block.len() - 32);
        let origlen = read_u32(&block[24..28], big_endian);
        let iface = match &self.state {
            State::PcapNg { interfaces, .. } => interfaces.get(if_id).copied(),
            _ => None,
        };
        let ts_ns = iface
            .map(|i| ts_to_ns(ts, i.units_per_sec, i.offset_s))
            .unwrap_or(self.last_ts_ns);
        self.push_frame(
            frames,
            RawFrame {
                number: 0,
                ts_ns,
                linktype: iface.map(|i| i.linktype).unwrap_or(u32::MAX),
                caplen: caplen as u32,
                origlen: origlen.max(caplen as u32),
                start: off + 28,
                malformed: iface.is_none(),
            },
        );
    }

    fn push_frame(&mut self, frames: &mut Vec<RawFrame>, mut f: RawFrame) {
        f.number = self.next_frame;
        self.next_frame += 1;
        self.meta.packets += 1;
        self.last_ts_ns = f.ts_ns;
        frames.push(f);
    }
}

fn read_u32(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// Timestamp units per second for an `if_tsresol` value: 10^v, or 2^(v & 0x7f) when the
/// high bit is set. (pcap-parser's helper rejects every binary resolution above 2^-63 because
/// it compares the raw byte, high bit included.)
fn ts_units(tsresol: u8) -> Option<u64> {
    let v = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(v)
    } else {
        1u64.checked_shl(v).filter(|_| v < 64)
    }
}

/// Converts a pcapng timestamp in `units` per second to nanoseconds since the epoch.
fn ts_to_ns(ts: u64, units: u64, offset_s: i64) -> i64 {
    let secs = (ts / units) as i128 + offset_s as i128;
    let frac = (ts % units) as i128 * 1_000_000_000 / units as i128;
    let ns = secs * 1_000_000_000 + frac;
    ns.clamp(-MAX_TS_NS as i128, MAX_TS_NS as i128) as i64
}

fn read_up_to(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut len = 0;
    while len < n {
        match r.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(k) => len += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // A corrupt compressed stream reports InvalidData: let the caller classify it.
                if len == 0 && e.kind() != io::ErrorKind::InvalidData {
                    return Err(e);
                }
                break;
            }
        }
    }
    buf.truncate(len);
    Ok(buf)
}

fn sniff_format(b: &[u8]) -> Option<Format> {
    if b.len() < 4 {
        return None;
    }
    let magic = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1 | 0x34cd_b2a1 => {
            Some(Format::Pcap)
        }
        PCAPNG_SHB => Some(Format::PcapNg),
        _ => None,
    }
}

/// A short human description of what the first bytes of a non-capture look like.
pub fn describe_bytes(b: &[u8], compression: Compression) -> String {
    let inner = match compression {
        Compression::None => "",
        Compression::Gzip => "gzip-compressed data that holds ",
        Compression::Zstd => "zstd-compressed data that holds ",
    };
    let kind = if b.is_empty() {
        "an empty file".to_string()
    } else if b.starts_with(b"\x89PNG") {
        "a PNG image".to_string()
    } else if b.starts_with(b"%PDF") {
        "a PDF document".to_string()
    } else if b.starts_with(b"PK\x03\x04") {
        "a ZIP archive".to_string()
    } else if b.starts_with(b"\x7fELF") {
        "an ELF executable".to_string()
    } else if b.starts_with(b"BZh") {
        "bzip2-compressed data (decompress it first)".to_string()
    } else if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
        "xz-compressed data (decompress it first)".to_string()
    } else if b
        .iter()
        .all(|&c| c == b'\n' || c == b'\r' || c == b'\t' || (0x20..0x7f).contains(&c))
    {
        let text: String = String::from_utf8_lossy(b)
            .chars()
            .take(16)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("text (\"{}\")", text.trim_end())
    } else {
        "unknown binary data".to_string()
    };
    let hex: Vec<String> = b.iter().take(8).map(|x| format!("{x:02x}")).collect();
    if hex.is_empty() {
        format!("{inner}{kind}")
    } else {
        format!("{inner}{kind}, first bytes {}", hex.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_le(records: &[(&[u8], u32)]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (i, (data, orig)) in records.iter().enumerate() {
            v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
            v.extend_from_slice(&(500u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&orig.to_le_bytes());
            v.extend_from_slice(data);
        }
        v
    }

    fn read_all(bytes: &[u8], chunk: usize) -> (Vec<(u64, i64, Vec<u8>)>, CaptureMeta) {
        let mut r =
            FrameReader::from_reader("t".into(), Box::new(io::Cursor::new(bytes.to_vec())), chunk)
                .unwrap();
        let mut out = Vec::new();
        let mut b = Batch::default();
        while r.next_batch(&mut b).unwrap() {
            for f in &b.frames {
                out.push((f.number, f.ts_ns, b.data(f).to_vec()));
            }
        }
        (out, r.meta)
    }

    #[test]
    fn records_split_across_chunks_are_reassembled() {
        let recs: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; 37 + i as usize]).collect();
        let refs: Vec<(&[u8], u32)> = recs.iter().map(|r| (r.as_slice(), 2000)).collect();
        let file = pcap_le(&refs);
        for chunk in [64, 100, 333, 4096, 1 << 20] {
            let (frames, meta) = read_all(&file, chunk);
            assert_eq!(frames.len(), 50, "chunk {chunk}");
            assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
            for (i, (n, ts, data)) in frames.iter().enumerate() {
                assert_eq!(*n, i as u64 + 1);
                assert_eq!(*ts, (1_700_000_000 + i as i64) * 1_000_000_000 + 500_000);
                assert_eq!(data, &recs[i]);
            }
        }
    }

    #[test]
    fn cut_at_every_length_never_panics_and_keeps_complete_records() {
        let recs: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 30]).collect();
        let refs: Vec<(&[u8], u32)> = recs.iter().map(|r| (r.as_slice(), 30)).collect();
        let file = pcap_le(&refs);
        for cut in 0..file.len() {
            let r = FrameReader::from_reader(
                "t".into(),
                Box::new(io::Cursor::new(file[..cut].to_vec())),
                64,
            );
            let Ok(mut r) = r else {
                assert!(cut < 4, "cut {cut} rejected");
                continue;
            };
            let mut b = Batch::default();
            let mut n = 0;
            while r.next_batch(&mut b).unwrap() {
                n += b.frames.len();
            }
            let complete = if cut < 24 { 0 } else { (cut - 24) / 46 };
            assert_eq!(n, complete, "cut {cut}");
            // A header or a record cut short is reported once.
            let partial = (4..24).contains(&cut) || (cut > 24 && (cut - 24) % 46 != 0);
            assert_eq!(r.meta.warnings.len(), usize::from(partial), "cut {cut}");
        }
    }

    #[test]
    fn huge_caplen_stops_cleanly() {
        let mut file = pcap_le(&[(&[1, 2, 3], 3)]);
        let mut bad = pcap_le(&[(&[9; 4], 4)])[24..].to_vec();
        bad[8..12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
        file.extend_from_slice(&bad);
        let (frames, meta) = read_all(&file, 1 << 20);
        assert_eq!(frames.len(), 1);
        assert_eq!(meta.warnings.len(), 1);
        assert!(meta.warnings[0].contains("corrupt"), "{}", meta.warnings[0]);
    }

    #[test]
    fn pcapng_timestamps_follow_tsresol() {
        assert_eq!(
            ts_to_ns(1_500_000_000_123_456_789, 1_000_000_000, 0),
            1_500_000_000_123_456_789
        );
        assert_eq!(
            ts_to_ns(3 * (1 << 20) + (1 << 19), 1 << 20, 10),
            13_500_000_000
        );
    }

    #[test]
    fn non_captures_are_described() {
        let err = FrameReader::from_reader(
            "notes.txt".into(),
            Box::new(io::Cursor::new(b"hello world, not a capture\n".to_vec())),
            64,
        )
        .err()
        .unwrap();
        let msg = err.to_string();
        assert!(msg.contains("notes.txt") && msg.contains("text"), "{msg}");
        assert!(describe_bytes(b"\x89PNG\r\n\x1a\n", Compression::None).contains("PNG"));
        assert!(describe_bytes(b"", Compression::None).contains("empty"));
    }
}
