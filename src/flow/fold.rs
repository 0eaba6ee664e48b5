//! The record budget: what keeps memory proportional to concurrent flows, not to all flows.
//!
//! Every finished flow becomes a [`Conn`] record. A flood of ten million SYNs spread over
//! hours never has many flows alive at once, but ten million records would take gigabytes.
//! So each flow table keeps at most its share of `Config::max_records` records as they are;
//! beyond that, a flow with nothing particular about it is *folded*: added to the one record
//! that stands for every such flow with the same responder (address, port, protocol, capture)
//! and the same outcome (state, history, who answered, who reset, first-packet counts). The
//! record is the group's earliest flow, unchanged, so its frames stay real evidence; its
//! [`Fold`] counts the flows, packets and bytes of the whole group, their sources (the first
//! [`MAX_LISTED_SOURCES`] listed with their flow counts, all of them counted exactly while few
//! and estimated with HyperLogLog beyond) and their start times (a histogram whose bucket
//! widens so it never exceeds [`MAX_BUCKETS`]).
//!
//! What counts as particular (see [`particular`]) is whatever a per-flow detector looks at:
//! retransmitted or lost data, zero windows, a reset after data, data left unanswered or
//! unacknowledged. Such flows are kept up to [`PARTICULAR_FACTOR`] times the budget, and only
//! folded beyond that.
//!
//! Groups are bounded too. Once a flow table holds `max_groups` server groups (its record
//! budget, at least [`MIN_GROUPS`]), flows to servers without a group are folded per source
//! instead (a scan of many hosts and ports: `Analysis::scattered`, with the targets counted),
//! and beyond as many source groups, per outcome alone. Memory is then bounded by the live
//! flows and the budget, whatever the length of the capture.
//!
//! Detectors read a folded record through [`Conn::weight`], [`Conn::sources`] and
//! [`Conn::starts`]; the report's `summary.limits` says when folding happened.

use std::collections::BTreeMap;
use std::net::IpAddr;

use cardinality_estimator::CardinalityEstimator;

use super::tcp::History;
use super::{Conn, Proto};

/// A distinct-count sketch of addresses: exact while small, HyperLogLog (2^12 registers,
/// about 1.6% error) beyond.
pub(crate) type Distinct = CardinalityEstimator<IpAddr>;

/// Sources listed by name (with their flow counts) in one folded record.
pub const MAX_LISTED_SOURCES: usize = 1024;
/// Start-time histogram buckets in one folded record; the bucket width doubles beyond it.
pub const MAX_BUCKETS: usize = 4096;
/// Groups per server a flow table holds at least, even with a smaller record budget.
pub const MIN_GROUPS: usize = 4096;
/// Particular flows are kept up to this many times the record budget.
pub const PARTICULAR_FACTOR: usize = 4;
/// First bucket width of the start-time histogram.
const BUCKET_NS: i64 = 1_000_000_000;

/// How a group is keyed. Flows fold per server first; when a flow table holds
/// `max_groups` server groups, flows to servers it has no group for fold per source (a scan
/// of many hosts and ports), and beyond as many source groups, into one group per outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Server,
    Source,
    Anywhere,
}

/// What a folded group has in common: the responder (or, scattered, the source) and
/// everything the detectors test on one flow, so any of its flows (the record shown) answers
/// those tests for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FoldKey {
    level: Level,
    source: Option<IpAddr>,
    proto: Proto,
    resp_ip: IpAddr,
    resp_port: u16,
    capture: u16,
    vlan: Option<u16>,
    conn_state: super::tcp::ConnState,
    history: History,
    syn: bool,
    synack: bool,
    rst_by: Option<&'static str>,
    orig_data: bool,
    resp_data: bool,
    /// Packets each way, capped: "at most 4 packets" is a probe, one reply is not several.
    orig_pkts: u8,
    resp_pkts: u8,
    resp_ttl: Option<u8>,
    rst_ttl: Option<u8>,
}

