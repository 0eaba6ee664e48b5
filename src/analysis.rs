//! The analysis pass: captures in, flows, notable events and counters out.
//!
//! Each capture is read in chunks (bounded memory); the frames of a chunk are decoded in
//! parallel with rayon; packets are partitioned into shards by their direction-free flow key
//! so every flow is processed in frame order by one worker; several captures are merged in
//! timestamp order (ties: capture order, then frame number). Everything that comes out is
//! sorted canonically, so the result is the same whatever the thread count.

use std::net::{IpAddr, Ipv4Addr};

use rayon::prelude::*;

use crate::capture::{Batch, CaptureMeta, FrameReader, Input};
use crate::decode::{self, DecodeStatus, IcmpInfo, Network, Packet, Transport};
use crate::flow::{Addr, Conn, FlowKey, FlowTable, Proto, Timeouts};
use crate::{Error, Result};

/// What an analysis is asked to do. Construct with `Config::default()` and set fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Bytes read per chunk from each capture.
    pub chunk_bytes: usize,
    /// Idle timeouts that finish flows.
    pub timeouts: Timeouts,
    /// Most events of each kind kept for the detectors (ARP, ICMP errors, DNS messages, HTTP
    /// exchanges, TLS handshakes); the rest are only counted, and the report says so.
    pub max_events: usize,
    /// Most flows tracked at once (all shards together); beyond it the longest-idle flows are
    /// finished early and counted in `Counters::flows_evicted`.
    pub max_flows: usize,
    /// Most finished-flow records kept as they are (all shards together); beyond it, flows
    /// with nothing particular about them are folded into one record per responder and
    /// outcome (see [`crate::flow::fold`]), so memory follows concurrent flows, not all
    /// flows. `usize::MAX` keeps every record (what `pcap-rca flows` uses).
    pub max_records: usize,
    /// Extra trust anchors (PEM bundles) besides Mozilla's roots, e.g. a private CA.
    pub ca_bundles: Vec<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: 0,
            chunk_bytes: crate::capture::CHUNK_BYTES,
            timeouts: Timeouts::default(),
            max_events: 1_000_000,
            max_flows: 4_000_000,
            max_records: 128_000,
            ca_bundles: Vec::new(),
        }
    }
}

/// Number of flow shards. Fixed (not tied to the thread count) so the work split, and with it
/// every result, is the same for any `threads`.
const SHARDS: usize = 16;

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
}

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
    pub msg: crate::decode::dns::DnsMessage,
}

/// DNS ports analysed (mDNS and LLMNR are link-local chatter, not resolution).
pub fn is_dns_port(port: u16) -> bool {
    port == 53
}

/// Everything the detectors work from.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub captures: Vec<CaptureStats>,
    /// Finished flows, sorted by first packet time, capture, frame. Beyond
    /// `Config::max_records`, one record may stand for many (see [`crate::flow::fold`]).
    pub flows: Vec<Conn>,
    /// Folded flows that went to too many servers to fold per server: one record per source
    /// (or per outcome), with the targets counted. Only the counts and `port_scan` read them.
    pub scattered: Vec<Conn>,
    pub arp: Vec<ArpEvent>,
    pub icmp_errors: Vec<IcmpEvent>,
    /// DNS messages in time order (capture, frame for ties).
    pub dns: Vec<DnsEvent>,
    /// HTTP/1.x requests with their responses, in request time order.
    pub http: Vec<crate::flow::http::HttpEvent>,
    /// TLS handshakes, in time order.
    pub tls: Vec<crate::flow::tls::TlsSession>,
    /// Trust anchors certificate chains are judged against.
    pub trust: crate::tls::TrustStore,
    pub counters: Counters,
    /// Most flows alive at once (summed over shards at their peaks: an upper bound).
    pub peak_flows: usize,
    /// Threads the analysis ran on; the detectors use as many (1: sequentially).
    pub threads: usize,
}

type Tuple = Option<(FlowKey, Addr, Addr, u8)>;

/// A batch of raw frames and their decoded packets (with each packet's flow tuple and shard).
#[derive(Default)]
struct Decoded {
    batch: Batch,
    packets: Vec<Packet>,
    tuples: Vec<Tuple>,
}

impl Decoded {
    /// Decodes the batch's frames on the calling thread (a pool of one thread).
    fn decode_here(&mut self, capture: u16) {
        let batch = &self.batch;
        self.packets.clear();
        self.packets
            .extend(batch.frames.iter().map(|f| decode_frame(batch, f, capture)));
        self.tuples.clear();
        self.tuples.extend(self.packets.iter().map(tuple_of));
    }

