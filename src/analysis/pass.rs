//! The pass over the captures: read (chunked), decode (in parallel), merge several captures in
//! time order, account each packet (counters and per-packet events), and run flows through
//! the sharded flow tables. Three ways to drive it, chosen by [`analyze`]: a reader thread
//! beside the pool (one capture, several threads), one thread reading each next batch into
//! the buffer it just processed (one capture, one thread), and a timestamp merge (several
//! captures).

use rayon::prelude::*;

use super::{Analysis, CaptureStats, Counters};
use crate::capture::{Batch, FrameReader, Input};
use crate::config::Config;
use crate::decode::frag::{Datagram, Defrag};
use crate::decode::{self, DecodeStatus, Fragment, Network, Packet, Transport};
use crate::error::{Error, Result};
use crate::event::{ArpEvent, DnsEvent, IcmpEvent, NdpEvent};
use crate::flow::{Addr, Conn, Finished, FlowTable, HashedKey};

/// Number of flow shards. Fixed (not tied to the thread count) so the work split, and with it
/// every result, is the same for any `threads`.
const SHARDS: usize = 16;

/// A packet's flow: its direction-free key, the packet's direction in it, and the shard that
/// runs it. (Kept per packet of a batch: the direction stands for the source and destination,
/// which the key holds already.)
#[derive(Clone, Copy)]
struct Tuple {
    key: HashedKey,
    /// Whether the packet goes from `key.lo` to `key.hi`.
    forward: bool,
    shard: u8,
}

impl Tuple {
    /// The packet's source and destination.
    fn ends(&self) -> (Addr, Addr) {
        let k = &self.key.key;
        if self.forward {
            (k.lo, k.hi)
        } else {
            (k.hi, k.lo)
        }
    }
}

/// A batch of raw frames and their decoded packets (with each packet's flow tuple and shard).
#[derive(Default)]
struct Decoded {
    batch: Batch,
    packets: Vec<Packet>,
    tuples: Vec<Option<Tuple>>,
    /// The DNS messages over UDP, with the index of their packet, in packet order: parsed
    /// with the decoding, which needs nothing but the packet, so that with a reader thread
    /// it is the reader's work when it decodes (on the busy capture the flows side, which
    /// had parsed them, was the slower side).
    dns: Vec<(u32, DnsEvent)>,
    /// Whether the batch was decoded to run whole (one capture): then `tally`, `special` and
    /// `lists` are filled with the decoding too, for the same reason.
    whole: bool,
    /// The batch's counts (see [`Tally`]).
    tally: Tally,
    /// The packets that need more than counting, in order (see [`tally`]).
    special: Vec<u32>,
    /// Each shard's packets, in order (taken by the flow shards for the batch).
    lists: Vec<Vec<(u16, u32)>>,
}

impl Decoded {
    /// Decodes the batch's frames on the calling thread (a pool of one thread); `whole`: to
    /// run the batch whole (see [`Decoded::whole`]).
    fn decode_here(&mut self, capture: u16, whole: bool) {
        self.start_tally(whole);
        let batch = &self.batch;
        self.packets.clear();
        self.tuples.clear();
        self.dns.clear();
        for (i, f) in batch.frames.iter().enumerate() {
            // Decoded in its slot, not returned and moved there (see `decode_into`).
            self.packets.push(Packet::EMPTY);
            if let Some(p) = self.packets.last_mut() {
                decode_frame_into(p, batch, f, capture);
                let t = tuple_of(p); // while the packet is at hand
                self.tuples.push(t);
                if let Some(ev) = DnsEvent::of_udp(p, batch.data(f)) {
                    self.dns.push((i as u32, ev));
                }
                if whole {
                    let (tally, special, lists) = (&mut self.tally, &mut self.special, &mut self.lists);
                    note_whole(tally, special, lists, (capture, i as u32), p, t);
                }
            }
        }
    }

    /// Empties what the decoding fills when the batch is to run whole.
    fn start_tally(&mut self, whole: bool) {
        self.whole = whole;
        self.tally = Tally::default();
        self.special.clear();
        self.lists.resize_with(SHARDS, Vec::new);
        for list in self.lists.iter_mut() {
            list.clear();
        }
    }

    /// Decodes the batch's frames in parallel; `whole` as for [`Decoded::decode_here`].
    fn decode(&mut self, capture: u16, whole: bool) {
        let batch = &self.batch;
        let n = batch.frames.len();
        self.packets.clear();
        self.packets.resize(n, Packet::EMPTY);
        self.tuples.clear();
        self.tuples.resize(n, None);
        self.packets
            .par_iter_mut()
            .zip(self.tuples.par_iter_mut())
            .zip(batch.frames.par_iter())
            .for_each(|((p, t), f)| {
                decode_frame_into(p, batch, f, capture);
                *t = tuple_of(p);
            });
        let packets = &self.packets;
        self.dns = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                DnsEvent::of_udp(&packets[i], batch.data(&batch.frames[i])).map(|ev| (i as u32, ev))
            })
            .collect(); // in packet order
        self.start_tally(whole);
        if whole {
            for (i, (p, t)) in self.packets.iter().zip(&self.tuples).enumerate() {
                let (tally, special, lists) = (&mut self.tally, &mut self.special, &mut self.lists);
                note_whole(tally, special, lists, (capture, i as u32), p, *t);
            }
        }
    }
}