impl FoldKey {
    pub fn of(c: &Conn) -> FoldKey {
        FoldKey {
            level: Level::Server,
            source: None,
            proto: c.proto,
            resp_ip: c.resp_ip,
            resp_port: c.resp_port,
            capture: c.capture,
            vlan: c.vlan,
            conn_state: c.conn_state,
            history: c.history,
            syn: c.syn_frame.is_some(),
            synack: c.synack_frame.is_some(),
            rst_by: c.rst_by,
            orig_data: c.orig_bytes > 0,
            resp_data: c.resp_bytes > 0,
            orig_pkts: c.orig_pkts.min(5) as u8,
            resp_pkts: c.resp_pkts.min(2) as u8,
            resp_ttl: c.resp_ttl,
            rst_ttl: c.rst_ttl,
        }
    }
}

impl FoldKey {
    /// The key of `c`'s group per source (`Anywhere`: without the source either).
    fn scattered(mut self, c: &Conn, level: Level) -> FoldKey {
        self.level = level;
        self.source = (level == Level::Source).then_some(c.orig_ip);
        self.resp_ip = match c.resp_ip {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        };
        self.resp_port = 0;
        self.resp_ttl = None;
        self.rst_ttl = None;
        self
    }
}

/// The servers (address, port) a scattered group's flows went to.
#[derive(Debug, Clone)]
pub struct Targets {
    pairs: CardinalityEstimator<(IpAddr, u16)>,
    hosts: CardinalityEstimator<IpAddr>,
    ports: CardinalityEstimator<u16>,
    /// The first targets met (the smallest when groups merge), for the report.
    pub sample: std::collections::BTreeSet<(IpAddr, u16)>,
}

/// Targets listed by name in a scattered group.
pub const MAX_LISTED_TARGETS: usize = 64;

impl Targets {
    fn new() -> Targets {
        Targets {
            pairs: CardinalityEstimator::new(),
            hosts: CardinalityEstimator::new(),
            ports: CardinalityEstimator::new(),
            sample: Default::default(),
        }
    }

    fn add(&mut self, ip: IpAddr, port: u16) {
        self.pairs.insert(&(ip, port));
        self.hosts.insert(&ip);
        self.ports.insert(&port);
        self.sample.insert((ip, port));
        if self.sample.len() > MAX_LISTED_TARGETS {
            self.sample.pop_last();
        }
    }

    fn merge(&mut self, o: &Targets) {
        self.pairs.merge(&o.pairs);
        self.hosts.merge(&o.hosts);
        self.ports.merge(&o.ports);
        self.sample.extend(o.sample.iter().copied());
        while self.sample.len() > MAX_LISTED_TARGETS {
            self.sample.pop_last();
        }
    }

    /// Distinct addresses and ports among several groups' targets and some more (listed)
    /// ones: the estimate of their union, not a sum that counts shared ones twice.
    pub fn union_counts<'a>(
        groups: impl Iterator<Item = &'a Targets>,
        hosts: impl Iterator<Item = IpAddr>,
        ports: impl Iterator<Item = u16>,
    ) -> (u64, u64) {
        let mut h: CardinalityEstimator<IpAddr> = CardinalityEstimator::new();
        let mut p: CardinalityEstimator<u16> = CardinalityEstimator::new();
        for t in groups {
            h.merge(&t.hosts);
            p.merge(&t.ports);
        }
        for x in hosts {
            h.insert(&x);
        }
        for x in ports {
            p.insert(&x);
        }
        (h.estimate() as u64, p.estimate() as u64)
    }

    /// Distinct (address, port) targets, distinct addresses, distinct ports (estimates).
    pub fn counts(&self) -> (u64, u64, u64) {
        let n = self.sample.len();
        (
            self.pairs.estimate().max(n) as u64,
            self.hosts.estimate() as u64,
            self.ports.estimate() as u64,
        )
    }
}