    /// Decodes the batch's frames in parallel.
    fn decode(&mut self, capture: u16) {
        let batch = &self.batch;
        batch
            .frames
            .par_iter()
            .map(|f| decode_frame(batch, f, capture))
            .collect_into_vec(&mut self.packets);
        self.packets
            .par_iter()
            .map(tuple_of)
            .collect_into_vec(&mut self.tuples);
    }
}

fn decode_frame(batch: &Batch, f: &crate::capture::RawFrame, capture: u16) -> Packet {
    decode::decode(
        capture,
        f.number,
        f.ts_ns,
        f.linktype,
        batch.data(f),
        f.origlen,
        f.malformed,
    )
}

/// A packet's flow tuple and the shard it goes to.
fn tuple_of(p: &Packet) -> Tuple {
    crate::flow::flow_tuple(p).map(|(k, s, d)| (k, s, d, (k.shard_hash() % SHARDS as u64) as u8))
}

/// Reads and decodes the next non-empty batch of `reader` into `out`; false at the end.
fn read_batch(
    reader: &mut FrameReader<'_>,
    out: &mut Decoded,
    capture: u16,
    done: &mut bool,
) -> Result<bool> {
    let more = read_frames(reader, out, done)?;
    if more {
        out.decode(capture);
    }
    Ok(more)
}

/// Reads the next batch holding frames into `out`, without decoding them (the reader
/// thread's part); false at the end.
fn read_frames(reader: &mut FrameReader<'_>, out: &mut Decoded, done: &mut bool) -> Result<bool> {
    out.packets.clear();
    out.tuples.clear();
    out.batch.frames.clear();
    while !*done && out.batch.frames.is_empty() {
        if !reader.next_batch(&mut out.batch)? {
            *done = true;
        }
    }
    Ok(!out.batch.frames.is_empty())
}

/// Batches the reader thread may decode ahead of the flows.
const READ_AHEAD: usize = 4;

/// One capture being read.
struct Stream<'a> {
    reader: FrameReader<'a>,
    cur: Decoded,
    pos: usize,
    done: bool,
}

impl Stream<'_> {
    fn head_key(&self, idx: usize) -> Option<(i64, usize, u64)> {
        self.cur
            .packets
            .get(self.pos)
            .map(|p| (p.ts_ns, idx, p.frame))
    }
}

/// The flow shards and the per-batch lists of packets each one gets.
struct Shards {
    tables: Vec<FlowTable>,
    lists: Vec<Vec<(u16, u32)>>,
}

/// The worker pool of `n` threads, made once per process and shared by every analysis that
/// asks for that many: threads are not started and stopped per analysis (a library called
/// for many small captures, or a fuzzer, would mostly be doing that).
fn pool(n: usize) -> std::result::Result<std::sync::Arc<rayon::ThreadPool>, String> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Pools = std::collections::BTreeMap<usize, Arc<rayon::ThreadPool>>;
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("pcap-rca-{i}"))
        .build()
        .map_err(|e| e.to_string())?;
    let p = Arc::new(p);
    pools.insert(n, p.clone());
    Ok(p)
}

/// Runs the analysis over `inputs`, merged as one incident.
pub fn analyze(inputs: &[Input<'_>], cfg: &Config) -> Result<Analysis> {
    if inputs.is_empty() {
        return Err(Error::Config("no capture given".into()));
    }
    if inputs.len() > u16::MAX as usize {
        return Err(Error::Config("too many captures in one analysis".into()));
    }
    let threads = if cfg.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cfg.threads
    };
    // One capture on several threads: a reader thread reads, walks and decodes batches ahead
    // while the pool (the other threads) runs them through the flows.
    // (Bytes already in memory cost nothing to read: there the pool does everything, reading
    // each next batch while it runs the current one through the flows.)
    let reader_thread =
        inputs.len() == 1 && threads >= 2 && !matches!(inputs[0], Input::Bytes { .. });
    let pool_threads = if reader_thread { threads - 1 } else { threads };
    let pool = pool(pool_threads)
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;
    let mut trust = crate::tls::TrustStore::mozilla();
    for b in &cfg.ca_bundles {
        trust
            .add_pem_file(b)
            .map_err(|e| Error::Config(e.to_string()))?;
    }
    let mut an = pool.install(|| analyze_in_pool(inputs, cfg, reader_thread))?;
    an.trust = trust;
    an.threads = threads;
    Ok(an)
}