/// What a batch to run whole notes of each packet with its decoding: its counts, whether it
/// needs more in order (see [`tally`]), and its place in its shard's list (`at`: capture,
/// packet index).
fn note_whole(
    t: &mut Tally,
    special: &mut Vec<u32>,
    lists: &mut [Vec<(u16, u32)>],
    at: (u16, u32),
    p: &Packet,
    tuple: Option<Tuple>,
) {
    if tally(t, p) {
        special.push(at.1);
    }
    if let Some(tuple) = tuple {
        lists[tuple.shard as usize].push(at);
    }
}

/// Decodes frame `f` of `batch` into `p`.
fn decode_frame_into(p: &mut Packet, batch: &Batch, f: &crate::capture::RawFrame, capture: u16) {
    let data = batch.data(f);
    decode::decode_into(p, capture, f.number, f.ts_ns, f.linktype, data, f.origlen, f.malformed, true);
}

/// A packet's flow tuple and the shard it goes to.
fn tuple_of(p: &Packet) -> Option<Tuple> {
    crate::flow::flow_tuple(p).map(|(key, src, _)| {
        let key = HashedKey::new(key);
        Tuple {
            key,
            forward: src == key.key.lo,
            shard: (key.hash % SHARDS as u64) as u8,
        }
    })
}

/// Reads and decodes the next non-empty batch of `reader` into `out`; false at the end.
fn read_batch(
    reader: &mut FrameReader<'_>,
    out: &mut Decoded,
    capture: u16,
    whole: bool,
    done: &mut bool,
) -> Result<bool> {
    let more = read_frames(reader, out, done)?;
    if more && rayon::current_num_threads() == 1 {
        out.decode_here(capture, whole); // a pool of one: no splitting into jobs and collecting
    } else if more {
        out.decode(capture, whole);
    }
    Ok(more)
}

/// Reads the next batch holding frames into `out`, without decoding them (the reader
/// thread's part); false at the end.
fn read_frames(reader: &mut FrameReader<'_>, out: &mut Decoded, done: &mut bool) -> Result<bool> {
    out.packets.clear();
    out.tuples.clear();
    out.dns.clear();
    out.whole = false;
    out.batch.frames.clear();
    while !*done && out.batch.frames.is_empty() {
        if !reader.next_batch(&mut out.batch)? {
            *done = true;
        }
    }
    Ok(!out.batch.frames.is_empty())
}

/// Live flows in a table from which a batch's lookups are made once ahead of the work
/// ([`FlowTable::peek`]): sixteen tables this large (528 bytes a flow) no longer fit in the
/// cache together.
const WARM_FROM: usize = 1 << 10;

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

/// The flow shards, the per-batch lists of packets each one gets, and what they finished.
struct Shards {
    tables: Vec<FlowTable>,
    lists: Vec<Vec<(u16, u32)>>,
    /// The records and events of the flows the shards finished, moved here after each batch
    /// (their DNS events go on to `Analysis::dns`, see [`process`]).
    done: Finished,
    /// DNS events the pass found itself (over UDP, or in reassembled datagrams): those that
    /// `Config::max_events` limits here (the shards limit their own).
    own_dns: usize,
    /// The sort key of each record of `done.flows`, with its position there: taken while
    /// the record is at hand (reading them all again at the end missed the cache on each).
    flow_keys: Vec<(SortKey, usize)>,
}