/// Whether a per-flow detector may want this flow on its own (it is then kept, not folded,
/// as long as the particular-flow allowance lasts).
pub fn particular(c: &Conn) -> bool {
    let data = c.orig_bytes > 0 || c.resp_bytes > 0;
    c.missed_bytes > 0
        || c.gap_frame.is_some()
        || c.zero_window_frame.is_some()
        || c.orig_unacked_bytes > 0
        || c.resp_unacked_bytes > 0
        || (data && (c.rtx_frame.is_some() || c.rst_frame.is_some()))
        || (c.orig_bytes > 0 && c.resp_bytes == 0)
}

/// Packet, byte and event counts of one flow, or summed over the flows of a folded record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub orig_pkts: u64,
    pub resp_pkts: u64,
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    pub orig_retransmissions: u64,
    pub resp_retransmissions: u64,
    pub orig_zero_windows: u64,
    pub resp_zero_windows: u64,
    pub missed_bytes: u64,
}

impl Totals {
    pub fn of(c: &Conn) -> Totals {
        Totals {
            orig_pkts: c.orig_pkts,
            resp_pkts: c.resp_pkts,
            orig_bytes: c.orig_bytes,
            resp_bytes: c.resp_bytes,
            orig_retransmissions: c.orig_retransmissions.into(),
            resp_retransmissions: c.resp_retransmissions.into(),
            orig_zero_windows: c.orig_zero_windows.into(),
            resp_zero_windows: c.resp_zero_windows.into(),
            missed_bytes: c.missed_bytes,
        }
    }

    fn add(&mut self, o: &Totals) {
        self.orig_pkts += o.orig_pkts;
        self.resp_pkts += o.resp_pkts;
        self.orig_bytes += o.orig_bytes;
        self.resp_bytes += o.resp_bytes;
        self.orig_retransmissions += o.orig_retransmissions;
        self.resp_retransmissions += o.resp_retransmissions;
        self.orig_zero_windows += o.orig_zero_windows;
        self.resp_zero_windows += o.resp_zero_windows;
        self.missed_bytes += o.missed_bytes;
    }

    /// Retransmissions both ways.
    pub fn retransmissions(&self) -> u64 {
        self.orig_retransmissions + self.resp_retransmissions
    }

    /// Zero-window advertisements both ways.
    pub fn zero_windows(&self) -> u64 {
        self.orig_zero_windows + self.resp_zero_windows
    }
}

/// Flows of one source within a folded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceFlows {
    pub flows: u64,
    pub first_ts_ns: i64,
    pub last_ts_ns: i64,
}

impl SourceFlows {
    /// Adds another count of the same source's flows.
    fn absorb(&mut self, o: SourceFlows) {
        self.flows += o.flows;
        self.first_ts_ns = self.first_ts_ns.min(o.first_ts_ns);
        self.last_ts_ns = self.last_ts_ns.max(o.last_ts_ns);
    }
}

/// The flows a folded record stands for (its own flow included).
#[derive(Debug, Clone)]
pub struct Fold {
    pub flows: u64,
    /// Packets, bytes and events summed over the flows.
    pub totals: Totals,
    /// Latest last packet of any of the flows.
    pub last_ts_ns: i64,
    /// The first sources met (smallest addresses when groups merge), with their flows.
    pub sources: BTreeMap<IpAddr, SourceFlows>,
    /// Flows from sources not listed in `sources`.
    pub unlisted_flows: u64,
    distinct: Distinct,
    /// Flow starts per bucket of `bucket_ns` (key: start of the bucket).
    pub starts: BTreeMap<i64, u64>,
    pub bucket_ns: i64,
    /// For a group per source or per outcome: where its flows went.
    pub targets: Option<Box<Targets>>,
}

impl Fold {
    fn of(c: &Conn, level: Level) -> Fold {
        let mut f = Fold {
            flows: 0,
            totals: Totals::default(),
            last_ts_ns: c.last_ts_ns,
            sources: BTreeMap::new(),
            unlisted_flows: 0,
            distinct: CardinalityEstimator::new(),
            starts: BTreeMap::new(),
            bucket_ns: BUCKET_NS,
            targets: (level != Level::Server).then(|| Box::new(Targets::new())),
        };
        f.add(c);
        f
    }

