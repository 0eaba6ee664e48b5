//! What an analysis is asked to do ([`Config`]), the flow timeouts inside it ([`Timeouts`])
//! and the detectors' tunables it overrides ([`TunableValue`]). Every stage reads it; it
//! imports nothing from the crate.

use std::collections::BTreeMap;

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
    /// Detector tunables overridden for this analysis, by key `DETECTOR.TUNABLE` (the
    /// detector's id and the tunable's name as `pcap-rca detectors` lists them, in any case:
    /// `tcp.syn_unanswered.critical_attempts`). Durations are integer nanoseconds. A tunable
    /// not named here keeps its default. The analysis checks every entry before it reads a
    /// packet: an unknown key or a value its tunable cannot take is an
    /// [`Error::Config`](crate::Error::Config) naming it. [`Config::load_toml`] fills this (and
    /// the limits and timeouts) from the `--config` file format.
    pub tunables: BTreeMap<String, TunableValue>,
}

/// The value of an overridden detector tunable (see [`Config::tunables`]). Integers fit
/// integer tunables (counts, sizes, durations in ns) and fractional ones; floats fit only
/// fractional ones. None may be negative.
#[derive(Debug, Clone, Copy)]
pub enum TunableValue {
    /// An integer (a duration in nanoseconds, a count, a size).
    Int(i64),
    /// A number with a fraction (a share between 0 and 1).
    Float(f64),
}

impl TunableValue {
    /// `Int(i)` when `float` is false, else `Float(f)`: for constant tables, where the
    /// tunable's type decides which of the two is its value.
    pub const fn either(float: bool, i: i64, f: f64) -> TunableValue {
        if float {
            TunableValue::Float(f)
        } else {
            TunableValue::Int(i)
        }
    }
}

/// Equal when of the same kind and value; floats compare by [`f64::total_cmp`], so equality
/// is an equivalence (and `Eq` holds).
impl PartialEq for TunableValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TunableValue::Int(a), TunableValue::Int(b)) => a == b,
            (TunableValue::Float(a), TunableValue::Float(b)) => a.total_cmp(b).is_eq(),
            _ => false,
        }
    }
}

impl Eq for TunableValue {}

impl From<i64> for TunableValue {
    fn from(v: i64) -> Self {
        TunableValue::Int(v)
    }
}

impl From<f64> for TunableValue {
    fn from(v: f64) -> Self {
        TunableValue::Float(v)
    }
}

impl std::fmt::Display for TunableValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TunableValue::Int(v) => write!(f, "{v}"),
            TunableValue::Float(v) => write!(f, "{v:?}"),
        }
    }
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
            tunables: BTreeMap::new(),
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