/// The worker pool of `n` threads, made once per process and shared by every analysis that
/// asks for that many: threads are not started and stopped per analysis (a library called
/// for many small captures, or a fuzzer, would mostly be doing that).
pub(crate) fn pool(n: usize) -> std::result::Result<std::sync::Arc<rayon::ThreadPool>, String> {
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
    // while the pool (the other threads) runs them through the flows. Bytes already in memory
    // too: copying them into batches is no less work than reading a file from the page cache
    // (on the big-download capture in memory, the pool reading each next batch while it ran
    // the current one through the flows took 78-88 ms on two threads, against 82-87 ms on
    // one; a reader thread, 50-54 ms).
    let reader_thread = inputs.len() == 1 && threads >= 2;
    let pool_threads = if reader_thread { threads - 1 } else { threads };
    let start = |n| pool(n).map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")));
    let workers = start(pool_threads)?;
    let mut trust = crate::cert::TrustStore::mozilla();
    for b in &cfg.ca_bundles {
        trust
            .add_pem_file(b)
            .map_err(|e| Error::Config(e.to_string()))?;
    }
    // Once reading is over the reader thread is free: the pass is finished on every thread.
    let wide = if reader_thread {
        Some(start(threads)?)
    } else {
        None
    };
    let mut an = workers.install(|| analyze_in_pool(inputs, cfg, reader_thread, wide.as_deref()))?;
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
    views: &mut [&mut Decoded],
    stats: &mut [CaptureStats],
    an: &mut Analysis,
    cfg: &Config,
    shards: &mut Shards,
    defrag: &mut Defrag,
) {
    let mut now_ns = i64::MIN;
    let dns_from = an.dns.len();
    for list in shards.lists.iter_mut() {
        list.clear();
    }
    // Each view's DNS messages, parsed when it was decoded, in packet order (the merge visits
    // each view's packets in order too).
    let mut dns: Vec<_> = views
        .iter_mut()
        .map(|d| std::mem::take(&mut d.dns).into_iter().peekable())
        .collect();
    // Each capture's counts, added once the merge is through (sums, and first and last times).
    let mut tallies = vec![Tally::default(); views.len()];
    for &(si, pi) in merged {
        let d = &*views[si as usize];
        let p = &d.packets[pi as usize];
        let frame = d.batch.data(&d.batch.frames[pi as usize]);
        let special = tally(&mut tallies[si as usize], p);
        let udp_dns = dns[si as usize].next_if(|(i, _)| *i == pi).map(|(_, ev)| ev);
        let mut sink = InOrder {
            stats: &mut stats[si as usize],
            an: &mut *an,
            own_dns: &mut shards.own_dns,
            defrag: &mut *defrag,
            cfg,
        };
        sink.packet(p, frame, special, udp_dns);
        now_ns = now_ns.max(p.ts_ns);
        if let Some(Tuple { shard, .. }) = d.tuples[pi as usize] {
            shards.lists[shard as usize].push((si, pi));
        }
    }
    for (stats, t) in stats.iter_mut().zip(&tallies) {
        t.add_to(stats, &mut an.counters);
    }
    // What a view holds beyond this merge (several captures) waits for the next one.
    for (d, rest) in views.iter_mut().zip(dns) {
        d.dns = rest.collect();
    }
    defrag.expire(now_ns);
    run_shards(views, an, shards, now_ns, dns_from);
}

/// Runs the packets of `shards.lists` (into `views`) through the flow shards in parallel,
/// expires each shard's idle flows against `now_ns`, and gathers what the shards finished
/// (the batch's DNS events, from `dns_from` on, put in order).
fn run_shards(
    views: &[&mut Decoded],
    an: &mut Analysis,
    shards: &mut Shards,
    now_ns: i64,
    dns_from: usize,
) {
    shards
        .tables
        .par_iter_mut()
        .zip(shards.lists.par_iter())
        .for_each(|(table, list)| {
            if table.live() >= WARM_FROM {
                let mut seen = 0i64;
                for &(si, pi) in list {
                    if let Some(t) = &views[si as usize].tuples[pi as usize] {
                        seen ^= table.peek(&t.key);
                    }
                }
                std::hint::black_box(seen);
            }
            for &(si, pi) in list {
                let d = &*views[si as usize];
                if let Some(t) = d.tuples[pi as usize] {
                    let (key, (src, dst)) = (t.key, t.ends());
                    let p = &d.packets[pi as usize];
                    let payload = p.payload(d.batch.data(&d.batch.frames[pi as usize]));
                    table.add_hashed(p, payload, key, src, dst);
                }
            }
            table.expire(now_ns);
        });
    for table in shards.tables.iter_mut() {
        note_keys(&mut shards.flow_keys, &table.finished, shards.done.flows.len());
        table.drain_into(&mut shards.done);
    }
    // DNS over TCP joins the batch's DNS over UDP, in time order, so that the events stay
    // sorted as they come (the final sort then finds them in order: moving a few hundred
    // late events into 200,000 took 9 ms of a busy capture's one-thread run). A stable sort
    // of the batch's events: equal keys come from one packet, whose events keep their order.
    if !shards.done.dns.is_empty() {
        an.dns.append(&mut shards.done.dns);
        an.dns[dns_from..].sort_by_key(dns_key);
    }
}

/// The order of DNS events: time, capture, frame.
fn dns_key(e: &DnsEvent) -> (i64, u16, u64) {
    (e.ts_ns, e.capture, e.frame)
}

/// Keeps a DNS event the pass found itself, unless `max` were kept already (`kept` counts
/// them); counts it as dropped then.
fn keep_dns(an: &mut Analysis, kept: &mut usize, ev: DnsEvent, max: usize) {
    if *kept < max {
        an.dns.push(ev);
        *kept += 1;
    } else {
        an.counters.events_dropped += 1;
    }
}

/// The datagram `p` completes, when it is an IP fragment (fragments are rare: their frame is
/// read again only for them).
fn reassemble(defrag: &mut Defrag, p: &Packet, frame: &[u8]) -> Option<Datagram> {
    let Network::Ip(ip) = &p.net else { return None };
    if ip.fragment == Fragment::None {
        return None;
    }
    let piece = crate::decode::frag::piece(p.linktype, frame)?;
    defrag.push(p.capture, p.frame, p.ts_ns, &piece)
}

/// What the pass accumulates: per-capture counters, the analysis so far and the flow shards.
struct Pass<'c> {
    cfg: &'c Config,
    stats: Vec<CaptureStats>,
    an: Analysis,
    shards: Shards,
    /// The packets of the batch being processed, as (stream, packet index), in order.
    merged: Vec<(u16, u32)>,
    /// IP fragments in reassembly.
    defrag: Defrag,
    /// Capture bytes processed so far (frames and record headers), for `Config::progress`.
    bytes_done: u64,
}

