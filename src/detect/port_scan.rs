//! `port_scan`: one source probing many ports or hosts. Reported once per scanner, as one
//! aggregated root cause of low severity, and its probes are kept out of the other transport
//! detectors so a scan never buries the real problem.
//!
//! A probe is a connection attempt that carried no payload either way: SYNs left unanswered
//! or refused, half-open SYN scans reset by the scanner, NULL/FIN/Xmas probes.
//! Parameters: [`MIN_TARGETS`], [`MIN_PORTS_OR_HOSTS`].

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tcp.port_scan";

/// `port_scan`: A source probing many ports or hosts.
pub const PORT_SCAN: Cause = Cause::new("port_scan");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[PORT_SCAN];

tunables! {
    /// Distinct (host, port) pairs probed from which a source is a scanner.
    #[unit = Count]
    pub const MIN_TARGETS: usize = 20;
    /// ... and at least this many distinct ports on one host, or hosts on one port.
    #[unit = Count]
    pub const MIN_PORTS_OR_HOSTS: usize = 10;
}

fn is_probe(f: &Conn) -> bool {
    f.proto == Proto::Tcp && f.orig_bytes == 0 && f.resp_bytes == 0 && f.orig_pkts <= 4
}

/// Probes per source, for the sources `keep` accepts, with how many flows each record is of
/// that source (a folded record counts for each source it lists; see [`crate::flow::fold`]).
/// A source's flows to too many servers, folded per source (`Analysis::scattered`), come as
/// one record whose fold counts its targets.
fn targets(an: &Analysis, keep: impl Fn(&IpAddr) -> bool) -> BTreeMap<IpAddr, Vec<(&Conn, u64)>> {
    let mut m: BTreeMap<IpAddr, Vec<(&Conn, u64)>> = BTreeMap::new();
    for f in an.flows.iter().filter(|f| is_probe(f)) {
        for (ip, n) in f.sources() {
            if keep(&ip) {
                m.entry(ip).or_default().push((f, n));
            }
        }
    }
    for f in an.scattered.iter().filter(|f| is_probe(f)) {
        if let Some((ip, n)) = one_source(f) {
            if keep(&ip) {
                m.entry(ip).or_default().push((f, n));
            }
        }
    }
    m
}

/// The source of a scattered record whose flows all came from one source.
fn one_source(f: &Conn) -> Option<(IpAddr, u64)> {
    let x = f.fold.as_ref()?;
    x.targets.as_ref()?;
    (x.sources.len() == 1 && x.unlisted_flows == 0).then_some((f.orig_ip, x.flows))
}

/// Distinct (address, port) targets, addresses and ports beyond the record's own, for a
/// scattered record (estimates; 0 for the others).
fn more_targets(f: &Conn) -> (u64, u64, u64) {
    match f.fold.as_ref().and_then(|x| x.targets.as_ref()) {
        Some(t) => {
            let (p, h, o) = t.counts();
            (
                p.saturating_sub(1),
                h.saturating_sub(1),
                o.saturating_sub(1),
            )
        }
        None => (0, 0, 0),
    }
}

fn qualifies(tun: &Tunables, probes: &[(&Conn, u64)]) -> bool {
    let pairs: BTreeSet<(IpAddr, u16)> = probes
        .iter()
        .map(|(f, _)| (f.resp_ip, f.resp_port))
        .collect();
    let more: u64 = probes.iter().map(|(f, _)| more_targets(f).0).sum();
    if (pairs.len() as u64).saturating_add(more) < tun.MIN_TARGETS as u64 {
        return false;
    }
    // Scattered records: many hosts or many ports among their targets.
    let wide = probes.iter().any(|(f, _)| {
        let (_, h, o) = more_targets(f);
        h + 1 >= tun.MIN_PORTS_OR_HOSTS as u64 || o + 1 >= tun.MIN_PORTS_OR_HOSTS as u64
    });
    if wide {
        return true;
    }
    let mut ports_per_host: BTreeMap<IpAddr, BTreeSet<u16>> = BTreeMap::new();
    let mut hosts_per_port: BTreeMap<u16, BTreeSet<IpAddr>> = BTreeMap::new();
    for (h, p) in &pairs {
        ports_per_host.entry(*h).or_default().insert(*p);
        hosts_per_port.entry(*p).or_default().insert(*h);
    }
    ports_per_host
        .values()
        .any(|s| s.len() >= tun.MIN_PORTS_OR_HOSTS)
        || hosts_per_port
            .values()
            .any(|s| s.len() >= tun.MIN_PORTS_OR_HOSTS)
}

