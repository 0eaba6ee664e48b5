//! Detectors: pure functions over the [`Analysis`], one file each, listed once in
//! [`DETECTORS`]. Each file documents what it finds, the likely root causes, known false
//! positives and its parameters (constants with units, declared with `tunables!`). The
//! constants are defaults: a detector reads the values in effect, `Tunables::of(ctx)`, which
//! [`Config::tunables`](crate::Config::tunables) may override ([`tuning`]; the `--config` file
//! is [`config_file`]). They run in parallel; their output is ordered deterministically
//! (registry order, then each detector's own sorted order).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rayon::prelude::*;

use crate::analysis::Analysis;
pub use ctx::{is_packet_too_big, Ctx};
pub use finding::{AlertFact, Cause, Evidence, Facts, Finding, Layer, Server, Severity};
pub use tuning::{TunableType, TunableUnit};
use crate::config::TunableValue;
use crate::flow::tcp::ConnState;
use crate::flow::{Conn, Proto};
use crate::units::{rfc3339, round2};

/// Declares a detector's tunables: each a documented constant with its unit (a
/// [`TunableUnit`] variant), and
/// - `TUNABLES`, listing them (name, value as written, documentation, type, unit, default) for
///   `pcap-rca detectors` and the config file;
/// - `Tunables`, a struct with a field per constant holding the value in effect for one
///   analysis: [`Config::tunables`](crate::Config::tunables) overrides the constants, which
///   are the defaults. The detector reads `Tunables::of(ctx)`, never the constants, so that
///   every override reaches it.
macro_rules! tunables {
    ($( $(#[doc = $doc:literal])+ #[unit = $unit:ident] pub const $name:ident: $ty:ty = $val:expr; )+) => {
        $( $(#[doc = $doc])+ pub const $name: $ty = $val; )+
        /// This detector's tunables (`pcap-rca detectors` lists them).
        #[allow(clippy::unnecessary_cast)]
        pub const TUNABLES: &[crate::detect::Tunable] = &[
            $( crate::detect::Tunable {
                name: stringify!($name),
                value: stringify!($val),
                doc: concat!($($doc, "\n"),+),
                ty: <$ty as crate::detect::tuning::Value>::TYPE,
                unit: crate::detect::TunableUnit::$unit,
                default: crate::config::TunableValue::either(
                    <$ty as crate::detect::tuning::Value>::TYPE.is_float(),
                    $name as i64,
                    $name as f64,
                ),
            }, )+
        ];
        /// This detector's tunables in effect for one analysis: the constants of the same
        /// names unless [`Config::tunables`](crate::Config::tunables) overrides them.
        #[allow(non_snake_case)]
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct Tunables {
            $( $(#[doc = $doc])+ pub $name: $ty, )+
        }
        impl Default for Tunables {
            fn default() -> Self {
                Tunables { $( $name: self::$name, )+ }
            }
        }
        impl Tunables {
            /// The values in effect for the analysis `ctx` is of.
            #[allow(dead_code)]
            pub fn of(ctx: &crate::detect::Ctx<'_>) -> Tunables {
                Self::from_overrides(&ctx.tunables)
            }
            /// The values `o` sets, the defaults for the others.
            pub fn from_overrides(o: &crate::detect::tuning::Overrides) -> Tunables {
                Tunables { $( $name: o.get(ID, stringify!($name), self::$name), )+ }
            }
        }
    };
}

/// One tunable of a detector: a constant, its value as written in the source, and what it
/// means (unit, default, why). [`Config::tunables`](crate::Config::tunables) overrides it
/// for one analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunable {
    /// The constant's name (`WINDOW_NS`); in a config file, in any case (`window_ns`).
    pub name: &'static str,
    /// Its value as written (`10_000_000_000`).
    pub value: &'static str,
    /// Its documentation.
    pub doc: &'static str,
    /// Its Rust type, which bounds the values it takes.
    pub ty: TunableType,
    /// What it measures.
    pub unit: TunableUnit,
    /// Its default, the constant's value.
    pub default: TunableValue,
}

pub mod arp;
pub mod arp_bindings;
pub mod arp_storm;
pub mod arp_unanswered;
pub mod capture_loss;
pub mod capture_one_sided;
pub mod capture_truncated;
pub mod config_file;
pub mod ctx;
pub mod dns;
pub mod dns_tcp_blocked;
pub mod dns_upstream;
pub mod finding;
pub mod http;
pub mod icmp_frag_needed;
pub mod icmp_ttl_exceeded;
pub mod icmp_unreachable;
pub mod port_scan;
pub mod rst_storm;
pub mod syn_flood;
pub mod tcp_rejected_rst;
pub mod tcp_reset_midstream;
pub mod tcp_retransmissions;
pub mod tcp_syn_unanswered;
pub mod tcp_peers_unreachable;
pub mod tcp_zero_window;
pub mod tls;
pub mod tls_cert;
pub mod tuning;

#[cfg(test)]
pub(crate) mod testing;

/// A detector: a stable id (`area.name`) and the function that runs it.
pub struct Detector {
    pub id: &'static str,
    /// Causes it can report.
    pub causes: &'static [Cause],
    /// Its tunables.
    pub tunables: &'static [Tunable],
    pub run: fn(&Ctx<'_>) -> Vec<Finding>,
}

/// Every detector, in the order their findings are listed.
pub const DETECTORS: &[Detector] = &[
    Detector {
        id: capture_truncated::ID,
        causes: capture_truncated::CAUSES,
        tunables: capture_truncated::TUNABLES,
        run: capture_truncated::run,
    },
    Detector {
        id: capture_loss::ID,
        causes: capture_loss::CAUSES,
        tunables: capture_loss::TUNABLES,
        run: capture_loss::run,
    },
    Detector {
        id: capture_one_sided::ID,
        causes: capture_one_sided::CAUSES,
        tunables: capture_one_sided::TUNABLES,
        run: capture_one_sided::run,
    },
    Detector {
        id: arp_storm::ID,
        causes: arp_storm::CAUSES,
        tunables: arp_storm::TUNABLES,
        run: arp_storm::run,
    },
    Detector {
        id: arp_unanswered::ID,
        causes: arp_unanswered::CAUSES,
        tunables: arp_unanswered::TUNABLES,
        run: arp_unanswered::run,
    },
    Detector {
        id: arp_bindings::ID,
        causes: arp_bindings::CAUSES,
        tunables: arp_bindings::TUNABLES,
        run: arp_bindings::run,
    },
    Detector {
        id: icmp_unreachable::ID,
        causes: icmp_unreachable::CAUSES,
        tunables: icmp_unreachable::TUNABLES,
        run: icmp_unreachable::run,
    },
    Detector {
        id: icmp_ttl_exceeded::ID,
        causes: icmp_ttl_exceeded::CAUSES,
        tunables: icmp_ttl_exceeded::TUNABLES,
        run: icmp_ttl_exceeded::run,
    },
    Detector {
        id: icmp_frag_needed::ID,
        causes: icmp_frag_needed::CAUSES,
        tunables: icmp_frag_needed::TUNABLES,
        run: icmp_frag_needed::run,
    },
    Detector {
        id: tcp_syn_unanswered::ID,
        causes: tcp_syn_unanswered::CAUSES,
        tunables: tcp_syn_unanswered::TUNABLES,
        run: tcp_syn_unanswered::run,
    },
    Detector {
        id: tcp_rejected_rst::ID,
        causes: tcp_rejected_rst::CAUSES,
        tunables: tcp_rejected_rst::TUNABLES,
        run: tcp_rejected_rst::run,
    },
    Detector {
        id: rst_storm::ID,
        causes: rst_storm::CAUSES,
        tunables: rst_storm::TUNABLES,
        run: rst_storm::run,
    },
    Detector {
        id: tcp_reset_midstream::ID,
        causes: tcp_reset_midstream::CAUSES,
        tunables: tcp_reset_midstream::TUNABLES,
        run: tcp_reset_midstream::run,
    },
    Detector {
        id: syn_flood::ID,
        causes: syn_flood::CAUSES,
        tunables: syn_flood::TUNABLES,
        run: syn_flood::run,
    },
    Detector {
        id: port_scan::ID,
        causes: port_scan::CAUSES,
        tunables: port_scan::TUNABLES,
        run: port_scan::run,
    },
    Detector {
        id: tcp_peers_unreachable::ID,
        causes: tcp_peers_unreachable::CAUSES,
        tunables: tcp_peers_unreachable::TUNABLES,
        run: tcp_peers_unreachable::run,
    },
    Detector {
        id: tcp_retransmissions::ID,
        causes: tcp_retransmissions::CAUSES,
        tunables: tcp_retransmissions::TUNABLES,
        run: tcp_retransmissions::run,
    },
    Detector {
        id: tcp_zero_window::ID,
        causes: tcp_zero_window::CAUSES,
        tunables: tcp_zero_window::TUNABLES,
        run: tcp_zero_window::run,
    },
    Detector {
        id: dns::ID,
        causes: dns::CAUSES,
        tunables: dns::TUNABLES,
        run: dns::run,
    },
    Detector {
        id: dns_tcp_blocked::ID,
        causes: dns_tcp_blocked::CAUSES,
        tunables: dns_tcp_blocked::TUNABLES,
        run: dns_tcp_blocked::run,
    },
    Detector {
        id: dns_upstream::ID,
        causes: dns_upstream::CAUSES,
        tunables: dns_upstream::TUNABLES,
        run: dns_upstream::run,
    },
    Detector {
        id: http::ID,
        causes: http::CAUSES,
        tunables: http::TUNABLES,
        run: http::run,
    },
    Detector {
        id: tls::ID,
        causes: tls::CAUSES,
        tunables: tls::TUNABLES,
        run: tls::run,
    },
    Detector {
        id: tls_cert::ID,
        causes: tls_cert::CAUSES,
        tunables: tls_cert::TUNABLES,
        run: tls_cert::run,
    },
];

/// Runs every detector, numbers the findings and names their servers.
///
/// On more than one thread, they run on the analysis's own pool, the one its pass finished
/// on, not rayon's global pool: that one would take every core whatever `threads` said (and
/// be started here, on its first use).
pub fn run_all(an: &Analysis) -> Vec<Finding> {
    if an.threads > 1 {
        if let Ok(pool) = crate::analysis::pass::pool(an.threads) {
            return pool.install(|| run_here(an));
        }
    }
    run_here(an)
}

/// [`run_all`] on the calling thread's pool.
fn run_here(an: &Analysis) -> Vec<Finding> {
    let ctx = Ctx::new(an);
    // Detectors are independent: in parallel unless the analysis was asked for one thread.
    let per: Vec<Vec<Finding>> = if an.threads <= 1 {
        DETECTORS.iter().map(|d| (d.run)(&ctx)).collect()
    } else {
        DETECTORS.par_iter().map(|d| (d.run)(&ctx)).collect()
    };
    let mut out = Vec::new();
    for (d, findings) in DETECTORS.iter().zip(per) {
        for (i, mut f) in findings.into_iter().enumerate() {
            debug_assert!(
                d.causes.iter().any(|c| f.cause == *c),
                "{} reported {}, which it does not declare",
                d.id,
                f.cause
            );
            f.id = format!("{}#{}", d.id, i + 1);
            f.detector = d.id.to_string();
            crate::detect::finding::cap_clients(&mut f.clients, &mut f.clients_total);
            if let Some(s) = f.server.as_mut() {
                if s.name.is_none() {
                    s.name =
                        s.ip.parse()
                            .ok()
                            .and_then(|ip: IpAddr| ctx.names.get(&ip).cloned());
                }
            }
            out.push(f);
        }
    }
    out
}

/// A finding of `cause` with its layer, severity and confidence (rounded to two decimals),
/// and everything else empty: give it a title and explanation with [`Finding::titled`] and
/// its time span with [`Finding::between`].
pub fn finding(cause: Cause, layer: Layer, severity: Severity, confidence: f64) -> Finding {
    Finding {
        id: String::new(),
        detector: String::new(),
        cause: cause.name().to_string(),
        layer,
        severity,
        confidence: round2(confidence),
        title: String::new(),
        explanation: String::new(),
        server: None,
        clients: Vec::new(),
        clients_total: None,
        affected_flows: 0,
        first_ts: String::new(),
        last_ts: String::new(),
        evidence: Vec::new(),
        wireshark_filter: String::new(),
        remediation: Vec::new(),
        group: None,
        from_absence: false,
        weight: 0,
        facts: Facts {
            symptom: cause.is_symptom(),
            ..Facts::default()
        },
        first_ts_ns: 0,
        last_ts_ns: 0,
    }
}

/// `ip:port`, with brackets for IPv6.
pub fn ep(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V6(_) => format!("[{ip}]:{port}"),
        IpAddr::V4(_) => format!("{ip}:{port}"),
    }
}

/// Wireshark field prefix for an address: `ip` or `ipv6`.
pub fn ipf(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "ip" } else { "ipv6" }
}

/// The group key of a service: findings about one server port explain one problem.
pub fn svc_group(proto: Proto, ip: IpAddr, port: u16) -> String {
    format!("svc {} {}", proto.as_str(), ep(ip, port))
}

/// The server a finding is about: `ip`, and `port` when it is about one service.
pub fn server(ip: IpAddr, port: Option<u16>) -> Option<Server> {
    Some(Server {
        ip: ip.to_string(),
        port,
        name: None,
    })
}

/// The server of a TLS session, named by the SNI the client asked for.
pub fn tls_server(ip: IpAddr, port: u16, s: &crate::event::TlsSession) -> Option<Server> {
    let mut sv = server(ip, Some(port));
    if let (Some(sv), Some(sni)) = (sv.as_mut(), s.offer.as_ref().and_then(|o| o.sni.clone())) {
        sv.name = Some(sni);
    }
    sv
}


/// A service: protocol, responder address and port.
pub type Service = (Proto, IpAddr, u16);
/// Flows (with their index in `Analysis::flows`) grouped by service.
pub type ByService<'a> = BTreeMap<Service, Vec<(usize, &'a Conn)>>;

/// Flows grouped by responder address and port (sorted, deterministic).
pub fn by_service<'a>(flows: impl Iterator<Item = (usize, &'a Conn)>) -> ByService<'a> {
    let mut m: ByService<'a> = BTreeMap::new();
    for (i, f) in flows {
        m.entry((f.proto, f.resp_ip, f.resp_port))
            .or_default()
            .push((i, f));
    }
    m
}