impl<'c> Pass<'c> {
    fn new(cfg: &'c Config, captures: usize) -> Pass<'c> {
        let tables = (0..SHARDS)
            .map(|_| {
                let mut t = FlowTable::new(cfg.timeouts);
                t.max_flows = (cfg.max_flows / SHARDS).max(16);
                t.max_events = (cfg.max_events / SHARDS).max(16);
                if cfg.max_records != usize::MAX {
                    t.budget = crate::flow::fold::Budget::new(cfg.max_records / SHARDS);
                }
                t
            })
            .collect();
        Pass {
            cfg,
            stats: vec![CaptureStats::default(); captures],
            an: Analysis::default(),
            shards: Shards {
                tables,
                lists: vec![Vec::new(); SHARDS],
                done: Finished::default(),
                own_dns: 0,
                flow_keys: Vec::new(),
            },
            merged: Vec::new(),
            defrag: Defrag::default(),
            bytes_done: 0,
        }
    }

    /// Runs every packet of `batch`, the only capture's, through. Decoded to run whole, its
    /// counts, shard lists and DNS messages were made with the decoding: what is left here
    /// is adding the counts and, in packet order, the packets that need more.
    fn whole_batch(&mut self, batch: &mut Decoded) {
        if !batch.whole {
            self.merged.clear();
            self.merged
                .extend((0..batch.packets.len() as u32).map(|i| (0u16, i)));
            self.merged_batch(&mut [batch]);
            return;
        }
        let dns_from = self.an.dns.len();
        let Some(stats) = self.stats.first_mut() else {
            return;
        };
        batch.tally.add_to(stats, &mut self.an.counters);
        let mut sink = InOrder {
            stats,
            an: &mut self.an,
            own_dns: &mut self.shards.own_dns,
            defrag: &mut self.defrag,
            cfg: self.cfg,
        };
        let mut dns = std::mem::take(&mut batch.dns).into_iter().peekable();
        let mut special = batch.special.iter().copied().peekable();
        loop {
            let i = match (special.peek(), dns.peek()) {
                (None, None) => break,
                (Some(&s), None) => s,
                (None, Some(&(d, _))) => d,
                (Some(&s), Some(&(d, _))) => s.min(d),
            };
            let p = &batch.packets[i as usize];
            let frame = batch.batch.data(&batch.batch.frames[i as usize]);
            let is_special = special.next_if_eq(&i).is_some();
            let udp_dns = dns.next_if(|(j, _)| *j == i).map(|(_, ev)| ev);
            sink.packet(p, frame, is_special, udp_dns);
        }
        let an = &mut self.an;
        std::mem::swap(&mut self.shards.lists, &mut batch.lists);
        let now_ns = batch.tally.last_ts_ns;
        self.defrag.expire(now_ns);
        run_shards(&[&mut *batch], an, &mut self.shards, now_ns, dns_from);
        if let Some(progress) = &self.cfg.progress {
            self.bytes_done += batch.packets.iter().map(|p| p.caplen as u64 + 16).sum::<u64>();
            (progress.0)(self.an.counters.packets, self.bytes_done);
        }
    }

    /// Runs the packets listed in `self.merged` through (`views`: each stream's batch; the
    /// DNS messages of the packets run through are taken out of them).
    fn merged_batch(&mut self, views: &mut [&mut Decoded]) {
        process(
            &self.merged,
            views,
            &mut self.stats,
            &mut self.an,
            self.cfg,
            &mut self.shards,
            &mut self.defrag,
        );
        if let Some(progress) = &self.cfg.progress {
            self.bytes_done += self
                .merged
                .iter()
                .map(|&(si, pi)| views[si as usize].packets[pi as usize].caplen as u64 + 16)
                .sum::<u64>();
            (progress.0)(self.an.counters.packets, self.bytes_done);
        }
    }

    /// Finishes every flow and moves the flows and events into the analysis, sorted. The
    /// events and the flows are sorted side by side (on a pool of more than one thread).
    fn finish(self, streams: Vec<Stream<'_>>) -> Analysis {
        let Pass {
            stats,
            mut an,
            shards,
            defrag,
            ..
        } = self;
        an.counters.defrag = defrag.finish();
        let (mut tables, mut done, mut keys) = (shards.tables, shards.done, shards.flow_keys);
        for t in tables.iter_mut() {
            t.finish_all();
            note_keys(&mut keys, &t.finished, done.flows.len());
            t.drain_into(&mut done);
        }
        an.peak_flows = tables.iter().map(|t| t.peak_flows).sum();
        an.counters.flows_evicted = tables.iter().map(|t| t.evicted).sum();
        an.counters.events_dropped += tables.iter().map(|t| t.events_dropped).sum::<u64>();
        an.counters.http_lenient = tables.iter().map(|t| t.events.http_lenient).sum();
        an.counters.http_unreadable = tables.iter().map(|t| t.events.http_unreadable).sum();
        an.counters.flows_folded = tables.iter().map(|t| t.budget.folded).sum();
        // The pass's own events (DNS over UDP, and over TCP batch by batch) first, then the
        // shards' last ones. The shards' lists were gathered batch by batch rather than shard
        // by shard: the sorts below give the same order either way (equal keys only come from
        // one packet, so from one shard, whose events keep their order).
        let (mut dns, mut http, mut tls) = (
            concat(std::mem::take(&mut an.dns), done.dns),
            concat(std::mem::take(&mut an.http), done.http),
            concat(std::mem::take(&mut an.tls), done.tls),
        );
        let mut groups = Vec::with_capacity(SHARDS);
        let mut scattered = Vec::with_capacity(SHARDS);
        for t in tables.iter_mut() {
            groups.push(std::mem::take(&mut t.budget.groups));
            scattered.push(std::mem::take(&mut t.budget.scattered));
        }
        let finished = done.flows;
        let events = || {
            sort_by_key(&mut tls, |s| (s.first_ts_ns, s.capture, s.first_frame, 0));
            // The DNS events are in order already (see `process`) but for those of the flows
            // finished at the end, and of a clock going back: the standard library's stable
            // sort finds the ordered run and merges the rest into it, where sorting by keys
            // moved every event.
            dns.sort_by_key(dns_key);
            sort_by_key(&mut http, |e| {
                (e.req_ts_ns, e.capture, e.req_frame, e.client_port)
            });
        };
        let flows = || {
            let groups = crate::flow::fold::merge_groups(groups);
            let scattered = crate::flow::fold::merge_groups(scattered);
            let mut flows: Vec<Conn> = finished;
            let fold_groups = groups.len() + scattered.len();
            note_keys(&mut keys, &groups, flows.len());
            flows.extend(groups);
            sort_with_keys(&mut flows, keys, |c| c.first_ts_ns);
            (flows, scattered, fold_groups)
        };
        let ((), (flows, scattered, fold_groups)) = rayon::join(events, flows);
        (an.dns, an.http, an.tls) = (dns, http, tls);
        an.scattered = scattered;
        an.counters.fold_groups = fold_groups as u64;
        an.counters.flows_scattered = an.scattered.iter().map(|c| c.weight()).sum();
        an.flows = flows;
        for (s, mut st) in streams.into_iter().zip(stats) {
            st.meta = s.reader.meta;
            an.captures.push(st);
        }
        an
    }
}

fn analyze_in_pool(
    inputs: &[Input<'_>],
    cfg: &Config,
    reader_thread: bool,
    wide: Option<&rayon::ThreadPool>,
) -> Result<Analysis> {
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
    let mut pass = Pass::new(cfg, streams.len());
    let whole = streams.len() == 1;
    for (i, s) in streams.iter_mut().enumerate() {
        read_batch(&mut s.reader, &mut s.cur, i as u16, whole, &mut s.done)?;
    }
    match streams.as_mut_slice() {
        [s] if reader_thread => with_reader_thread(s, &mut pass)?,
        [s] => one_thread(s, &mut pass)?,
        _ => merge_in_time(&mut streams, &mut pass)?,
    }
    Ok(match wide {
        Some(wide) => wide.install(|| pass.finish(streams)),
        None => pass.finish(streams),
    })
}

/// One capture, a reader thread: it reads and walks records up to READ_AHEAD batches ahead
/// and hands them over in order; the pool decodes them and runs them through the flows;
/// buffers come back for reuse. The two sides meet only at the channel (no per-batch
/// barrier), and the split is even: on the benchmark capture reading was 40% of the work,
/// decoding and flows 60% (perf, per thread).
fn with_reader_thread(s: &mut Stream<'_>, pass: &mut Pass<'_>) -> Result<()> {
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
            // Buffers back from the flows side, the latest on top: it is read into next, as
            // the one most likely still in the cache.
            let mut spare: Vec<Decoded> = Vec::new();
            while !*done {
                spare.extend(back_rx.try_iter());
                let mut d = spare.pop().unwrap_or_default();
                let r = read_frames(reader, &mut d, done);
                let more = matches!(r, Ok(true));
                if more && queued.load(Relaxed) > 0 {
                    d.decode_here(0, true);
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
        let mut roots = crate::cert::RootsReader::default();
        loop {
            if batch.packets.is_empty() && !batch.batch.frames.is_empty() {
                if rayon::current_num_threads() == 1 {
                    batch.decode_here(0, true);
                } else {
                    batch.decode(0, true);
                }
            }
            if batch.packets.is_empty() {
                break;
            }
            pass.whole_batch(&mut batch);
            let used = std::mem::take(&mut batch);
            let _ = back_tx.send(used);
            batch = match recv_awake(&rx, &mut || roots.step()) {
                Ok(r) => {
                    queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    r?
                }
                Err(_) => Decoded::default(), // the reader is done
            };
        }
        Ok(())
    })
}

/// The reader thread's next batch, waited for awake for up to [`SPIN`] before asleep.
/// Meanwhile `idle` does a small piece of useful work for as long as it says there is more
/// (Mozilla's roots, one at a time, which detection needs next).
///
/// The reader is usually microseconds from handing the next batch over. Asleep, each batch
/// costs a wake-up: a system call on the reader's side, and on a virtual machine an
/// interrupt between processors and a context switch on this side. On the big-download
/// capture, where the flows wait for the reader, that was a tenth of the two-thread run.
fn recv_awake(
    rx: &std::sync::mpsc::Receiver<Result<Decoded>>,
    idle: &mut dyn FnMut() -> bool,
) -> std::result::Result<Result<Decoded>, std::sync::mpsc::RecvError> {
    use std::sync::mpsc::{RecvError, TryRecvError};
    let mut since = std::time::Instant::now();
    loop {
        match rx.try_recv() {
            Ok(r) => return Ok(r),
            Err(TryRecvError::Disconnected) => return Err(RecvError),
            Err(TryRecvError::Empty) if idle() => since = std::time::Instant::now(),
            Err(TryRecvError::Empty) if since.elapsed() < SPIN => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return rx.recv(),
        }
    }
}

/// How long the flows side waits awake for the reader's next batch (a reader slower than
/// that, reading from a disk rather than the page cache, is waited for asleep).
const SPIN: std::time::Duration = std::time::Duration::from_micros(200);

/// One capture, one thread: each batch goes through the flows, then the next chunk is read
/// into the buffer just processed, still in the cache (not into a second one that was last
/// touched a batch ago: the kernel's copy of each chunk then writes to the cache).
fn one_thread(s: &mut Stream<'_>, pass: &mut Pass<'_>) -> Result<()> {
    while !s.cur.packets.is_empty() {
        pass.whole_batch(&mut s.cur);
        read_batch(&mut s.reader, &mut s.cur, 0, true, &mut s.done)?;
    }
    Ok(())
}

/// Several captures: merge the streams' current batches in timestamp order until one runs
/// dry, process what was merged, refill, repeat.
fn merge_in_time(streams: &mut [Stream<'_>], pass: &mut Pass<'_>) -> Result<()> {
    loop {
        pass.merged.clear();
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
            pass.merged.push((i as u16, s.pos as u32));
            s.pos += 1;
            if s.pos >= s.cur.packets.len() && !s.done {
                break;
            }
        }
        if pass.merged.is_empty() {
            return Ok(());
        }
        let mut views: Vec<&mut Decoded> = streams.iter_mut().map(|s| &mut s.cur).collect();
        pass.merged_batch(&mut views);
        // Refill whatever ran dry.
        for (i, s) in streams.iter_mut().enumerate() {
            if s.pos >= s.cur.packets.len() && !s.done {
                s.pos = 0;
                read_batch(&mut s.reader, &mut s.cur, i as u16, false, &mut s.done)?;
            }
        }
    }
}

/// What large records are sorted by (see [`sort_with_keys`]).
type SortKey = (i64, u16, u64, u16);

/// Notes the canonical sort key (time, capture, frame) of each of `records`, which are to
/// go at position `at` onwards of the flows.
fn note_keys(keys: &mut Vec<(SortKey, usize)>, records: &[Conn], at: usize) {
    keys.extend(records.iter().enumerate().map(|(i, c)| {
        let (ts, capture, frame) = c.sort_key();
        ((ts, capture, frame, 0), at + i)
    }));
}

/// Sorts `v` by `key`, stably (ties keep their order), moving each element once: the keys
/// and positions are sorted, then the permutation is applied in place (the records are large,
/// and a comparison sort moves them many times).
fn sort_by_key<T: Send>(v: &mut [T], key: impl Fn(&T) -> SortKey) {
    let keys: Vec<(SortKey, usize)> = v.iter().enumerate().map(|(i, x)| (key(x), i)).collect();
    sort_with_keys(v, keys, |x| key(x).0);
}

/// [`sort_by_key`] with the keys given: `keys` holds each element's key and position
/// (`touch`: see [`apply_permutation`]).
fn sort_with_keys<T: Send>(
    v: &mut [T],
    mut keys: Vec<(SortKey, usize)>,
    touch: impl Fn(&T) -> i64,
) {
    debug_assert_eq!(keys.len(), v.len());
    keys.par_sort_unstable();
    let perm: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    apply_permutation(v, &perm, touch);
}

/// Reorders `v` so that position `k` holds the element that was at `perm[k]`. `touch` reads
/// a field of an element: the element [`AHEAD`] steps further along the cycle is read that
/// way while this one moves, so that its memory is on the way by the time it moves (each
/// element moved is elsewhere in a list far larger than the cache).
fn apply_permutation<T>(v: &mut [T], perm: &[usize], touch: impl Fn(&T) -> i64) {
    let mut done = vec![false; v.len()];
    let mut seen = 0i64;
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut ahead = start;
        for _ in 0..AHEAD {
            ahead = perm[ahead];
        }
        let mut k = start;
        loop {
            done[k] = true;
            let src = perm[k];
            if src == start {
                break;
            }
            seen ^= touch(&v[ahead]);
            ahead = perm[ahead];
            v.swap(k, src);
            k = src;
        }
    }
    std::hint::black_box(seen);
}

/// How far along a cycle [`apply_permutation`] reads ahead.
const AHEAD: usize = 8;

/// `a` then `b`, in `a`'s memory (in `b`'s when `a` is empty: nothing is copied then).
fn concat<T>(mut a: Vec<T>, mut b: Vec<T>) -> Vec<T> {
    if a.is_empty() {
        return b;
    }
    a.append(&mut b);
    a
}

/// Keeps `ev` in `list` unless it holds `max` already; counts it in `dropped` then.
fn keep<T>(list: &mut Vec<T>, ev: T, max: usize, dropped: &mut u64) {
    if list.len() < max {
        list.push(ev);
    } else {
        *dropped += 1;
    }
}

/// Where a packet's in-order work goes, after it was counted (see [`InOrder::packet`]).
struct InOrder<'a> {
    stats: &'a mut CaptureStats,
    an: &'a mut Analysis,
    /// DNS events the pass kept itself (see `Shards::own_dns`).
    own_dns: &'a mut usize,
    defrag: &'a mut Defrag,
    cfg: &'a Config,
}