/// Accounts one merged batch in order (counters, notable events, UDP DNS), then runs its
/// packets through the flow shards in parallel, each flow's packets in order. Idle flows are
/// expired against the latest time of this batch (not of the whole capture so far), so a
/// capture whose clock jumps backwards, or one packet with a far-future timestamp, does not
/// expire every flow that follows.
fn process(
    merged: &[(u16, u32)],
    views: &[&Decoded],
    stats: &mut [CaptureStats],
    an: &mut Analysis,
    cfg: &Config,
    shards: &mut Shards,
) {
    let mut now_ns = i64::MIN;
    for list in shards.lists.iter_mut() {
        list.clear();
    }
    for &(si, pi) in merged {
        let d = views[si as usize];
        let p = &d.packets[pi as usize];
        account(&mut stats[si as usize], an, p, cfg);
        if let Some(ev) = udp_dns(p, d.batch.data(&d.batch.frames[pi as usize])) {
            if an.dns.len() < cfg.max_events {
                an.dns.push(ev);
            } else {
                an.counters.events_dropped += 1;
            }
        }
        now_ns = now_ns.max(p.ts_ns);
        if let Some((_, _, _, shard)) = d.tuples[pi as usize] {
            shards.lists[shard as usize].push((si, pi));
        }
    }
    shards
        .tables
        .par_iter_mut()
        .zip(shards.lists.par_iter())
        .for_each(|(table, list)| {
            for &(si, pi) in list {
                let d = views[si as usize];
                if let Some((key, src, dst, _)) = d.tuples[pi as usize] {
                    let p = &d.packets[pi as usize];
                    let payload = p.payload(d.batch.data(&d.batch.frames[pi as usize]));
                    table.add(p, payload, key, src, dst);
                }
            }
            table.expire(now_ns);
        });
}