/// Earliest first packet and latest last packet of some flows (folded ones included).
pub fn span<'a>(flows: impl Iterator<Item = &'a Conn>) -> (i64, i64) {
    flows.fold((i64::MAX, i64::MIN), |(a, b), f| {
        (a.min(f.first_ts_ns), b.max(f.until_ns()))
    })
}

/// The most events within any `window` ns, and the times of the first and last events of the
/// earliest such window. Events are (time, width, count): a width of 0 is `count` events at
/// `time`; a wider one (a folded record's histogram bucket) is `count` events spread evenly
/// over `[time, time+width)`, of which a window holds its share. Windows start at an event.
pub fn peak_window(events: &mut [(i64, i64, u64)], window: i64) -> (u64, i64, i64) {
    events.sort_unstable();
    let mut pre = Vec::with_capacity(events.len() + 1);
    pre.push(0u64);
    for e in events.iter() {
        pre.push(pre[pre.len() - 1] + e.2);
    }
    let spread: Vec<(i64, i64, u64)> = events.iter().copied().filter(|e| e.1 > 0).collect();
    let widest = spread.iter().map(|e| e.1).max().unwrap_or(0);
    let mut best = (0, 0, 0);
    let mut r = 0;
    for j in 0..events.len() {
        if j > 0 && events[j].0 == events[j - 1].0 {
            continue; // the window from the first of equal times holds them all
        }
        let end = events[j].0.saturating_add(window);
        while r < events.len() && events[r].0 <= end {
            r += 1;
        }
        let mut sum = pre[r] - pre[j];
        // Spread events that run past the window's end count only for their share inside.
        let lo = end.saturating_sub(widest).max(events[j].0);
        let from = spread.partition_point(|e| e.0 < lo);
        for e in spread[from..].iter().take_while(|e| e.0 <= end) {
            let past = e.0.saturating_add(e.1).saturating_sub(end).max(0);
            if past > 0 {
                let outside = (e.2 as f64 * (past as f64 / e.1 as f64)).round() as u64;
                sum -= outside.min(e.2);
            }
        }
        // Spread events begun before the window count for their share inside it.
        let start = events[j].0;
        let from = spread.partition_point(|e| e.0 < start.saturating_sub(widest));
        for e in spread[from..].iter().take_while(|e| e.0 < start) {
            let inside =
                e.0.saturating_add(e.1)
                    .min(end)
                    .saturating_sub(start)
                    .max(0);
            if inside > 0 {
                sum += (e.2 as f64 * (inside as f64 / e.1 as f64)).round() as u64;
            }
        }
        if sum > best.0 {
            best = (sum, events[j].0, events[r - 1].0);
        }
    }
    best
}