    fn add(&mut self, c: &Conn) {
        self.flows += 1;
        self.totals.add(&Totals::of(c));
        self.last_ts_ns = self.last_ts_ns.max(c.last_ts_ns);
        self.add_source(
            c.orig_ip,
            SourceFlows {
                flows: 1,
                first_ts_ns: c.first_ts_ns,
                last_ts_ns: c.first_ts_ns,
            },
        );
        self.distinct.insert(&c.orig_ip);
        self.add_starts(c.first_ts_ns, 1);
        if let Some(t) = self.targets.as_mut() {
            t.add(c.resp_ip, c.resp_port);
        }
    }

    fn add_source(&mut self, ip: IpAddr, s: SourceFlows) {
        if let Some(e) = self.sources.get_mut(&ip) {
            e.absorb(s);
        } else if self.sources.len() < MAX_LISTED_SOURCES {
            self.sources.insert(ip, s);
        } else {
            self.unlisted_flows += s.flows;
        }
    }

    fn add_starts(&mut self, ts_ns: i64, n: u64) {
        *self
            .starts
            .entry(ts_ns.div_euclid(self.bucket_ns) * self.bucket_ns)
            .or_default() += n;
        while self.starts.len() > MAX_BUCKETS {
            self.widen(self.bucket_ns.saturating_mul(2));
        }
    }

    /// Re-buckets the histogram with (wider) buckets of `width` ns.
    fn widen(&mut self, width: i64) {
        let mut wider: BTreeMap<i64, u64> = BTreeMap::new();
        for (t, n) in std::mem::take(&mut self.starts) {
            *wider.entry(t.div_euclid(width) * width).or_default() += n;
        }
        self.starts = wider;
        self.bucket_ns = width;
    }

    /// Adds another group's flows (the same key, from another flow table).
    fn merge(&mut self, o: Fold) {
        self.flows += o.flows;
        self.totals.add(&o.totals);
        self.last_ts_ns = self.last_ts_ns.max(o.last_ts_ns);
        self.distinct.merge(&o.distinct);
        match (self.targets.as_mut(), o.targets.as_ref()) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.targets = Some(b.clone()),
            _ => {}
        }
        // Which sources stay listed must not depend on the merge order: the smallest ones.
        let mut all = std::mem::take(&mut self.sources);
        for (ip, s) in o.sources {
            all.entry(ip).and_modify(|e| e.absorb(s)).or_insert(s);
        }
        self.unlisted_flows += o.unlisted_flows;
        while all.len() > MAX_LISTED_SOURCES {
            if let Some((_, s)) = all.pop_last() {
                self.unlisted_flows += s.flows;
            }
        }
        self.sources = all;
        let width = self.bucket_ns.max(o.bucket_ns);
        if width != self.bucket_ns {
            self.widen(width);
        }
        for (t, n) in o.starts {
            self.add_starts(t, n);
        }
    }

    /// The sketch of its distinct sources.
    pub(crate) fn distinct(&self) -> &Distinct {
        &self.distinct
    }

    /// Distinct sources: exact while few, a HyperLogLog estimate (about 1.6%) beyond.
    pub fn distinct_sources(&self) -> u64 {
        (self.distinct.estimate() as u64).max(self.sources.len() as u64)
    }
}

impl serde::Serialize for Fold {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Fold", 3)?;
        st.serialize_field("flows", &self.flows)?;
        st.serialize_field("sources", &self.distinct_sources())?;
        st.serialize_field("last_ts", &crate::units::rfc3339(self.last_ts_ns))?;
        st.end()
    }
}

/// Folds `c` into the record that stands for its group `key`, or starts that record.
fn fold_into(groups: &mut rustc_hash::FxHashMap<FoldKey, Conn>, key: FoldKey, c: Conn) {
    let level = key.level;
    match groups.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => join(e.get_mut(), c, level),
        std::collections::hash_map::Entry::Vacant(e) => {
            let mut c = c;
            c.fold = Some(Box::new(Fold::of(&c, level)));
            e.insert(c);
        }
    }
}

