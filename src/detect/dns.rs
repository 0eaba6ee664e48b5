//! DNS root causes: names that do not resolve and resolvers that fail or stay silent.
//!
//! Queries are matched to responses by client address and port, resolver, transaction id and
//! question (UDP and TCP alike). Failures are grouped by queried name and response code:
//! "fpdk.exmaple.gov does not resolve: NXDOMAIN from 10.0.0.53 for 14 queries from 3 clients".
//!
//! - `dns_nxdomain`, `dns_servfail`, `dns_refused`, `dns_error` (any other rcode, extended
//!   rcodes from EDNS included, named): per name and rcode. A failing name followed by no
//!   connection from that client at all is said to be why the client never connected.
//!   Known false positives: search-list suffixes (`name.corp.local` failing while `name`
//!   resolves) are reported as `info`. NXDOMAIN for [`MANY_NAMES`] or more different names
//!   under one domain from one resolver (generated names, a random-subdomain flood) is one
//!   finding about the domain (server name `*.domain`), not one per name.
//! - `dns_timeout`: queries never answered, per resolver, with the clients' retries.
//! - `dns_slow`: answers slower than [`SLOW_NS`] and [`SLOW_FACTOR`] times the resolver's
//!   median.
//! - `dns_truncated`: UDP answers with the TC bit, with or without the TCP retry.
//! - `dns_nodata`: NOERROR without any answer for a name that never resolves to an address
//!   (AAAA-only empty answers are normal for IPv4-only names and ignored).
//!
//! [`names`] maps addresses to the names they were resolved from, so every other root cause
//! can name its server.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

use crate::event::DnsEvent;
use crate::decode::dns::{qtype_name, rcode, rcode_name};

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "dns.resolution";

/// `dns_nxdomain`: the queried name does not exist.
pub const DNS_NXDOMAIN: Cause = Cause::symptom("dns_nxdomain");
/// `dns_servfail`: the resolver could not get an answer.
pub const DNS_SERVFAIL: Cause = Cause::symptom("dns_servfail");
/// `dns_refused`: the resolver refuses to answer these clients.
pub const DNS_REFUSED: Cause = Cause::symptom("dns_refused");
/// `dns_error`: any other failing response code, extended codes included.
pub const DNS_ERROR: Cause = Cause::symptom("dns_error");
/// `dns_timeout`: queries never answered.
pub const DNS_TIMEOUT: Cause = Cause::symptom("dns_timeout");
/// `dns_slow`: answers far slower than the resolver's median.
pub const DNS_SLOW: Cause = Cause::symptom("dns_slow");
/// `dns_truncated`: UDP answers with the TC bit set.
pub const DNS_TRUNCATED: Cause = Cause::symptom("dns_truncated");
/// `dns_nodata`: A name that exists but has no address record.
pub const DNS_NODATA: Cause = Cause::symptom("dns_nodata");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[DNS_NXDOMAIN, DNS_SERVFAIL, DNS_REFUSED, DNS_ERROR, DNS_TIMEOUT, DNS_SLOW, DNS_TRUNCATED, DNS_NODATA];

tunables! {
    /// An answer slower than this (and [`SLOW_FACTOR`] times the median) is slow.
    #[unit = Ns]
    pub const SLOW_NS: i64 = 1_000_000_000;
    /// How many times the resolver's median answer time a slow answer must also take, default 10,
    /// so that a resolver that is always slow is not blamed for every answer.
    #[unit = Factor]
    pub const SLOW_FACTOR: i64 = 10;
    /// A query unanswered this long before the end of the capture has timed out; one closer to
    /// the end is still reported, with lower confidence.
    #[unit = Ns]
    pub const TIMEOUT_NS: i64 = 5_000_000_000;
    /// How soon after a lookup an application that got an address connects.
    #[unit = Ns]
    pub const CONNECT_AFTER_NS: i64 = 3_000_000_000;
    /// The finding for the failures of one name with one response code.
    /// How soon after a failed answer a successful one from another resolver counts as the
    /// client's fallback (stub resolvers move to the next server at once; glibc after its
    /// timeout, 5 s by default).
    #[unit = Ns]
    pub const FALLBACK_NS: i64 = 6_000_000_000;
    /// Different names under one domain answered NXDOMAIN by one resolver from which they
    /// are one finding about the domain (a program generating names, a random-subdomain
    /// flood), not one per name.
    #[unit = Count]
    pub const MANY_NAMES: usize = 10;
}

/// One query and its answer, if any.
pub struct Txn<'a> {
    pub q: &'a DnsEvent,
    pub r: Option<&'a DnsEvent>,
}

/// Matches queries with responses, in query order. Responses without a seen query are
/// returned as well (capture started after the query).
pub fn transactions(an: &Analysis) -> (Vec<Txn<'_>>, Vec<&DnsEvent>) {
    let pairs = an.dns_pairs();
    let txns = pairs
        .txns
        .iter()
        .map(|&(q, r)| Txn {
            q: &an.dns[q],
            r: r.map(|r| &an.dns[r]),
        })
        .collect();
    (txns, pairs.orphans.iter().map(|&r| &an.dns[r]).collect())
}