impl InOrder<'_> {
    /// The in-order work of one packet, the same whether its batch was counted with its
    /// decoding or packet by packet: if [`tally`] called it special, the truncated frames'
    /// sample and the notable events (see [`account_special`]); its DNS message over UDP
    /// (`udp_dns`); then, if it is a fragment, reassembly and the DNS message of the datagram
    /// it completes.
    fn packet(&mut self, p: &Packet, frame: &[u8], special: bool, udp_dns: Option<DnsEvent>) {
        let max = self.cfg.max_events;
        if special {
            account_special(self.stats, self.an, p, frame, self.cfg);
        }
        if let Some(ev) = udp_dns {
            keep_dns(self.an, self.own_dns, ev, max);
        }
        if special {
            if let Some(dgram) = reassemble(self.defrag, p, frame) {
                if let Some(ev) = DnsEvent::of_datagram(&dgram) {
                    keep_dns(self.an, self.own_dns, ev, max);
                }
            }
        }
    }
}

/// What packets add to their capture's counts and to the analysis's counters: sums (and a
/// first and last time), so that a batch's can be made apart, with its decoding, and added
/// in one go.
#[derive(Debug, Clone, Copy)]
struct Tally {
    decoded: u64,
    truncated: u64,
    undecoded: u64,
    first_ts_ns: i64,
    last_ts_ns: i64,
    packets: u64,
    bytes: u64,
    vlan_tagged: u64,
    arp: u64,
    ipv4: u64,
    ipv6: u64,
    ip_fragments: u64,
    ipv4_with_options: u64,
    tcp: u64,
    udp: u64,
    icmp: u64,
    other_ip: u64,
    other_link: u64,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            decoded: 0,
            truncated: 0,
            undecoded: 0,
            first_ts_ns: i64::MAX,
            last_ts_ns: i64::MIN,
            packets: 0,
            bytes: 0,
            vlan_tagged: 0,
            arp: 0,
            ipv4: 0,
            ipv6: 0,
            ip_fragments: 0,
            ipv4_with_options: 0,
            tcp: 0,
            udp: 0,
            icmp: 0,
            other_ip: 0,
            other_link: 0,
        }
    }
}