/// Adds `other` (one flow, or another table's record of the same group) to the group record
/// `r`. The earlier of the two is the one shown; the counts of both end up in its fold.
fn join(r: &mut Conn, mut other: Conn, level: Level) {
    if other.sort_key() < r.sort_key() {
        std::mem::swap(r, &mut other);
    }
    let fold = match (r.fold.take(), other.fold.take()) {
        (Some(mut a), Some(b)) => {
            a.merge(*b);
            a
        }
        (Some(mut a), None) => {
            a.add(&other);
            a
        }
        (None, Some(mut b)) => {
            b.add(r);
            b
        }
        (None, None) => {
            let mut a = Box::new(Fold::of(r, level));
            a.add(&other);
            a
        }
    };
    r.fold = Some(fold);
}

/// Merges the folded records of several flow tables (in a fixed order: the result does not
/// depend on which thread finished first) into one record per group.
pub fn merge_groups(tables: Vec<rustc_hash::FxHashMap<FoldKey, Conn>>) -> Vec<Conn> {
    let mut all: BTreeMap<FoldKey, Conn> = BTreeMap::new();
    for t in tables {
        let mut t: Vec<(FoldKey, Conn)> = t.into_iter().collect();
        t.sort_unstable_by_key(|(k, c)| (*k, c.sort_key()));
        for (k, c) in t {
            match all.entry(k) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(c);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    join(e.get_mut(), c, k.level)
                }
            }
        }
    }
    // A group of one flow is just that flow.
    for c in all.values_mut() {
        if c.fold.as_ref().is_some_and(|f| f.flows <= 1) {
            c.fold = None;
        }
    }
    all.into_values().collect()
}

/// Keeps the budget of one flow table (unlimited by default).
#[derive(Debug)]
pub struct Budget {
    /// Records kept as they are, at most (this table's share of `Config::max_records`).
    pub max_records: usize,
    /// Groups per server at most (then per source, then per outcome).
    pub max_groups: usize,
    /// Records kept so far (placed in the `kept` lists given to [`Budget::place`]).
    pub kept: usize,
    /// Flows folded into group records.
    pub folded: u64,
    /// Folded group records per server.
    pub groups: rustc_hash::FxHashMap<FoldKey, Conn>,
    /// Folded group records per source or per outcome (flows to too many servers).
    pub scattered: rustc_hash::FxHashMap<FoldKey, Conn>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_records: usize::MAX,
            max_groups: usize::MAX,
            kept: 0,
            folded: 0,
            groups: Default::default(),
            scattered: Default::default(),
        }
    }
}

impl Budget {
    /// A budget of `max_records` records, and as many groups (at least [`MIN_GROUPS`]).
    pub fn new(max_records: usize) -> Budget {
        Budget {
            max_records,
            max_groups: max_records.max(MIN_GROUPS),
            ..Budget::default()
        }
    }