/// Address -> the name it was most often resolved from (ties: alphabetical); and the names
/// that resolved to an address. One pass over the answers gives both (the answers of a busy
/// capture are far larger than the cache).
pub fn names(an: &Analysis) -> (BTreeMap<IpAddr, String>, Resolved<'_>) {
    // Hashed while counting (114k responses on a busy capture); the order comes from the
    // result's map and the tie rule below.
    let mut counts: rustc_hash::FxHashMap<IpAddr, rustc_hash::FxHashMap<&str, usize>> =
        Default::default();
    let mut resolved = Resolved::default();
    for e in an
        .dns
        .iter()
        .filter(|e| e.msg.is_response && e.msg.rcode == rcode::NOERROR)
    {
        if !e.msg.addrs.is_empty() {
            resolved.insert(e.msg.qname.as_str());
        }
        for a in &e.msg.addrs {
            *counts
                .entry(*a)
                .or_default()
                .entry(e.msg.qname.as_str())
                .or_default() += 1;
        }
    }
    let names = counts
        .into_iter()
        .filter_map(|(ip, m)| {
            let best = m.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
            Some((ip, best.0.to_string()))
        })
        .collect();
    (names, resolved)
}

/// Names that resolved to an address. Only asked whether they hold a name: hashed.
pub type Resolved<'a> = rustc_hash::FxHashSet<&'a str>;

/// Whether `client` opened a non-DNS connection within [`CONNECT_AFTER_NS`] after `t_ns`
/// that another, successful lookup in between does not explain (its answer held the address
/// connected to).
fn connected_after(ctx: &Ctx<'_>, tun: &Tunables, client: IpAddr, t_ns: i64) -> bool {
    // Connections folded away (see `crate::flow::fold`) whose starts span the window cannot
    // be ruled out: count them as made.
    let folded = ctx.folded_spans.get(&client).is_some_and(|v| {
        v.iter()
            .any(|&(a, b, _)| b > t_ns && a <= t_ns.saturating_add(tun.CONNECT_AFTER_NS))
    });
    if folded {
        return true;
    }
    let v = ctx.conn_starts(client);
    let i = v.partition_point(|&(_, t, _)| t <= t_ns);
    // `an.dns` is in time order: sweep it alongside the connections (also in time order),
    // gathering the addresses answered to the client since the failure.
    let dns = &ctx.an.dns;
    let mut j = dns.partition_point(|e| e.ts_ns <= t_ns);
    let mut answered: Vec<IpAddr> = Vec::new();
    for &(_, t, dst) in v[i..]
        .iter()
        .take_while(|(_, t, _)| t.saturating_sub(t_ns) <= tun.CONNECT_AFTER_NS)
    {
        while let Some(e) = dns.get(j).filter(|e| e.ts_ns <= t) {
            if e.msg.is_response && e.dst == client {
                for a in &e.msg.addrs {
                    if !answered.contains(a) {
                        answered.push(*a); // few distinct addresses: a list is the fastest set
                    }
                }
            }
            j += 1;
        }
        if !answered.contains(&dst) {
            return true;
        }
    }
    false
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let (txns, orphans) = transactions(an);
    let resolved = &ctx.resolved;
    let sorted = Sorted::of(&txns, &orphans, resolved);
    let mut out = Vec::new();
    rcode_failures(ctx, &tun, sorted.failed, resolved, &mut out);
    timeouts(ctx, &tun, sorted.lost, &sorted.latencies, &mut out);
    slow(ctx, &tun, sorted.latencies, &mut out);
    truncated(ctx, sorted.truncated, &mut out);
    nodata(ctx, sorted.nodata, &mut out);
    out
}