impl Tally {
    /// Adds these counts to a capture's and to the analysis's.
    fn add_to(&self, stats: &mut CaptureStats, c: &mut Counters) {
        if self.packets == 0 {
            return;
        }
        stats.decoded_packets += self.decoded;
        stats.truncated_packets += self.truncated;
        stats.undecoded_packets += self.undecoded;
        let (first, last) = (self.first_ts_ns, self.last_ts_ns);
        stats.first_ts_ns = Some(stats.first_ts_ns.map_or(first, |t| t.min(first)));
        stats.last_ts_ns = Some(stats.last_ts_ns.map_or(last, |t| t.max(last)));
        c.packets += self.packets;
        c.bytes += self.bytes;
        c.vlan_tagged += self.vlan_tagged;
        c.arp += self.arp;
        c.ipv4 += self.ipv4;
        c.ipv6 += self.ipv6;
        c.ip_fragments += self.ip_fragments;
        c.ipv4_with_options += self.ipv4_with_options;
        c.tcp += self.tcp;
        c.udp += self.udp;
        c.icmp += self.icmp;
        c.other_ip += self.other_ip;
        c.other_link += self.other_link;
    }
}

/// Counts `p` into `t`. Whether the packet needs more, in packet order (see
/// [`account_special`]): a truncated frame, ARP, ICMP, an IP fragment.
fn tally(t: &mut Tally, p: &Packet) -> bool {
    let mut special = false;
    match p.status {
        DecodeStatus::Decoded => t.decoded += 1,
        DecodeStatus::Truncated => {
            t.truncated += 1;
            special = true;
        }
        DecodeStatus::Undecodable => t.undecoded += 1,
    }
    t.first_ts_ns = t.first_ts_ns.min(p.ts_ns);
    t.last_ts_ns = t.last_ts_ns.max(p.ts_ns);
    t.packets += 1;
    t.bytes += p.wire_len as u64;
    if p.vlan.is_some() {
        t.vlan_tagged += 1;
    }
    match &p.net {
        Network::Arp(_) => {
            t.arp += 1;
            special = true;
        }
        Network::Ip(ip) => {
            if ip.src.is_ipv4() {
                t.ipv4 += 1;
            } else {
                t.ipv6 += 1;
            }
            if ip.fragment != decode::Fragment::None {
                t.ip_fragments += 1;
                special = true;
            }
            if ip.has_options {
                t.ipv4_with_options += 1;
            }
            match &ip.transport {
                Transport::Tcp(_) => t.tcp += 1,
                Transport::Udp(_) => t.udp += 1,
                Transport::Icmp(_) => {
                    t.icmp += 1;
                    special = true;
                }
                Transport::Other(_) | Transport::Fragment(_) => t.other_ip += 1,
            }
        }
        Network::Other(_) => t.other_link += 1,
        Network::None => {}
    }
    special
}