    /// Keeps `c`, pushed to `kept`, while the budget lasts (it counts the records it kept,
    /// wherever they went since); folds it otherwise.
    pub fn place(&mut self, kept: &mut Vec<Conn>, c: Conn) {
        let room = if particular(&c) {
            self.max_records.saturating_mul(PARTICULAR_FACTOR)
        } else {
            self.max_records
        };
        if self.kept < room {
            self.kept += 1;
            kept.push(c);
            return;
        }
        self.folded += 1;
        let key = FoldKey::of(&c);
        if self.groups.len() < self.max_groups || self.groups.contains_key(&key) {
            return fold_into(&mut self.groups, key, c);
        }
        let by_source = key.scattered(&c, Level::Source);
        if self.scattered.len() < self.max_groups || self.scattered.contains_key(&by_source) {
            return fold_into(&mut self.scattered, by_source, c);
        }
        let mut anywhere = key.scattered(&c, Level::Anywhere);
        if self.scattered.len() >= self.max_groups.saturating_mul(2)
            && !self.scattered.contains_key(&anywhere)
        {
            // Even the outcomes are too many (odd histories): state alone.
            anywhere.history = History::default();
        }
        fold_into(&mut self.scattered, anywhere, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: u64) -> Fold {
        let mut f = Fold {
            flows: 0,
            totals: Totals::default(),
            last_ts_ns: 0,
            sources: BTreeMap::new(),
            unlisted_flows: 0,
            distinct: Distinct::new(),
            starts: BTreeMap::new(),
            bucket_ns: BUCKET_NS,
            targets: None,
        };
        for i in 0..n {
            let ip = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            f.flows += 1;
            f.add_source(
                ip,
                SourceFlows {
                    flows: 1,
                    first_ts_ns: i as i64,
                    last_ts_ns: i as i64,
                },
            );
            f.distinct.insert(&ip);
            f.add_starts(i as i64 * 7_000_000_000, 1);
        }
        f
    }

    #[test]
    fn histogram_and_source_list_stay_bounded() {
        let f = group(20_000);
        assert!(f.starts.len() <= MAX_BUCKETS);
        assert_eq!(f.starts.values().sum::<u64>(), 20_000);
        assert_eq!(f.sources.len(), MAX_LISTED_SOURCES);
        assert_eq!(f.unlisted_flows, 20_000 - MAX_LISTED_SOURCES as u64);
        let est = f.distinct_sources() as f64;
        assert!((est / 20_000.0 - 1.0).abs() < 0.03, "{est}");
    }

    #[test]
    fn merging_does_not_depend_on_order() {
        let (a, b) = (group(3_000), group(1_500));
        let (mut x, mut y) = (a.clone(), b.clone());
        x.merge(b);
        y.merge(a);
        assert_eq!(x.flows, y.flows);
        assert_eq!(x.sources, y.sources);
        assert_eq!(x.unlisted_flows, y.unlisted_flows);
        assert_eq!(x.starts, y.starts);
        assert_eq!(x.distinct_sources(), y.distinct_sources());
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;
    use crate::flow::tcp::ConnState;
    use crate::flow::testing::{conn, ip};

    /// The budget counts the records it kept, not the list it is given: records moved out
    /// of the list (as the pass does after each batch) still count.
    #[test]
    fn kept_records_count_after_they_are_moved_out() {
        let mut b = Budget::new(3);
        let mut moved = Vec::new();
        for p in 0..5u16 {
            let mut kept = Vec::new();
            let c = conn(ip(1, 1), 1000 + p, ip(2, 0), 80, ConnState::Sf, "ShADadFf", p as i64);
            b.place(&mut kept, c);
            moved.append(&mut kept);
        }
        assert_eq!((moved.len(), b.kept, b.folded), (3, 3, 2));
    }

    /// 10 sources each probing the same 10 services, with room for 4 groups: 4 server groups,
    /// then 4 source groups, then one group for the rest; every flow counted once.
    #[test]
    fn groups_fall_back_per_source_then_per_outcome() {
        let mut b = Budget {
            max_records: 0,
            max_groups: 4,
            ..Budget::default()
        };
        let mut kept = Vec::new();
        for s in 0..10u8 {
            for p in 0..10u16 {
                let t = s as i64 * 100 + p as i64;
                b.place(
                    &mut kept,
                    conn(ip(1, s), 1000 + p, ip(2, 0), 1 + p, ConnState::S0, "S", t),
                );
            }
        }
        assert!(kept.is_empty());
        assert_eq!(b.folded, 100);
        assert_eq!(b.groups.len(), 4);
        let levels: Vec<Level> = b.scattered.keys().map(|k| k.level).collect();
        assert_eq!(levels.iter().filter(|l| **l == Level::Source).count(), 4);
        assert_eq!(levels.iter().filter(|l| **l == Level::Anywhere).count(), 1);
        let total: u64 = b
            .groups
            .values()
            .chain(b.scattered.values())
            .map(|c| c.weight())
            .sum();
        assert_eq!(total, 100);
        // A source group counts its targets.
        let by_source = b
            .scattered
            .iter()
            .find(|(k, _)| k.level == Level::Source)
            .and_then(|(_, c)| c.fold.as_ref()?.targets.as_ref())
            .map(|t| t.counts());
        assert_eq!(by_source, Some((6, 1, 6)));
    }
}