/// The transactions each check looks at, sorted out in one pass (a busy capture's are far
/// larger than the cache: a pass over them for each check took 3-8 ms), each list in the
/// order of the transactions.
struct Sorted<'t, 'a> {
    /// Responses with an error code, by (name, code); the orphan responses after those
    /// answering a query.
    failed: rustc_hash::FxHashMap<(&'a str, u16), Vec<&'a DnsEvent>>,
    /// Unanswered queries by resolver (address, port).
    lost: BTreeMap<(IpAddr, u16), Vec<&'t Txn<'a>>>,
    /// Answered queries, with the time they took, by resolver address.
    latencies: BTreeMap<IpAddr, Vec<(i64, &'t Txn<'a>)>>,
    /// Truncated UDP answers by resolver (address, port).
    truncated: BTreeMap<(IpAddr, u16), Vec<&'t Txn<'a>>>,
    /// Empty NOERROR answers to A queries for names that never resolved, by name.
    nodata: BTreeMap<&'a str, Vec<&'a DnsEvent>>,
}

impl<'t, 'a> Sorted<'t, 'a> {
    fn of(txns: &'t [Txn<'a>], orphans: &[&'a DnsEvent], resolved: &Resolved<'_>) -> Self {
        let mut s = Sorted {
            failed: Default::default(),
            lost: BTreeMap::new(),
            latencies: BTreeMap::new(),
            truncated: BTreeMap::new(),
            nodata: BTreeMap::new(),
        };
        for t in txns {
            let Some(r) = t.r else {
                s.lost.entry((t.q.dst, t.q.dst_port)).or_default().push(t);
                continue;
            };
            s.latencies
                .entry(t.q.dst)
                .or_default()
                .push((r.ts_ns - t.q.ts_ns, t));
            if !r.tcp && r.msg.truncated {
                s.truncated.entry((r.src, r.src_port)).or_default().push(t);
            }
            if r.msg.rcode != rcode::NOERROR {
                s.failed
                    .entry((r.msg.qname.as_str(), r.msg.rcode))
                    .or_default()
                    .push(r);
            } else if r.msg.answer_count == 0
                && r.msg.qtype == 1
                && !resolved.contains(r.msg.qname.as_str())
            {
                s.nodata.entry(r.msg.qname.as_str()).or_default().push(r);
            }
        }
        for &r in orphans.iter().filter(|r| r.msg.rcode != rcode::NOERROR) {
            s.failed
                .entry((r.msg.qname.as_str(), r.msg.rcode))
                .or_default()
                .push(r);
        }
        s
    }
}

fn cause_of(rcode: u16) -> Cause {
    match rcode {
        rcode::NXDOMAIN => DNS_NXDOMAIN,
        rcode::SERVFAIL => DNS_SERVFAIL,
        rcode::REFUSED => DNS_REFUSED,
        _ => DNS_ERROR,
    }
}

/// Findings for the error answers (`hashed`: the answers by name and code, see [`Sorted`]).
fn rcode_failures<'a>(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    hashed: rustc_hash::FxHashMap<(&'a str, u16), Vec<&'a DnsEvent>>,
    resolved: &Resolved<'_>,
    out: &mut Vec<Finding>,
) {
    // Grouped by hashing, then in name order (thousands of generated names on a busy
    // capture: a tree insert per response compared names all the way down).
    let mut groups: Vec<((&str, u16), Vec<&DnsEvent>)> = hashed.into_iter().collect();
    groups.sort_unstable_by_key(|(k, _)| *k);
    // NXDOMAIN for many different names under one domain from one resolver (names that
    // never resolved, not search-list suffixes) is one pattern, not a cause per name.
    let mut zones: BTreeMap<(IpAddr, &str), Vec<&str>> = BTreeMap::new();
    for ((name, rcode), resps) in &groups {
        if *rcode == rcode::NXDOMAIN && !resolved.contains(name) && !is_search_suffix(name, resolved) {
            if let Some((_, zone)) = name.split_once('.').filter(|(_, z)| !z.is_empty()) {
                zones.entry((resps[0].src, zone)).or_default().push(name);
            }
        }
    }
    zones.retain(|_, names| names.len() >= tun.MANY_NAMES);
    // Only looked up: hashed.
    let mut pooled: rustc_hash::FxHashMap<&str, (IpAddr, &str)> = Default::default();
    for (&(resolver, zone), names) in &zones {
        for &n in names {
            pooled.insert(n, (resolver, zone));
        }
    }
    let mut per_zone: BTreeMap<(IpAddr, &str), Vec<&DnsEvent>> = BTreeMap::new();
    for ((name, rcode), resps) in &groups {
        match pooled.get(name) {
            Some(&key) if *rcode == rcode::NXDOMAIN => {
                per_zone.entry(key).or_default().extend(resps.iter().copied())
            }
            _ => out.push(rcode_finding(ctx, tun, name.to_string(), *rcode, resps, resolved)),
        }
    }
    for ((resolver, zone), mut resps) in per_zone {
        resps.sort_by_key(|r| (r.ts_ns, r.capture, r.frame));
        out.push(zone_finding(ctx, resolver, zone, zones[&(resolver, zone)].len(), &resps));
    }
}

/// `text` as a regular expression that matches it literally, written inside a Wireshark
/// display-filter string: letters, digits, `-` and `_` as they are, other ASCII punctuation
/// escaped for the regex (and that backslash for the string), anything else as `\x{..}`.
fn filter_regex(text: &str) -> String {
    let mut o = String::new();
    for c in text.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => o.push(c),
            '"' => o.push_str("\\\""),
            c if c.is_ascii_punctuation() => {
                o.push_str("\\\\");
                o.push(c);
            }
            c => o.push_str(&format!("\\\\x{{{:x}}}", c as u32)),
        }
    }
    o
}

/// Whether a shorter form of `name` resolved (each prefix ending before a dot is looked
/// up): the resolver's search list trying suffixes.
fn is_search_suffix(name: &str, resolved: &Resolved<'_>) -> bool {
    name.match_indices('.').any(|(i, _)| resolved.contains(&name[..i]))
}