fn analyze_in_pool(inputs: &[Input<'_>], cfg: &Config, reader_thread: bool) -> Result<Analysis> {
    let mut streams = Vec::with_capacity(inputs.len());
    for input in inputs {
        let reader = FrameReader::open(input)?;
        let reader = FrameReader::with_chunk(reader, cfg.chunk_bytes);
        streams.push(Stream {
            reader,
            cur: Decoded::default(),
            pos: 0,
            done: false,
        });
    }
    let mut stats = vec![CaptureStats::default(); streams.len()];
    let mut shards = Shards {
        tables: (0..SHARDS)
            .map(|_| {
                let mut t = FlowTable::new(cfg.timeouts);
                t.max_flows = (cfg.max_flows / SHARDS).max(16);
                t.max_events = (cfg.max_events / SHARDS).max(16);
                if cfg.max_records != usize::MAX {
                    t.budget = crate::flow::fold::Budget::new(cfg.max_records / SHARDS);
                }
                t
            })
            .collect(),
        lists: vec![Vec::new(); SHARDS],
    };
    let mut an = Analysis::default();
    let mut merged: Vec<(u16, u32)> = Vec::new();
    for (i, s) in streams.iter_mut().enumerate() {
        read_batch(&mut s.reader, &mut s.cur, i as u16, &mut s.done)?;
    }

    if let ([s], true) = (streams.as_mut_slice(), reader_thread) {
        // One capture, a reader thread: it reads and walks records up to READ_AHEAD batches
        // ahead and hands them over in order; the pool decodes them and runs them through the
        // flows; buffers come back for reuse. The two sides meet only at the channel (no
        // per-batch barrier), and the split is even: on the benchmark capture reading was 40%
        // of the work, decoding and flows 60% (perf, per thread).
        let Stream {
            reader, cur, done, ..
        } = s;
        let first = std::mem::take(cur);
        let queued_count = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Decoded>>(READ_AHEAD);
            let (back_tx, back_rx) = std::sync::mpsc::channel::<Decoded>();
            // Batches handed over and not yet taken. When the flows side already has work
            // waiting, the reader also decodes what it reads (so the split between the two
            // sides follows whichever is slower on this capture: reading a file with large
            // packets, or decoding many small ones).
            let queued = &queued_count;
            scope.spawn(move || {
                use std::sync::atomic::Ordering::Relaxed;
                while !*done {
                    let mut d = back_rx.try_recv().unwrap_or_default();
                    let r = read_frames(reader, &mut d, done);
                    let more = matches!(r, Ok(true));
                    if more && queued.load(Relaxed) > 0 {
                        d.decode_here(0);
                    }
                    queued.fetch_add(1, Relaxed);
                    if (more || r.is_err()) && tx.send(r.map(|_| d)).is_err() {
                        break;
                    }
                    if !more {
                        break;
                    }
                }
            });
            let mut batch = first;
            loop {
                if batch.packets.is_empty() && !batch.batch.frames.is_empty() {
                    if rayon::current_num_threads() == 1 {
                        batch.decode_here(0);
                    } else {
                        batch.decode(0);
                    }
                }
                if batch.packets.is_empty() {
                    break;
                }
                merged.clear();
                merged.extend((0..batch.packets.len() as u32).map(|i| (0u16, i)));
                process(&merged, &[&batch], &mut stats, &mut an, cfg, &mut shards);
                let used = std::mem::take(&mut batch);
                let _ = back_tx.send(used);
                batch = match rx.recv() {
                    Ok(r) => {
                        queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                        r?
                    }
                    Err(_) => Decoded::default(), // the reader is done
                };
            }
            Ok(())
        })?;
    } else if let [s] = streams.as_mut_slice() {
        // One capture: read and decode the next batch while this one goes through the flows.
        let mut next = Decoded::default();
        while !s.cur.packets.is_empty() {
            merged.clear();
            merged.extend((0..s.cur.packets.len() as u32).map(|i| (0u16, i)));
            let Stream {
                reader, cur, done, ..
            } = s;
            let (_, read) = rayon::join(
                || process(&merged, &[&*cur], &mut stats, &mut an, cfg, &mut shards),
                || read_batch(reader, &mut next, 0, done),
            );
            read?;
            std::mem::swap(cur, &mut next);
        }
    } else {
        loop {
            // Merge the streams' current batches in timestamp order until one runs dry.
            merged.clear();
            loop {
                let mut best: Option<(i64, usize, u64)> = None;
                for (i, s) in streams.iter().enumerate() {
                    if let Some(k) = s.head_key(i) {
                        if best.is_none_or(|b| k < b) {
                            best = Some(k);
                        }
                    }
                }
                let Some((_, i, _)) = best else { break };
                let s = &mut streams[i];
                merged.push((i as u16, s.pos as u32));
                s.pos += 1;
                if s.pos >= s.cur.packets.len() && !s.done {
                    break;
                }
            }
            if merged.is_empty() {
                break;
            }
            let views: Vec<&Decoded> = streams.iter().map(|s| &s.cur).collect();
            process(&merged, &views, &mut stats, &mut an, cfg, &mut shards);
            // Refill whatever ran dry.
            for (i, s) in streams.iter_mut().enumerate() {
                if s.pos >= s.cur.packets.len() && !s.done {
                    s.pos = 0;
                    read_batch(&mut s.reader, &mut s.cur, i as u16, &mut s.done)?;
                }
            }
        }
    }

    let mut tables = shards.tables;
    for t in tables.iter_mut() {
        t.finish_all();
    }
    an.peak_flows = tables.iter().map(|t| t.peak_flows).sum();
    an.counters.flows_evicted = tables.iter().map(|t| t.evicted).sum();
    an.counters.events_dropped += tables.iter().map(|t| t.events_dropped).sum::<u64>();
    for t in tables.iter_mut() {
        an.dns.append(&mut t.events.dns);
        an.http.append(&mut t.events.http);
        an.tls.append(&mut t.events.tls);
    }
    an.tls
        .sort_by_key(|s| (s.first_ts_ns, s.capture, s.first_frame));
    an.dns.sort_by_key(|e| (e.ts_ns, e.capture, e.frame));
    an.http
        .sort_by_key(|e| (e.req_ts_ns, e.capture, e.req_frame, e.client_port));
    an.counters.flows_folded = tables.iter().map(|t| t.budget.folded).sum();
    let mut groups = Vec::with_capacity(SHARDS);
    let mut scattered = Vec::with_capacity(SHARDS);
    for t in tables.iter_mut() {
        groups.push(std::mem::take(&mut t.budget.groups));
        scattered.push(std::mem::take(&mut t.budget.scattered));
    }
    let groups = crate::flow::fold::merge_groups(groups);
    an.scattered = crate::flow::fold::merge_groups(scattered);
    an.counters.fold_groups = (groups.len() + an.scattered.len()) as u64;
    an.counters.flows_scattered = an.scattered.iter().map(|c| c.weight()).sum();
    // Move shard by shard so the peak is the flows once, not twice.
    let total = tables.iter().map(|t| t.finished.len()).sum::<usize>() + groups.len();
    let mut flows: Vec<Conn> = Vec::with_capacity(total);
    for t in tables {
        flows.extend(t.finished);
    }
    flows.extend(groups);
    sort_flows(&mut flows);
    an.flows = flows;
    for (s, mut st) in streams.into_iter().zip(stats) {
        st.meta = s.reader.meta;
        an.captures.push(st);
    }
    Ok(an)
}