/// Flows some records stand for (folded ones included).
pub fn count<'a>(flows: impl Iterator<Item = &'a Conn>) -> usize {
    flows.map(|f| f.weight() as usize).sum()
}

/// The distinct originators of some flows: listed by address, counted exactly while the
/// flows are ordinary records, estimated once folded records (see [`crate::flow::fold`]) join.
#[derive(Default)]
pub struct Origins {
    pub listed: BTreeSet<IpAddr>,
    folded: Option<crate::flow::fold::Distinct>,
}

impl Origins {
    pub fn of<'a>(ctx: &Ctx<'_>, flows: impl Iterator<Item = &'a Conn>) -> Origins {
        let mut o = Origins::default();
        for f in flows {
            for (ip, _) in f.sources() {
                if !ctx.scanners.contains(&ip) {
                    o.listed.insert(ip);
                }
            }
            if let Some(x) = &f.fold {
                o.folded
                    .get_or_insert_with(Default::default)
                    .merge(x.distinct());
            }
        }
        o
    }

    /// How many there are (an estimate within about 2% beyond a few hundred folded ones).
    pub fn count(&self) -> usize {
        match &self.folded {
            None => self.listed.len(),
            Some(d) => {
                let mut d = d.clone();
                for ip in &self.listed {
                    d.insert(ip);
                }
                d.estimate().max(self.listed.len())
            }
        }
    }

    /// The count, when the listed addresses are not all of them (folded flows joined).
    pub fn total_if_partial(&self) -> Option<u64> {
        self.folded.as_ref().map(|_| self.count() as u64)
    }

    /// The listed addresses as strings, sorted.
    pub fn list(&self) -> Vec<String> {
        self.listed.iter().map(|i| i.to_string()).collect()
    }
}