/// Sources that scan: many probed ports or hosts, or an ARP sweep (host discovery, whose
/// TCP probes to a few ports are part of the same scan). Its thresholds are this detector's
/// tunables and `arp_unanswered`'s `SWEEP_TARGETS`, as `tunables` sets them.
pub fn scanners(an: &Analysis, tunables: &super::tuning::Overrides) -> BTreeSet<IpAddr> {
    let tun = Tunables::from_overrides(tunables);
    let sweep = super::arp_unanswered::Tunables::from_overrides(tunables).SWEEP_TARGETS;
    let mut s: BTreeSet<IpAddr> = targets(an, |_| true)
        .into_iter()
        .filter(|(_, p)| qualifies(&tun, p))
        .map(|(ip, _)| ip)
        .collect();
    let mut arp_targets: BTreeMap<std::net::Ipv4Addr, BTreeSet<std::net::Ipv4Addr>> =
        BTreeMap::new();
    for a in an
        .arp
        .iter()
        .filter(|a| a.op == 1 && a.sender_ip != a.target_ip)
    {
        arp_targets
            .entry(a.sender_ip)
            .or_default()
            .insert(a.target_ip);
    }
    s.extend(
        arp_targets
            .into_iter()
            .filter(|(_, t)| t.len() >= sweep)
            .map(|(ip, _)| IpAddr::V4(ip)),
    );
    s
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // Only the scanners' probes are gathered again (the full pass ran once, in Ctx::new).
    for (src, probes) in targets(ctx.an, |ip| ctx.scanners.contains(ip)) {
        if probes.is_empty() {
            continue;
        }
        let n_probes: u64 = probes.iter().map(|(_, n)| n).sum();
        let hosts: BTreeSet<IpAddr> = probes.iter().map(|(f, _)| f.resp_ip).collect();
        let ports: BTreeSet<u16> = probes.iter().map(|(f, _)| f.resp_port).collect();
        // Scattered records add their targets (estimated, so a little approximate).
        let scattered: Vec<&crate::flow::fold::Targets> = probes
            .iter()
            .filter_map(|(f, _)| f.fold.as_ref()?.targets.as_deref())
            .collect();
        let (n_hosts, n_ports) = if scattered.is_empty() {
            (hosts.len(), ports.len())
        } else {
            let (h, p) = crate::flow::fold::Targets::union_counts(
                scattered.into_iter(),
                hosts.iter().copied(),
                ports.iter().copied(),
            );
            (h as usize, p as usize)
        };
        let open: BTreeSet<(IpAddr, u16)> = probes
            .iter()
            .filter(|(f, _)| handshake_ok(f))
            .map(|(f, _)| (f.resp_ip, f.resp_port))
            .collect();
        // Folded records list this source but show another's flow: their times are the
        // source's own, their frames are not evidence for it.
        let times = probes.iter().flat_map(|(f, _)| match &f.fold {
            None => vec![f.first_ts_ns, f.last_ts_ns],
            Some(x) => x
                .sources
                .get(&src)
                .map(|s| vec![s.first_ts_ns, s.last_ts_ns])
                .unwrap_or_default(),
        });
        let (first, last) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
        let open_list: Vec<String> = open.iter().take(10).map(|(h, p)| ep(*h, *p)).collect();
        let mut f = finding(PORT_SCAN, Layer::Transport, Severity::Low, 0.9)
            .titled(format!(
                "{src} scans {} and {}",
                plural(n_hosts, "host"),
                plural(n_ports, "port")
            ), format!(
                "{src} sent {} without payload to {} on {} within {}; {} answered as open{}. \
                 This is a scan (nmap or a vulnerability scanner): noise for a connectivity \
                 problem unless the scanner is unexpected.",
                plural(n_probes as usize, "probe"),
                plural(n_hosts, "host"),
                plural(n_ports, "port"),
                secs(last - first),
                plural(open.len(), "port"),
                if open_list.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", open_list.join(", "))
                }
            ))
            .between(first, last);
        f.clients = vec![src.to_string()];
        f.affected_flows = n_probes;
        for (c, _) in probes.iter().filter(|(c, _)| c.orig_ip == src).take(3) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.first_frame,
                c.first_ts_ns,
                format!("probe to {}", ep(c.resp_ip, c.resp_port)),
            ));
        }
        f.wireshark_filter = format!(
            "{}.src=={src} && tcp.flags.syn==1 && tcp.flags.ack==0",
            ipf(src)
        );
        f.remediation = vec![format!(
            "Identify {src}: an authorised scanner can be ignored; an unexpected one is a security incident."
        )];
        f.group = Some(format!("scan {src}"));
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;
    use crate::detect::tcp_rejected_rst::TCP_REJECTED_RST;

    #[test]
    fn port_scan_needs_enough_targets_and_takes_the_probes() {
        let scan = |ports: u16| {
            let flows = (0..ports)
                .map(|p| conn(ip(0, 66), 40000, ip(0, 5), 1 + p, ConnState::Rej, "Sr", p as i64))
                .collect();
            analysis(flows, vec![])
        };
        let at = causes(&scan(port_scan::MIN_TARGETS as u16));
        assert!(at.contains(&PORT_SCAN.into()), "{at:?}");
        assert!(
            !at.contains(&TCP_REJECTED_RST.into()),
            "scan probes blamed: {at:?}"
        );
        let below = causes(&scan(port_scan::MIN_TARGETS as u16 - 1));
        assert!(!below.contains(&PORT_SCAN.into()), "{below:?}");
        // The scanners are found before the detectors run (`Ctx::new`): with the tunables
        // in effect there too.
        let n = port_scan::MIN_TARGETS as i64;
        let key = "tcp.port_scan.min_targets";
        let fewer = tuned(scan(n as u16 - 1), &[(key, (n - 1).into())]);
        assert!(causes(&fewer).contains(&PORT_SCAN.into()));
        let more = tuned(scan(n as u16), &[(key, (n + 1).into())]);
        let c = causes(&more);
        assert!(!c.contains(&PORT_SCAN.into()) && c.contains(&TCP_REJECTED_RST.into()), "{c:?}");
    }
}