/// What accounting a packet [`tally`] calls special does beyond counting, in packet order:
/// the sample of truncated frames and the notable events (ARP, ICMP errors, NDP).
fn account_special(
    stats: &mut CaptureStats,
    an: &mut Analysis,
    p: &Packet,
    frame: &[u8],
    cfg: &Config,
) {
    if matches!(p.status, DecodeStatus::Truncated) && stats.truncated_sample.len() < 8 {
        stats.truncated_sample.push(p.frame);
    }
    let c = &mut an.counters;
    match &p.net {
        Network::Arp(_) => {
            if let Some(ev) = ArpEvent::of(p) {
                keep(&mut an.arp, ev, cfg.max_events, &mut c.events_dropped);
            }
        }
        Network::Ip(ip) if matches!(ip.transport, Transport::Icmp(_)) => {
            if let Some(ev) = IcmpEvent::of(p) {
                keep(&mut an.icmp_errors, ev, cfg.max_events, &mut c.events_dropped);
            } else if let Some(ev) = NdpEvent::of(p, frame) {
                keep(&mut an.ndp, ev, cfg.max_events, &mut c.events_dropped);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::capture::Input;
    use crate::config::Config;

    /// What accounting gives: the counters, the capture's counts and the events kept.
    fn accounted(an: &super::Analysis) -> String {
        let c = &an.captures[0];
        format!(
            "{}\n{} {} {} {:?} {:?} {:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            serde_json::to_string(&an.counters).unwrap_or_default(),
            c.decoded_packets,
            c.truncated_packets,
            c.undecoded_packets,
            c.first_ts_ns,
            c.last_ts_ns,
            c.truncated_sample,
            an.arp.iter().map(|e| e.frame).collect::<Vec<_>>(),
            an.icmp_errors.iter().map(|e| e.frame).collect::<Vec<_>>(),
            an.ndp.iter().map(|e| e.frame).collect::<Vec<_>>(),
            an.dns.iter().map(|e| (e.frame, e.tcp)).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn a_batch_counted_with_its_decoding_is_accounted_as_packet_by_packet() {
        // One capture runs whole (its counts, shard lists and DNS made with the decoding);
        // merged with an empty capture, the same packets are accounted one by one. Captures
        // with truncated frames, ARP, ICMP errors, NDP, IP fragments and DNS, in small chunks
        // (many batches), on one thread and two (a reader thread), with event limits low
        // enough to drop some.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let empty = std::fs::read(root.join("synthetic/empty-pcapng.pcapng")).unwrap();
        for name in [
            "capture-truncated.pcap",
            "arp-storm.pcap",
            "frag-needed.pcap",
            "icmp-host-unreachable.pcap",
            "dns-timeout.pcap",
            "dns-tcp.pcap",
            "healthy-mix.pcap",
            "synthetic/ipv4-options-frags.pcap",
            "synthetic/ipv6-ext.pcap",
        ] {
            let bytes = std::fs::read(root.join(name)).unwrap();
            for threads in [1, 2] {
                for max_events in [usize::MAX, 3] {
                    let cfg = Config {
                        threads,
                        chunk_bytes: 2048,
                        max_events,
                        ..Config::default()
                    };
                    let one = Input::Bytes {
                        name: name.into(),
                        data: &bytes,
                    };
                    let none = Input::Bytes {
                        name: "empty".into(),
                        data: &empty,
                    };
                    let whole = super::analyze(std::slice::from_ref(&one), &cfg).unwrap();
                    let merged = super::analyze(&[one, none], &cfg).unwrap();
                    assert!(whole.counters.packets > 0, "{name}");
                    assert_eq!(
                        accounted(&whole),
                        accounted(&merged),
                        "{name}, {threads} threads, max_events {max_events}"
                    );
                }
            }
        }
    }

    #[test]
    fn permutation_is_applied_in_place() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        super::apply_permutation(&mut v, &[3, 0, 4, 1, 2], |c| *c as i64);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
    }

    #[test]
    fn long_and_short_cycles_are_applied_whatever_the_read_ahead() {
        // Cycles shorter and longer than the read-ahead, and elements in place.
        for n in [1usize, 2, 7, 8, 9, 100, 1000] {
            let perm: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
            let perm: Vec<usize> = if n % 7 == 0 { (0..n).rev().collect() } else { perm };
            let mut v: Vec<u64> = (0..n as u64).map(|x| x * 10).collect();
            super::apply_permutation(&mut v, &perm, |x| *x as i64);
            let want: Vec<u64> = perm.iter().map(|&p| p as u64 * 10).collect();
            assert_eq!(v, want, "n = {n}");
        }
    }
}