/// Fills what every per-service finding carries: the server, the clients (the flows'
/// originators) and how many flows are affected.
pub fn about_service(f: &mut Finding, ip: IpAddr, port: u16, flows: &[(usize, &Conn)]) {
    f.server = server(ip, Some(port));
    f.clients = ip_list(
        flows
            .iter()
            .flat_map(|(_, c)| c.sources().map(|(ip, _)| ip)),
    );
    f.affected_flows = count(flows.iter().map(|(_, c)| *c)) as u64;
}

/// Distinct addresses as sorted strings.
pub fn ip_list(ips: impl Iterator<Item = IpAddr>) -> Vec<String> {
    distinct(ips).into_iter().map(|i| i.to_string()).collect()
}

/// The different values of `items`, in order. Many items with few different values (the
/// clients of thousands of answers) are told apart by hashing, and only those few ordered.
pub fn distinct<T: Ord + std::hash::Hash>(items: impl Iterator<Item = T>) -> BTreeSet<T> {
    let set: rustc_hash::FxHashSet<T> = items.collect();
    set.into_iter().collect()
}

/// "1 client" / "3 clients".
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else if what.ends_with('s') {
        format!("{n} {what}es")
    } else if let Some(stem) = what.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {what}s")
    }
}

/// Seconds with up to 3 decimals.
pub fn secs(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s >= 10.0 {
        format!("{s:.0} s")
    } else if s >= 1.0 {
        format!("{s:.1} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// Whether a TCP flow completed its handshake.
pub fn handshake_ok(f: &Conn) -> bool {
    f.synack_frame.is_some() || f.history.as_str().contains('h')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_window_counts_points_and_shares_of_buckets() {
        const S: i64 = 1_000_000_000;
        // Points: 3 within 10 s (at 0, 4 and 10 s), the 4th 11 s after the first.
        let mut p = vec![(0, 0, 1), (4 * S, 0, 1), (10 * S, 0, 1), (11 * S, 0, 1)];
        assert_eq!(peak_window(&mut p, 10 * S), (3, 0, 10 * S));
        // 500 starts per second for 100 s, in 4 s buckets: a 10 s window holds 5,000, not
        // the 6,000 of three whole buckets.
        let mut b: Vec<_> = (0..25).map(|i| (i * 4 * S, 4 * S, 2_000)).collect();
        assert_eq!(peak_window(&mut b, 10 * S).0, 5_000);
        // Mixed: a point inside a bucket's window adds to its share.
        let mut m = vec![(0, 4 * S, 400), (2 * S, 0, 7)];
        assert_eq!(peak_window(&mut m, S).0, 107);
        assert_eq!(peak_window(&mut [], S), (0, 0, 0));
    }

    /// The backticked snake_case names in the rows of the cause table of
    /// `docs/report-contract.md` (the rows after its `| layer | causes |` header).
    fn contract_causes() -> BTreeSet<&'static str> {
        const CONTRACT: &str = include_str!("../../docs/report-contract.md");
        let table = CONTRACT
            .split_once("| layer | causes |")
            .expect("the contract has a cause table")
            .1;
        let rows = table.lines().skip(1).take_while(|l| l.starts_with('|'));
        let mut names = BTreeSet::new();
        for row in rows.skip(1) {
            // Every other piece of a row split at backticks is between backticks.
            for word in row.split('`').skip(1).step_by(2) {
                if !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    names.insert(word);
                }
            }
        }
        names
    }

    #[test]
    fn registry_matches_the_report_contract() {
        let ids: BTreeSet<&str> = DETECTORS.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), DETECTORS.len(), "detector ids are unique");
        let reported: BTreeSet<&str> = DETECTORS
            .iter()
            .flat_map(|d| d.causes.iter().map(|c| c.name()))
            .collect();
        let contract = contract_causes();
        assert!(contract.len() > 30, "the cause table was read: {contract:?}");
        let undocumented: Vec<_> = reported.difference(&contract).collect();
        assert!(
            undocumented.is_empty(),
            "reported by a detector but not in docs/report-contract.md: {undocumented:?}"
        );
        let unreported: Vec<_> = contract.difference(&reported).collect();
        assert!(
            unreported.is_empty(),
            "in docs/report-contract.md but reported by no detector: {unreported:?}"
        );
    }

    use crate::detect::testing::*;
    use crate::detect::syn_flood::SYN_FLOOD;
    use crate::detect::tcp_rejected_rst::TCP_REJECTED_RST;
    use crate::detect::tcp_syn_unanswered::TCP_SYN_UNANSWERED;

    /// Folding records beyond the record budget (`crate::flow::fold`) changes no cause, severity,
    /// title, client list or count: the detectors read a folded record as the flows it stands for.
    #[test]
    fn folded_records_give_the_same_causes_and_counts() {
        use crate::flow::fold::{Budget, merge_groups};
        let server = ip(0, 5);
        let mut flows = Vec::new();
        // A SYN flood: 300 attempts from 60 sources.
        for i in 0..300i64 {
            let src = ip(1, (i % 60) as u8);
            flows.push(conn(src, 2000 + i as u16, server, 443, ConnState::S0, "S", i * 10));
        }
        // Refused on port 23: 30 attempts from 3 clients.
        for i in 0..30i64 {
            let src = ip(2, (i % 3) as u8);
            flows.push(conn(
                src,
                3000 + i as u16,
                server,
                23,
                ConnState::Rej,
                "Sr",
                5_000 + i * 10,
            ));
        }
        // Dropped on port 8081: 40 attempts from 4 clients, a few retried.
        for i in 0..40i64 {
            let mut c = conn(
                ip(3, (i % 4) as u8),
                4000 + i as u16,
                server,
                8081,
                ConnState::S0,
                "S",
                9_000 + i * 10,
            );
            if i % 5 == 0 {
                c.orig_pkts = 3;
            }
            flows.push(c);
        }
        // Healthy connections to port 443 from 5 clients.
        for i in 0..50i64 {
            let src = ip(4, (i % 5) as u8);
            flows.push(conn(
                src,
                5000 + i as u16,
                server,
                443,
                ConnState::Sf,
                "ShADadFf",
                20_000 + i * 10,
            ));
        }
        flows.sort_by_key(|f| f.sort_key());
        /// What a finding says, ids and times aside.
        #[derive(Debug, PartialEq)]
        struct Said {
            cause: String,
            severity: Severity,
            title: String,
            flows: u64,
            clients: Vec<String>,
        }
        let summary = |a: &Analysis| -> Vec<Said> {
            run_all(a)
                .into_iter()
                .map(|f| Said {
                    cause: f.cause,
                    severity: f.severity,
                    title: f.title,
                    flows: f.affected_flows,
                    clients: f.clients,
                })
                .collect()
        };
        let plain = summary(&analysis(flows.clone(), vec![]));
        assert!(plain.iter().any(|f| f.cause == SYN_FLOOD), "{plain:?}");
        assert!(plain.iter().any(|f| f.cause == TCP_REJECTED_RST), "{plain:?}");
        assert!(
            plain.iter().any(|f| f.cause == TCP_SYN_UNANSWERED),
            "{plain:?}"
        );
    
        // Two tables, 10 records each, the rest folded; then merged as the analysis does.
        let (mut a, mut b) = (Budget::new(10), Budget::new(10));
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        for (i, c) in flows.into_iter().enumerate() {
            if i % 2 == 0 {
                a.place(&mut ka, c);
            } else {
                b.place(&mut kb, c);
            }
        }
        assert!(a.folded > 0 && b.folded > 0);
        let mut kept: Vec<Conn> = ka.into_iter().chain(kb).collect();
        kept.extend(merge_groups(vec![a.groups, b.groups]));
        assert!(kept.len() < 40, "{} records", kept.len());
        kept.sort_by_key(|f| f.sort_key());
        assert_eq!(summary(&analysis(kept, vec![])), plain);
    }
}