/// Sorts flows canonically (time, capture, frame). Flow records are large, so the sort runs
/// on small keys and the records are then moved once each, cycle by cycle.
fn sort_flows(flows: &mut [Conn]) {
    let mut keys: Vec<((i64, u16, u64), usize)> = flows
        .iter()
        .enumerate()
        .map(|(i, c)| (c.sort_key(), i))
        .collect();
    keys.par_sort_unstable();
    let perm: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    apply_permutation(flows, &perm);
}

/// Reorders `v` so that position `k` holds the element that was at `perm[k]`.
fn apply_permutation<T>(v: &mut [T], perm: &[usize]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut k = start;
        loop {
            done[k] = true;
            let src = perm[k];
            if src == start {
                break;
            }
            v.swap(k, src);
            k = src;
        }
    }
}

/// A DNS message carried whole in one UDP datagram.
fn udp_dns(p: &Packet, frame: &[u8]) -> Option<DnsEvent> {
    let Network::Ip(ip) = &p.net else { return None };
    let Transport::Udp(u) = &ip.transport else {
        return None;
    };
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

fn account(stats: &mut CaptureStats, an: &mut Analysis, p: &Packet, cfg: &Config) {
    match p.status {
        DecodeStatus::Decoded => stats.decoded_packets += 1,
        DecodeStatus::Truncated => {
            stats.truncated_packets += 1;
            if stats.truncated_sample.len() < 8 {
                stats.truncated_sample.push(p.frame);
            }
        }
        DecodeStatus::Undecodable => stats.undecoded_packets += 1,
    }
    stats.first_ts_ns = Some(stats.first_ts_ns.map_or(p.ts_ns, |t| t.min(p.ts_ns)));
    stats.last_ts_ns = Some(stats.last_ts_ns.map_or(p.ts_ns, |t| t.max(p.ts_ns)));
    let c = &mut an.counters;
    c.packets += 1;
    c.bytes += p.wire_len as u64;
    if p.vlan.is_some() {
        c.vlan_tagged += 1;
    }
    match &p.net {
        Network::Arp(a) => {
            c.arp += 1;
            if an.arp.len() < cfg.max_events {
                an.arp.push(ArpEvent {
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
                });
            } else {
                c.events_dropped += 1;
            }
        }
        Network::Ip(ip) => {
            if ip.src.is_ipv4() {
                c.ipv4 += 1;
            } else {
                c.ipv6 += 1;
            }
            if ip.fragment != decode::Fragment::None {
                c.ip_fragments += 1;
            }
            if ip.has_options {
                c.ipv4_with_options += 1;
            }
            match &ip.transport {
                Transport::Tcp(_) => c.tcp += 1,
                Transport::Udp(_) => c.udp += 1,
                Transport::Icmp(i) => {
                    c.icmp += 1;
                    if i.is_error() {
                        if an.icmp_errors.len() < cfg.max_events {
                            an.icmp_errors.push(IcmpEvent {
                                capture: p.capture,
                                frame: p.frame,
                                ts_ns: p.ts_ns,
                                src: ip.src,
                                dst: ip.dst,
                                ttl: ip.ttl,
                                icmp: *i,
                            });
                        } else {
                            c.events_dropped += 1;
                        }
                    }
                }
                Transport::Other(_) | Transport::Fragment(_) => c.other_ip += 1,
            }
        }
        Network::Other(_) => c.other_link += 1,
        Network::None => {}
    }
}

impl Analysis {
    /// Number of flows, folded ones included.
    pub fn flow_count(&self) -> usize {
        self.count_flows(|_| true)
    }

    /// Number of flows of a protocol, folded ones included.
    pub fn flows_of(&self, proto: Proto) -> usize {
        self.count_flows(|f| f.proto == proto)
    }

    fn count_flows(&self, keep: impl Fn(&Conn) -> bool) -> usize {
        let all = self.flows.iter().chain(&self.scattered);
        all.filter(|f| keep(f)).map(|f| f.weight() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn permutation_is_applied_in_place() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        super::apply_permutation(&mut v, &[3, 0, 4, 1, 2]);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
    }
}