/// The finding for NXDOMAIN answers from `resolver` for `names` different names under
/// `zone` (`resps`: the answers, in time order).
fn zone_finding(ctx: &Ctx<'_>, resolver: IpAddr, zone: &str, names: usize, resps: &[&DnsEvent]) -> Finding {
    let clients: BTreeSet<IpAddr> = distinct(resps.iter().map(|r| r.dst));
    let first = resps.first().map_or(0, |r| r.ts_ns);
    let last = resps.last().map_or(0, |r| r.ts_ns);
    let mut sample: Vec<&str> = Vec::new();
    for r in resps {
        if sample.len() < 4 && !sample.contains(&r.msg.qname.as_str()) {
            sample.push(&r.msg.qname);
        }
    }
    let background = resps.iter().all(|r| is_background(&r.msg.qname));
    let severity = if background { Severity::Low } else { Severity::Medium };
    let mut expl = format!(
        "{names} different names under {zone} ({}, ...) got NXDOMAIN from {resolver}: {} from {} between {} and {}. Many names that do not exist under one domain is a pattern, not a missing record: a program generating names (random probes, a misconfigured search list or service discovery, malware's generated domains) or a random-subdomain flood against the domain's servers.",
        sample.join(", "),
        plural(resps.len(), "query"),
        plural(clients.len(), "client"),
        rfc3339(first),
        rfc3339(last)
    );
    if background {
        expl.push_str(" They are background lookups that systems make on their own and expect to fail: no client needed them.");
    }
    let mut f = finding(DNS_NXDOMAIN, Layer::Application, severity, 0.9)
        .titled(
            format!("{names} names under {zone} do not resolve: NXDOMAIN from {resolver}"),
            expl,
        )
        .between(first, last);
    f.server = server(resolver, Some(resps[0].src_port));
    if let Some(s) = f.server.as_mut() {
        s.name = Some(format!("*.{zone}"));
    }
    f.clients = clients.iter().map(|c| c.to_string()).collect();
    f.affected_flows = resps.len() as u64;
    let mut shown: Vec<&str> = Vec::new();
    for r in resps {
        if shown.len() == 6 {
            break;
        }
        if shown.contains(&r.msg.qname.as_str()) {
            continue;
        }
        shown.push(&r.msg.qname);
        f.evidence.push(ctx.ev(
            r.capture,
            r.frame,
            r.ts_ns,
            format!("NXDOMAIN for {} {} to {}", r.msg.qname, qtype_name(r.msg.qtype), r.dst),
        ));
    }
    f.wireshark_filter = format!(
        "dns.flags.rcode == 3 && dns.qry.name matches \"{}$\"",
        filter_regex(&format!(".{zone}"))
    );
    f.remediation = vec![
        format!(
            "Find the program on {} that asks for names like {}: on the client, `ss -up` or the resolver's query log shows who sends them.",
            ip_list(clients.iter().copied()).join(", "),
            sample[0]
        ),
        format!("If the names should exist, check the {zone} zone on its authoritative servers."),
    ];
    f.group = Some(format!("dns zone {zone}"));
    f.weight = 60;
    f
}

/// For each failed response in `resps` (SERVFAIL, REFUSED), the answer with addresses that
/// the same client got for `name` from another resolver within [`FALLBACK_NS`] after it;
/// empty unless it is SERVFAIL or REFUSED.
fn fallback_answers<'a>(
    ctx: &Ctx<'a>,
    tun: &Tunables,
    name: &str,
    resps: &[&DnsEvent],
) -> Vec<&'a DnsEvent> {
    if !resps
        .iter()
        .all(|r| matches!(r.msg.rcode, rcode::SERVFAIL | rcode::REFUSED))
    {
        return Vec::new();
    }
    resps
        .iter()
        .filter_map(|r| {
            ctx.an.dns.iter().find(|a| {
                a.msg.is_response
                    && a.msg.rcode == rcode::NOERROR
                    && !a.msg.addrs.is_empty()
                    && a.msg.qname == name
                    && a.dst == r.dst
                    && a.src != r.src
                    && a.ts_ns >= r.ts_ns
                    && a.ts_ns.saturating_sub(r.ts_ns) <= tun.FALLBACK_NS
            })
        })
        .collect()
}

/// Names that operating systems and browsers look up on their own, whose NXDOMAIN is normal
/// life rather than a failure a user saw: DNS-SD browsing domains (`b._dns-sd._udp.<domain>`,
/// RFC 6763 §11), proxy auto-discovery (`wpad`), ISATAP, and reverse lookups.
pub const BACKGROUND_LABELS: &[&str] = &["_dns-sd", "wpad", "isatap"];

/// Whether `name` is a background lookup (see [`BACKGROUND_LABELS`]).
pub fn is_background(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.ends_with(".in-addr.arpa")
        || name.ends_with(".ip6.arpa")
        || name
            .split('.')
            .any(|label| BACKGROUND_LABELS.contains(&label))
}

