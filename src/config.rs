//! What an analysis is asked to do ([`Config`]) and the flow timeouts inside it
//! ([`Timeouts`]). Every stage reads it; it imports nothing from the crate.

/// Default size of one read chunk. A batch holds the complete records of one chunk. 512 KiB
/// keeps a batch in the L2 cache while it is decoded and run through the flows: on the
/// benchmark capture it ran 10% faster than 4 MiB at one thread and at two (perf stat -r 10).
pub const CHUNK_BYTES: usize = 512 << 10;

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
    /// finished early and counted (the report's `summary.limits` says how many).
    pub max_flows: usize,
    /// Most finished-flow records kept as they are (all shards together); beyond it, flows
    /// with nothing particular about them are folded into one record per responder and
    /// outcome, so memory follows concurrent flows, not all flows. `usize::MAX` keeps every
    /// record (what `pcap-rca flows` uses).
    pub max_records: usize,
    /// Extra trust anchors (PEM bundles) besides Mozilla's roots, e.g. a private CA.
    pub ca_bundles: Vec<std::path::PathBuf>,
    /// Told how far the analysis is, after each batch: packets and capture bytes (frames plus
    /// their 16-byte record headers, close to the size of a pcap file) processed so far.
    pub progress: Option<Progress>,
}

/// A progress callback (see [`Config::progress`]): `(packets, bytes)` so far. It is called
/// from the thread that runs the analysis, about once per chunk read.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: 0,
            chunk_bytes: CHUNK_BYTES,
            timeouts: Timeouts::default(),
            max_events: 1_000_000,
            max_flows: 4_000_000,
            max_records: 128_000,
            ca_bundles: Vec::new(),
            progress: None,
        }
    }
}

/// Idle timeouts after which a flow is finished (Zeek's defaults: 5 min TCP, 1 min UDP/ICMP).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A TCP connection with no packet for this long is over (ns; default 300 s).
    pub tcp_ns: i64,
    /// A UDP flow with no datagram for this long is over (ns; default 60 s).
    pub udp_ns: i64,
    /// An ICMP flow with no message for this long is over (ns; default 60 s).
    pub icmp_ns: i64,
    /// A TCP connection both sides closed (FIN), or one side reset, is over after this much
    /// quiet (Zeek's tcp_close_delay): it stops taking memory long before the idle timeout
    /// (ns; default 5 s).
    pub tcp_closed_ns: i64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_ns: 300 * 1_000_000_000,
            udp_ns: 60 * 1_000_000_000,
            icmp_ns: 60 * 1_000_000_000,
            tcp_closed_ns: 5 * 1_000_000_000,
        }
    }
}