fn rcode_finding(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    name: String,
    rcode: u16,
    resps: &[&DnsEvent],
    resolved: &Resolved<'_>,
) -> Finding {
        let cause = cause_of(rcode);
        let rname = rcode_name(rcode);
        let resolvers = ip_list(resps.iter().map(|r| r.src));
        let clients: BTreeSet<IpAddr> = distinct(resps.iter().map(|r| r.dst));
        let first = resps.iter().map(|r| r.ts_ns).min().unwrap_or(0);
        let last = resps.iter().map(|r| r.ts_ns).max().unwrap_or(0);
        let later_ok = resolved.contains(name.as_str());
        let search_suffix = is_search_suffix(&name, resolved);
        let qtypes: BTreeSet<String> = distinct(resps.iter().map(|r| r.msg.qtype))
            .into_iter()
            .map(qtype_name)
            .collect();
        let mut severity = match (cause, resps.len()) {
            (DNS_SERVFAIL | DNS_REFUSED, _) => Severity::High,
            (_, n) if n >= 2 || clients.len() >= 2 => Severity::High,
            _ => Severity::Medium,
        };
        let mut expl = format!(
            "{name} ({}) does not resolve: {rname} from {} for {} from {} between {} and {}.",
            qtypes.into_iter().collect::<Vec<_>>().join("/"),
            resolvers.join(", "),
            plural(resps.len(), "query"),
            plural(clients.len(), "client"),
            rfc3339(first),
            rfc3339(last)
        );
        let mut confidence = 0.95;
        let fallbacks = fallback_answers(ctx, tun, &name, resps);
        if !fallbacks.is_empty() && fallbacks.len() == resps.len() {
            severity = Severity::Low;
            let others = ip_list(fallbacks.iter().map(|r| r.src));
            expl.push_str(&format!(
                " Each time, the client then asked {} and got the answer: the failing resolver \
                 costs a delay, not the lookup.",
                others.join(", ")
            ));
        } else if rcode == rcode::NXDOMAIN && is_background(&name) {
            severity = Severity::Low;
            expl.push_str(" This is a background lookup that systems make on their own and expect to fail often (service discovery, proxy auto-discovery, reverse lookups): no client needed it.");
        } else if search_suffix {
            severity = Severity::Info;
            confidence = 0.6;
            expl.push_str(" A shorter form of the name did resolve: this is the resolver search list trying suffixes, not a fault.");
        } else if later_ok {
            severity = severity.min(Severity::Medium);
            expl.push_str(" The same name did resolve at other times: the failure is intermittent (a resolver or zone server flapping).");
        } else {
            let silent = silent_clients(ctx, tun, &clients, resps);
            if !silent.is_empty() {
                expl.push_str(&format!(
                    " After these failures {} opened no connection: the failed lookup is why {} never reached the service.",
                    silent.join(", "),
                    if silent.len() == 1 { "it" } else { "they" }
                ));
            }
        }
        expl.push_str(match rcode {
            rcode::NXDOMAIN => " NXDOMAIN means the name does not exist in DNS: a typo in the configured host name, a missing record, or the wrong DNS view (internal vs public).",
            rcode::SERVFAIL => " SERVFAIL means the resolver could not get an answer: its upstream or the zone's servers are unreachable, or DNSSEC validation failed.",
            rcode::REFUSED => " REFUSED means this resolver will not answer these clients: an ACL, recursion disabled, or the wrong resolver configured.",
            _ => "",
        });
        let ede: BTreeSet<u16> = resps
            .iter()
            .flat_map(|r| r.msg.ede.iter().copied())
            .collect();
        if !ede.is_empty() {
            expl.push_str(&format!(" Extended DNS error codes: {ede:?}."));
        }
        let mut f = finding(cause, Layer::Application, severity, confidence)
            .titled(format!(
                "{name} does not resolve: {rname} from {}",
                resolvers.join(", ")
            ), expl)
            .between(first, last);
        f.server = server(resps[0].src, Some(resps[0].src_port));
        if let Some(s) = f.server.as_mut() {
            s.name = Some(name.clone());
        }
        f.clients = clients.iter().map(|c| c.to_string()).collect();
        f.affected_flows = resps.len() as u64;
        for r in resps.iter().take(6) {
            f.evidence.push(ctx.ev(
                r.capture,
                r.frame,
                r.ts_ns,
                format!(
                    "{rname} for {name} {} to {}",
                    qtype_name(r.msg.qtype),
                    r.dst
                ),
            ));
        }
        f.wireshark_filter = format!("dns.qry.name == \"{name}\" && dns.flags.rcode == {rcode}");
        f.remediation = rcode_remediation(rcode, &name, &resolvers, &rname);
        f.group = Some(format!("dns {name}"));
        f.weight = 60;
        f
}

/// The clients that opened no connection after their failed lookups: the failure is why
/// they never reached the service.
fn silent_clients(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    clients: &BTreeSet<IpAddr>,
    resps: &[&DnsEvent],
) -> Vec<String> {
    // A client that got no address opens no connection: failures followed by nothing
    // are why it never reached the service.
    clients
        .iter()
        .filter(|c| {
            resps
                .iter()
                .filter(|r| r.dst == **c)
                .all(|r| !connected_after(ctx, tun, **c, r.ts_ns))
        })
        .map(|c| c.to_string())
        .collect()
}

/// What to do about a response code.
fn rcode_remediation(rcode: u16, name: &str, resolvers: &[String], rname: &str) -> Vec<String> {
        match rcode {
            rcode::NXDOMAIN => vec![
                format!(
                    "Check the host name configured in the client: is \"{name}\" spelled right?"
                ),
                format!(
                    "Query the authoritative servers: dig {name} @<authoritative server>; add the record if it is missing."
                ),
            ],
            rcode::SERVFAIL => vec![format!(
                "Check the resolver {}: can it reach its forwarders and the zone's servers? Test with dig {name} @{}.",
                resolvers.join(", "),
                resolvers[0]
            )],
            rcode::REFUSED => vec![format!(
                "Check the resolver's ACL and recursion settings, or point the clients at the right resolver (not {}).",
                resolvers.join(", ")
            )],
            _ => vec![format!("Check the resolver's logs for {rname} on {name}.")],
        }
}

/// Findings for the unanswered queries (`by_resolver`), against the answers each resolver
/// gave (`latencies`: its answered queries, see [`Sorted`]).
fn timeouts(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    by_resolver: BTreeMap<(IpAddr, u16), Vec<&Txn<'_>>>,
    latencies: &BTreeMap<IpAddr, Vec<(i64, &Txn<'_>)>>,
    out: &mut Vec<Finding>,
) {
    let end = ctx.capture_end();
    for ((resolver, port), lost) in by_resolver {
        let answered = latencies.get(&resolver).map_or(0, Vec::len);
        let names: BTreeSet<&str> = lost.iter().map(|t| t.q.msg.qname.as_str()).collect();
        let clients = ip_list(lost.iter().map(|t| t.q.src));
        let first = lost.iter().map(|t| t.q.ts_ns).min().unwrap_or(0);
        let last = lost.iter().map(|t| t.q.ts_ns).max().unwrap_or(0);
        let settled = lost
            .iter()
            .filter(|t| end - t.q.ts_ns >= tun.TIMEOUT_NS)
            .count();
        let severity = if answered == 0 && lost.len() >= 2 {
            Severity::High
        } else if lost.len() >= 2 && lost.len() * 5 >= answered {
            Severity::Medium
        } else {
            Severity::Low
        };
        let confidence = if settled > 0 { 0.9 } else { 0.6 };
        let nl: Vec<&str> = names.iter().take(4).copied().collect();
        let mut f = finding(DNS_TIMEOUT, Layer::Application, severity, confidence)
            .titled(format!(
                "DNS queries to {} go unanswered ({} lost)",
                ep(resolver, port),
                lost.len()
            ), format!(
                "{} from {} to the resolver {} got no answer ({}{}); it answered {} others. \
                 Clients retry and finally give up: the resolver is down or overloaded, a \
                 firewall drops DNS to it, or it cannot reach its upstream and stays silent.",
                plural(lost.len(), "query"),
                plural(clients.len(), "client"),
                ep(resolver, port),
                nl.join(", "),
                if names.len() > 4 { ", ..." } else { "" },
                answered
            ))
            .between(first, last);
        f.server = server(resolver, Some(port));
        f.clients = clients;
        f.affected_flows = lost.len() as u64;
        for t in lost.iter().take(6) {
            f.evidence.push(ctx.ev(
                t.q.capture,
                t.q.frame,
                t.q.ts_ns,
                format!(
                    "query {} {} from {}, no answer",
                    qtype_name(t.q.msg.qtype),
                    t.q.msg.qname,
                    t.q.src
                ),
            ));
        }
        f.wireshark_filter = format!(
            "dns.flags.response == 0 && {}.dst == {resolver} && !dns.response_in",
            ipf(resolver)
        );
        f.remediation = vec![
            format!("Check that the resolver at {resolver} runs and that port {port} is open to the clients (dig @{resolver} <name>)."),
            "Check the resolver's upstream forwarders: a resolver whose upstream is unreachable may stay silent.".into(),
        ];
        f.group = Some(svc_group(
            if lost[0].q.tcp {
                Proto::Tcp
            } else {
                Proto::Udp
            },
            resolver,
            port,
        ));
        f.from_absence = true;
        f.weight = 55;
        out.push(f);
    }
}

/// Findings for the slow answers (`by_resolver`: each resolver's answered queries and the
/// time they took).
fn slow(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    by_resolver: BTreeMap<IpAddr, Vec<(i64, &Txn<'_>)>>,
    out: &mut Vec<Finding>,
) {
    for (resolver, lat) in by_resolver {
        // The middle value alone: selected, not sorted (a resolver of a busy capture answers
        // a hundred thousand queries).
        let mut v: Vec<i64> = lat.iter().map(|(d, _)| *d).collect();
        let mid = v.len() / 2;
        let median = *v.select_nth_unstable(mid).1;
        let slow: Vec<&(i64, &Txn<'_>)> = lat
            .iter()
            .filter(|(d, _)| *d >= tun.SLOW_NS && *d >= tun.SLOW_FACTOR.saturating_mul(median.max(1)))
            .collect();
        if slow.is_empty() {
            continue;
        }
        let worst = slow.iter().map(|(d, _)| *d).max().unwrap_or(0);
        let first = slow.iter().map(|(_, t)| t.q.ts_ns).min().unwrap_or(0);
        let last = slow.iter().map(|(_, t)| t.q.ts_ns).max().unwrap_or(0);
        let mut f = finding(DNS_SLOW, Layer::Application, if slow.len() >= 3 {
                Severity::Medium
            } else {
                Severity::Low
            }, 0.85)
            .titled(format!("Slow DNS answers from {resolver} (up to {})", secs(worst)), format!(
                "{} to {resolver} took {} or more to answer (up to {}), while its median answer \
                 takes {}: the resolver waits on a slow or unreachable upstream for these names.",
                plural(slow.len(), "query"),
                secs(tun.SLOW_NS),
                secs(worst),
                secs(median)
            ))
            .between(first, last);
        f.server = server(resolver, Some(53));
        f.clients = ip_list(slow.iter().map(|(_, t)| t.q.src));
        f.affected_flows = slow.len() as u64;
        for (d, t) in slow.iter().take(5) {
            if let Some(r) = t.r {
                f.evidence.push(ctx.ev(
                    r.capture,
                    r.frame,
                    r.ts_ns,
                    format!("answer for {} after {}", t.q.msg.qname, secs(*d)),
                ));
            }
        }
        f.wireshark_filter = format!(
            "dns.time > {} && {}.src == {resolver}",
            tun.SLOW_NS as f64 / 1e9,
            ipf(resolver)
        );
        f.remediation = vec![format!(
            "Check {resolver}'s forwarders and their latency; consider a closer or caching resolver."
        )];
        f.group = Some(svc_group(Proto::Udp, resolver, 53));
        f.weight = 30;
        out.push(f);
    }
}

/// Findings for the truncated UDP answers (`by_resolver`).
fn truncated(
    ctx: &Ctx<'_>,
    by_resolver: BTreeMap<(IpAddr, u16), Vec<&Txn<'_>>>,
    out: &mut Vec<Finding>,
) {
    if by_resolver.is_empty() {
        return;
    }
    let fallbacks = super::dns_tcp_blocked::fallbacks(ctx);
    for ((resolver, port), tc) in by_resolver {
        out.push(truncated_from(ctx, resolver, port, &tc, &fallbacks));
    }
}

/// The finding for one resolver's truncated answers.
fn truncated_from(
    ctx: &Ctx<'_>,
    resolver: IpAddr,
    port: u16,
    tc: &[&Txn<'_>],
    fallbacks: &[super::dns_tcp_blocked::Fallback<'_>],
) -> Finding {
    use super::dns_tcp_blocked::Retry;
    let retry_of = |t: &Txn<'_>| {
        let over_tcp = ctx.an.dns.iter().any(|e| {
            e.tcp
                && !e.msg.is_response
                && e.src == t.q.src
                && e.msg.qname == t.q.msg.qname
                && e.ts_ns >= t.q.ts_ns
        });
        if over_tcp {
            return Retry::Connected;
        }
        fallbacks
            .iter()
            .find(|f| t.r.is_some_and(|r| std::ptr::eq(f.answer, r)))
            .map_or(Retry::None, |f| f.retry)
    };
    let retries: Vec<Retry> = tc.iter().map(|t| retry_of(t)).collect();
    let without = retries.iter().filter(|r| **r == Retry::None).count();
    let failed = retries
        .iter()
        .filter(|r| matches!(r, Retry::Unanswered | Retry::Refused))
        .count();
    let first = tc.iter().map(|t| t.q.ts_ns).min().unwrap_or(0);
    let last = tc.iter().map(|t| t.q.ts_ns).max().unwrap_or(0);
    let answers = plural(tc.len(), "answer");
    let (severity, expl) = if without > 0 {
        (
            Severity::Medium,
            format!(
                "{answers} came back truncated (TC) over UDP and {without} of them were never \
                 retried over TCP: the client does not fall back, so large answers (many \
                 addresses, DNSSEC) are lost."
            ),
        )
    } else if failed > 0 {
        (
            Severity::Low,
            format!(
                "{answers} came back truncated (TC) over UDP; the clients retried over TCP, \
                 and {failed} of those connections failed."
            ),
        )
    } else {
        (
            Severity::Info,
            format!(
                "{answers} came back truncated (TC) over UDP and the clients retried over TCP, \
                 as they should."
            ),
        )
    };
    let mut f = finding(DNS_TRUNCATED, Layer::Application, severity, 0.85)
        .titled(format!("Truncated DNS answers from {resolver}"), expl)
        .between(first, last);
    f.server = server(resolver, Some(port));
    f.clients = ip_list(tc.iter().map(|t| t.q.src));
    f.affected_flows = tc.len() as u64;
    for t in tc.iter().take(4) {
        if let Some(r) = t.r {
            f.evidence.push(ctx.ev(
                r.capture,
                r.frame,
                r.ts_ns,
                format!("TC answer for {}", t.q.msg.qname),
            ));
        }
    }
    f.wireshark_filter = "dns.flags.truncated == 1".into();
    f.remediation = vec!["Allow TCP port 53 between clients and resolver; check the client's resolver library supports TCP fallback.".into()];
    f.group = Some(svc_group(Proto::Udp, resolver, port));
    f.weight = 20;
    f
}

/// Findings for the empty answers to A queries (`groups`: by name).
fn nodata(ctx: &Ctx<'_>, groups: BTreeMap<&str, Vec<&DnsEvent>>, out: &mut Vec<Finding>) {
    for (name, resps) in groups {
        let first = resps.iter().map(|r| r.ts_ns).min().unwrap_or(0);
        let last = resps.iter().map(|r| r.ts_ns).max().unwrap_or(0);
        let mut f = finding(DNS_NODATA, Layer::Application, Severity::Low, 0.8)
            .titled(format!("{name} exists but has no address record (NODATA)"), format!(
                "{} for {name} came back NOERROR with no answer: the name exists but has no A \
                 record (perhaps only other record types, or the record was removed).",
                plural(resps.len(), "A query")
            ))
            .between(first, last);
        f.server = server(resps[0].src, Some(resps[0].src_port));
        f.clients = ip_list(resps.iter().map(|r| r.dst));
        f.affected_flows = resps.len() as u64;
        for r in resps.iter().take(4) {
            f.evidence.push(ctx.ev(
                r.capture,
                r.frame,
                r.ts_ns,
                format!("empty answer for {name}"),
            ));
        }
        f.wireshark_filter = format!("dns.qry.name == \"{name}\" && dns.count.answers == 0");
        f.remediation = vec![format!(
            "Add the A record for {name}, or fix the name the client uses."
        )];
        f.group = Some(format!("dns {name}"));
        f.weight = 30;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::dns::DnsMessage;
    use crate::detect::testing::*;

    /// A DNS message for `name` between client 10.0.1.2:5300 and `resolver`:53 at `t_ms`.
    fn msg(resolver: IpAddr, t_ms: i64, id: u16, answer: Option<(u16, Option<IpAddr>)>) -> DnsEvent {
        let client = ip(1, 2);
        let (src, dst, sport, dport) = match answer {
            Some(_) => (resolver, client, 53, 5300),
            None => (client, resolver, 5300, 53),
        };
        DnsEvent {
            capture: 0,
            frame: t_ms as u64 + 1,
            ts_ns: t_ms * 1_000_000,
            src,
            src_port: sport,
            dst,
            dst_port: dport,
            tcp: false,
            msg: DnsMessage {
                id,
                is_response: answer.is_some(),
                rcode: answer.map_or(0, |a| a.0),
                qname: "invoice.tax.example".into(),
                qtype: 1,
                qclass: 1,
                question_count: 1,
                answer_count: answer.and_then(|a| a.1).map_or(0, |_| 1),
                addrs: answer.and_then(|a| a.1).into_iter().collect(),
                opcode: 0,
                authoritative: false,
                truncated: false,
                recursion_desired: true,
                recursion_available: answer.is_some(),
                ede: Vec::new(),
                partial: false,
            },
        }
    }

    fn servfail_severity(fallback: bool) -> Vec<Severity> {
        let (r1, r2) = (ip(0, 53), ip(0, 54));
        let mut dns = vec![msg(r1, 0, 1, None), msg(r1, 5, 1, Some((rcode::SERVFAIL, None)))];
        if fallback {
            dns.push(msg(r2, 6, 2, None));
            dns.push(msg(r2, 9, 2, Some((rcode::NOERROR, Some(ip(0, 80))))));
        }
        let mut a = analysis(vec![], vec![]);
        a.dns = dns;
        crate::detect::run_all(&a)
            .into_iter()
            .filter(|f| f.cause == DNS_SERVFAIL)
            .map(|f| f.severity)
            .collect()
    }

    #[test]
    fn servfail_the_client_recovers_from_with_another_resolver_is_low() {
        assert_eq!(servfail_severity(false), vec![Severity::High]);
        assert_eq!(servfail_severity(true), vec![Severity::Low]);
    }

    #[test]
    fn background_names_are_recognised() {
        for n in [
            "b._dns-sd._udp.corp.example",
            "wpad.corp.example",
            "WPAD",
            "isatap.lan",
            "5.0.0.10.in-addr.arpa",
            "1.0.ip6.arpa.",
        ] {
            assert!(super::is_background(n), "{n}");
        }
        for n in ["invoice.tax.example", "wpadx.example", "arpa.example", "dns-sd.example"] {
            assert!(!super::is_background(n), "{n}");
        }
    }

    /// NXDOMAIN for `n` names `h0.gen.example`, `h1.gen.example`, ... plus one failing name
    /// elsewhere: the findings' titles.
    fn nxdomain_titles(n: usize) -> Vec<String> {
        let r = ip(0, 53);
        let mut dns = Vec::new();
        let mut named = |name: String, id: u16| {
            let t = i64::from(id) * 10;
            for mut m in [msg(r, t, id, None), msg(r, t + 1, id, Some((rcode::NXDOMAIN, None)))] {
                m.msg.qname = name.clone();
                dns.push(m);
            }
        };
        for i in 0..n {
            named(format!("h{i}.gen.example"), i as u16);
        }
        named("invoice.tax.example".into(), n as u16);
        let mut a = analysis(vec![], vec![]);
        a.dns = dns;
        crate::detect::run_all(&a)
            .into_iter()
            .filter(|f| f.cause == DNS_NXDOMAIN)
            .map(|f| f.title)
            .collect()
    }

    #[test]
    fn nxdomain_for_many_names_of_one_domain_is_one_finding() {
        let few = nxdomain_titles(MANY_NAMES - 1);
        assert_eq!(few.len(), MANY_NAMES, "below the threshold, one per name: {few:?}");
        let many = nxdomain_titles(MANY_NAMES);
        assert_eq!(
            many,
            [
                "invoice.tax.example does not resolve: NXDOMAIN from 10.9.0.53".to_string(),
                format!("{MANY_NAMES} names under gen.example do not resolve: NXDOMAIN from 10.9.0.53"),
            ]
        );
    }

    #[test]
    fn a_regex_in_a_filter_matches_the_text_literally() {
        assert_eq!(filter_regex(".gen.example"), r"\\.gen\\.example");
        assert_eq!(filter_regex("a\"b*"), r#"a\"b\\*"#);
        assert_eq!(filter_regex("é"), r"\\x{e9}");
    }
}
