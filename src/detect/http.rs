//! HTTP/1.x root causes, from requests paired with their responses on any port (recognised
//! by content). HTTPS bodies are invisible and nothing is guessed there.
//!
//! - `http_5xx`: server errors per service (503 with its `Retry-After`).
//! - `http_401` (with the `WWW-Authenticate` scheme), `http_403`, `http_4xx` (other client
//!   errors; `/favicon.ico` misses are ignored).
//! - `http_slow`: time to the response head far above the service's usual: at least
//!   [`SLOW_NS`] and [`SLOW_FACTOR`] times its median.
//! - `http_duplicate_request`: the same method, URI and body from one client
//!   [`DUP_MIN`] or more times within [`DUP_WINDOW_NS`], each sent before the previous copy
//!   was answered or, for a request that changes state, after it succeeded (a retry storm or
//!   a stale cache); a GET repeated after its answer is polling; retries after error
//!   responses are left to the error's own cause.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

use crate::event::HttpEvent;

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "http.exchanges";

/// `http_5xx`: server errors.
pub const HTTP_5XX: Cause = Cause::symptom("http_5xx");
/// `http_401`: requests refused for lack of valid credentials.
pub const HTTP_401: Cause = Cause::symptom("http_401");
/// `http_403`: requests refused by permission or policy.
pub const HTTP_403: Cause = Cause::symptom("http_403");
/// `http_4xx`: other client errors.
pub const HTTP_4XX: Cause = Cause::symptom("http_4xx");
/// `http_slow`: responses far slower than the service's median.
pub const HTTP_SLOW: Cause = Cause::symptom("http_slow");
/// `http_duplicate_request`: the same request sent again and again.
pub const HTTP_DUPLICATE_REQUEST: Cause = Cause::symptom("http_duplicate_request");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[HTTP_5XX, HTTP_401, HTTP_403, HTTP_4XX, HTTP_SLOW, HTTP_DUPLICATE_REQUEST];

tunables! {
    /// Least time to the response head (ns) for a slow answer, default 1 s, the point where a
    /// person notices the wait.
    #[unit = Ns]
    pub const SLOW_NS: i64 = 1_000_000_000;
    /// How many times the service's median time to the response head a slow answer must also
    /// take, default 5, so that a service that is always slow is not blamed for every answer.
    #[unit = Factor]
    pub const SLOW_FACTOR: i64 = 5;
    /// Copies of one request (same client, method, URI and body) from which it is duplicated,
    /// default 3, so that one ordinary retry is not reported.
    #[unit = Count]
    pub const DUP_MIN: usize = 3;
    /// Window (ns) within which the copies must come, default 10 s, the span of a retry storm
    /// rather than of a user repeating an action.
    #[unit = Ns]
    pub const DUP_WINDOW_NS: i64 = 10_000_000_000;
}

type Svc = (IpAddr, u16);

fn label(ctx: &Ctx<'_>, ip: IpAddr, port: u16, host: Option<&str>) -> String {
    if ctx.names.contains_key(&ip) {
        return ctx.label(ip, port);
    }
    match host.map(|h| h.split(':').next().unwrap_or(h)) {
        Some(h) if h.parse::<IpAddr>().is_err() && !h.starts_with('[') => {
            format!("{h} ({})", ep(ip, port))
        }
        _ => ep(ip, port),
    }
}

fn req_line(e: &HttpEvent) -> String {
    line_of(&e.method, &e.uri)
}

/// [`req_line`] of a method and a URI.
fn line_of(method: &str, uri: &str) -> String {
    if uri.chars().count() > 60 {
        let short: String = uri.chars().take(57).collect();
        format!("{method} {short}...")
    } else {
        format!("{method} {uri}")
    }
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let an = ctx.an;
    let tun = Tunables::of(ctx);
    let mut by_svc: BTreeMap<Svc, Vec<&HttpEvent>> = BTreeMap::new();
    for e in &an.http {
        by_svc.entry((e.server, e.server_port)).or_default().push(e);
    }
    let mut out = Vec::new();
    for ((ip, port), evs) in &by_svc {
        status_findings(ctx, *ip, *port, evs, &mut out);
        slow(ctx, &tun, *ip, *port, evs, &mut out);
        duplicates(ctx, &tun, *ip, *port, evs, &mut out);
    }
    out
}

fn status_findings(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    port: u16,
    evs: &[&HttpEvent],
    out: &mut Vec<Finding>,
) {
    // The answers sorted into the four classes in one pass (twenty thousand requests on a
    // busy capture: a pass per class read them all five times).
    const CLASSES: [Cause; 4] = [HTTP_5XX, HTTP_401, HTTP_403, HTTP_4XX];
    let (mut answered, mut ok) = (0usize, 0usize);
    let mut bad: [Vec<&HttpEvent>; 4] = Default::default();
    for &e in evs {
        let Some(s) = e.status else { continue };
        answered += 1;
        let class = match s {
            0..400 => {
                ok += 1;
                continue;
            }
            500.. => 0,
            401 => 1,
            403 => 2,
            400..500 if e.uri.ends_with("/favicon.ico") => continue,
            400..500 => 3,
        };
        bad[class].push(e);
    }
    for (cause, bad) in CLASSES.into_iter().zip(bad) {
        if !bad.is_empty() {
            out.push(status_finding(ctx, ip, port, cause, &bad, answered, ok == 0));
        }
    }
}

/// The finding for the `bad` answers of one status class, among `answered` answers;
/// `all_bad` when none of them succeeded.
fn status_finding(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    port: u16,
    cause: Cause,
    bad: &[&HttpEvent],
    answered: usize,
    all_bad: bool,
) -> Finding {
    let host = bad.iter().find_map(|e| e.host.as_deref());
    let svc = label(ctx, ip, port, host);
    let mut codes: BTreeMap<u16, usize> = BTreeMap::new();
    for e in bad {
        *codes.entry(e.status.unwrap_or(0)).or_default() += 1;
    }
    let code_list: Vec<String> = codes
        .iter()
        .map(|(c, n)| {
            let reason = bad
                .iter()
                .find(|e| e.status == Some(*c))
                .and_then(|e| e.reason.clone())
                .unwrap_or_default();
            format!("{n} x {c} {reason}").trim().to_string()
        })
        .collect();
    // Thousands of failed requests are usually a handful of distinct ones: told apart by
    // hashing first, each distinct one then written once.
    let distinct: rustc_hash::FxHashSet<(&str, &str)> = bad
        .iter()
        .map(|e| (e.method.as_str(), e.uri.as_str()))
        .collect();
    let uris: BTreeSet<String> = distinct.into_iter().map(|(m, u)| line_of(m, u)).collect();
    let ul: Vec<String> = uris.iter().take(4).cloned().collect();
    let first = bad.iter().map(|e| e.req_ts_ns).min().unwrap_or(0);
    let last = bad
        .iter()
        .map(|e| e.resp_ts_ns.unwrap_or(e.req_ts_ns))
        .max()
        .unwrap_or(0);
    let severity = match cause {
        HTTP_5XX if all_bad || bad.len() * 2 >= answered => Severity::Critical,
        HTTP_5XX => Severity::High,
        HTTP_401 | HTTP_403 if all_bad || bad.len() >= 2 => Severity::High,
        HTTP_401 | HTTP_403 => Severity::Medium,
        _ if bad.len() >= 3 && bad.len() * 2 >= answered => Severity::Medium,
        _ => Severity::Low,
    };
    let mut expl = format!(
        "{} of {} answered requests to {svc} got {} ({}), between {} and {}.",
        bad.len(),
        answered,
        match cause {
            HTTP_5XX => "a server error",
            HTTP_401 => "401 Unauthorized",
            HTTP_403 => "403 Forbidden",
            _ => "a client error",
        },
        code_list.join(", "),
        rfc3339(first),
        rfc3339(last)
    );
    expl.push_str(&format!(" Requests: {}.", ul.join("; ")));
    expl.push_str(&status_meaning(cause, bad));
    let title = format!(
        "HTTP {} from {svc} ({})",
        codes
            .keys()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("/"),
        ul.first().cloned().unwrap_or_default()
    );
    let mut f = finding(cause, Layer::Application, severity, 0.95)
        .titled(title, expl)
        .between(first, last);
    f.server = server(ip, Some(port));
    if let (Some(s), Some(h)) = (f.server.as_mut(), host) {
        let h = h.split(':').next().unwrap_or(h);
        if !ctx.names.contains_key(&ip) && h.parse::<IpAddr>().is_err() {
            s.name = Some(h.to_string());
        }
    }
    f.clients = ip_list(bad.iter().map(|e| e.client));
    f.affected_flows = bad.len() as u64;
    add_status_evidence(ctx, &mut f, bad);
    let code_filter = match cause {
        HTTP_5XX => "http.response.code >= 500".to_string(),
        HTTP_401 => "http.response.code == 401".to_string(),
        HTTP_403 => "http.response.code == 403".to_string(),
        _ => "http.response.code >= 400 && http.response.code < 500".to_string(),
    };
    f.wireshark_filter = format!(
        "{}.src == {ip} && tcp.srcport == {port} && {code_filter}",
        ipf(ip)
    );
    f.remediation = status_remediation(cause, &svc, first);
    f.group = Some(format!("http {} {cause}", ep(ip, port)));
    f.weight = 60;
    f
}

/// What a status class means, with the server's Retry-After or WWW-Authenticate when sent.
fn status_meaning(cause: Cause, bad: &[&HttpEvent]) -> String {
    let retry: BTreeSet<&str> = bad
        .iter()
        .filter_map(|e| e.retry_after.as_deref())
        .collect();
    let schemes: BTreeSet<&str> = bad
        .iter()
        .filter_map(|e| e.auth_scheme.as_deref())
        .collect();
    let mut expl = String::new();
    match cause {
        HTTP_5XX => {
            expl.push_str(" The network and TCP work: the application behind the port fails or is overloaded (503: unavailable, 502/504: its upstream fails).");
            if !retry.is_empty() {
                expl.push_str(&format!(" The server asks clients to retry after {}.", retry.into_iter().collect::<Vec<_>>().join(", ")));
            }
        }
        HTTP_401 => {
            expl.push_str(" The service wants credentials the client did not send or that it rejects");
            if !schemes.is_empty() {
                expl.push_str(&format!(" (WWW-Authenticate: {})", schemes.into_iter().collect::<Vec<_>>().join(", ")));
            }
            expl.push_str(": a missing, expired or wrong token or password, or a clock skew invalidating tokens.");
        }
        HTTP_403 => expl.push_str(" The service knows the client but refuses it: permissions, an IP allow-list, or a WAF rule."),
        _ => expl.push_str(" The client asks for something the service does not have or cannot accept: a wrong URL or API version, or a malformed request."),
    }
    expl
}

/// The first three requests and their responses.
fn add_status_evidence(ctx: &Ctx<'_>, f: &mut Finding, bad: &[&HttpEvent]) {
    for e in bad.iter().take(3) {
        f.evidence.push(ctx.ev(
            e.capture,
            e.req_frame,
            e.req_ts_ns,
            format!("request {}", req_line(e)),
        ));
        if let Some(fr) = e.resp_frame {
            f.evidence.push(ctx.ev(
                e.capture,
                fr,
                e.resp_ts_ns.unwrap_or(e.req_ts_ns),
                format!(
                    "response {} {}",
                    e.status.unwrap_or(0),
                    e.reason.clone().unwrap_or_default()
                ),
            ));
        }
    }
}

fn status_remediation(cause: Cause, svc: &str, first: i64) -> Vec<String> {
    match cause {
        HTTP_5XX => vec![
            format!("Check the application's logs and health behind {svc} at {}.", rfc3339(first)),
            "If a load balancer answers, check its pool members' health checks.".into(),
        ],
        HTTP_401 => vec!["Check the client's credentials or token (expiry, scope) and its clock.".into()],
        HTTP_403 => vec!["Check the account's permissions and any IP allow-list or WAF rule for this client.".into()],
        _ => vec!["Check the URL, API version and request format the client uses.".into()],
    }
}

/// A request that waited: how long, the request, and whether the client gave up (closed
/// its connection with no response) rather than got its answer late.
struct Wait<'a> {
    ns: i64,
    e: &'a HttpEvent,
    gave_up: Option<&'a Conn>,
}

/// The connection that carried `e`, when the client closed it (FIN or RST from the client)
/// without a response.
fn abandoned<'a>(ctx: &Ctx<'a>, e: &HttpEvent) -> Option<&'a Conn> {
    let an: &'a Analysis = ctx.an;
    let tuple = ctx.flows_of(Proto::Tcp, (e.client, e.client_port), (e.server, e.server_port));
    tuple.iter().map(|&i| &an.flows[i]).find(|c| {
        c.fold.is_none()
            && c.orig_ip == e.client
            && c.first_ts_ns <= e.req_ts_ns
            && c.last_ts_ns >= e.req_ts_ns
            && (c.history.as_str().contains('F') || c.history.as_str().contains('R'))
    })
}

fn slow(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    ip: IpAddr,
    port: u16,
    evs: &[&HttpEvent],
    out: &mut Vec<Finding>,
) {
    let answered: Vec<Wait<'_>> = evs
        .iter()
        .filter_map(|e| {
            e.resp_ts_ns.map(|r| Wait {
                ns: r.saturating_sub(e.req_ts_ns),
                e,
                gave_up: None,
            })
        })
        .collect();
    // Clients that closed the connection after waiting with no response.
    let gave_up: Vec<Wait<'_>> = evs
        .iter()
        .filter(|e| e.resp_ts_ns.is_none())
        .filter_map(|e| {
            let c = abandoned(ctx, e)?;
            let ns = c.last_ts_ns.saturating_sub(e.req_ts_ns);
            (ns >= tun.SLOW_NS).then_some(Wait {
                ns,
                e,
                gave_up: Some(c),
            })
        })
        .collect();
    if answered.len() + gave_up.len() < 2 && gave_up.is_empty() {
        return;
    }
    let mut v: Vec<i64> = answered.iter().map(|w| w.ns).collect();
    v.sort();
    let median = v.get(v.len() / 2).copied();
    let slow_enough =
        |w: &&Wait<'_>| w.ns >= tun.SLOW_NS && median.is_none_or(|m| w.ns >= tun.SLOW_FACTOR.saturating_mul(m.max(1)));
    let slow: Vec<&Wait<'_>> = answered.iter().chain(&gave_up).filter(slow_enough).collect();
    if slow.is_empty() {
        return;
    }
    out.push(slow_finding(ctx, tun, ip, port, evs, &slow, answered.len(), median));
}

/// The `http_slow` finding for one service's slow and abandoned requests.
#[allow(clippy::too_many_arguments)]
fn slow_finding(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    ip: IpAddr,
    port: u16,
    evs: &[&HttpEvent],
    slow: &[&Wait<'_>],
    answered: usize,
    median: Option<i64>,
) -> Finding {
    let worst = slow.iter().map(|w| w.ns).max().unwrap_or(0);
    let quit: Vec<&&Wait<'_>> = slow.iter().filter(|w| w.gave_up.is_some()).collect();
    let host = evs.iter().find_map(|e| e.host.as_deref());
    let svc = label(ctx, ip, port, host);
    let first = slow.iter().map(|w| w.e.req_ts_ns).min().unwrap_or(0);
    // The last slow request, or the last client giving up.
    let last = slow
        .iter()
        .map(|w| w.gave_up.map_or(w.e.req_ts_ns, |c| c.last_ts_ns))
        .max()
        .unwrap_or(first);
    let mut uris: Vec<String> = Vec::new();
    for w in slow {
        let line = req_line(w.e);
        if !uris.contains(&line) && uris.len() < 5 {
            uris.push(line);
        }
    }
    let usual = median.map_or("no request answered".to_string(), |m| format!("usually {}", secs(m)));
    let mut title = format!("Slow responses from {svc}: up to {} ({usual})", secs(worst));
    if !quit.is_empty() {
        title.push_str(&format!(", {} abandoned", plural(quit.len(), "request")));
    }
    let mut expl = format!(
        "{} of {} requests to {svc} waited {} or more for the response head (up to {}){}: {}. \
         The network delivers the request at once: the time is spent in the application or \
         what it waits on (database, upstream), and clients with short timeouts give up.",
        slow.len(),
        answered + quit.len(),
        secs(tun.SLOW_NS),
        secs(worst),
        median.map_or(String::new(), |m| format!(", while the median answer takes {}", secs(m))),
        uris.join(", ")
    );
    if !quit.is_empty() {
        let waits: Vec<String> = quit.iter().take(5).map(|w| secs(w.ns)).collect();
        expl.push_str(&format!(
            " {} gave up with no response after waiting {}.",
            ip_list(quit.iter().map(|w| w.e.client)).join(", "),
            waits.join(", ")
        ));
    }
    let severity = if slow.len() >= 3 || worst >= tun.SLOW_NS.saturating_mul(10) || !quit.is_empty() {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut f = finding(HTTP_SLOW, Layer::Application, severity, 0.9)
        .titled(title, expl)
        .between(first, last);
    f.server = server(ip, Some(port));
    f.clients = ip_list(slow.iter().map(|w| w.e.client));
    f.affected_flows = slow.len() as u64;
    for w in slow.iter().take(4) {
        let e = w.e;
        match (w.gave_up, e.resp_frame) {
            (Some(c), _) => {
                f.evidence.push(ctx.ev(e.capture, e.req_frame, e.req_ts_ns, req_line(e)));
                f.evidence.push(ctx.ev(
                    c.capture,
                    c.last_frame,
                    c.last_ts_ns,
                    format!("client gives up on {} after {}, no response", req_line(e), secs(w.ns)),
                ));
            }
            (None, Some(fr)) => f.evidence.push(ctx.ev(
                e.capture,
                fr,
                e.resp_ts_ns.unwrap_or(0),
                format!("response to {} after {}", req_line(e), secs(w.ns)),
            )),
            (None, None) => {}
        }
    }
    f.evidence.sort_by_key(|e| (e.capture.clone(), e.frame));
    f.wireshark_filter = if quit.is_empty() {
        format!(
            "{}.src == {ip} && tcp.srcport == {port} && http.time >= {}",
            ipf(ip),
            tun.SLOW_NS as f64 / 1e9
        )
    } else {
        // The abandoned requests have no response: show the requests and the closes too.
        format!(
            "{}.addr == {ip} && tcp.port == {port} && (http.time >= {} || http.request || tcp.flags.fin == 1 || tcp.flags.reset == 1)",
            ipf(ip),
            tun.SLOW_NS as f64 / 1e9
        )
    };
    f.remediation = vec![format!(
        "Profile the slow requests on {svc}: application logs, database and upstream latency at those times."
    )];
    f.group = Some(format!("http {} http_slow", ep(ip, port)));
    f.weight = 40;
    f
}

/// What makes two requests the same: the client, the method, the URI and the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct SameRequest<'a> {
    client: IpAddr,
    method: &'a str,
    uri: &'a str,
    body_hash: u64,
    body_len: u64,
}

fn duplicates(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    ip: IpAddr,
    port: u16,
    evs: &[&HttpEvent],
    out: &mut Vec<Finding>,
) {
    // Grouped by hashing, then put in the key's order (a tree insert per request compared
    // client, method and URI all the way down).
    let mut hashed: rustc_hash::FxHashMap<SameRequest<'_>, Vec<&&HttpEvent>> = Default::default();
    for e in evs {
        let key = SameRequest {
            client: e.client,
            method: e.method.as_str(),
            uri: e.uri.as_str(),
            body_hash: e.body_hash,
            body_len: e.body_len,
        };
        hashed.entry(key).or_default().push(e);
    }
    let mut groups: Vec<(SameRequest<'_>, Vec<&&HttpEvent>)> = hashed.into_iter().collect();
    groups.sort_unstable_by_key(|(k, _)| *k);
    for (key, reqs) in groups {
        let SameRequest {
            client,
            method,
            uri,
            body_len,
            ..
        } = key;
        // Largest burst within the window.
        let ts: Vec<i64> = reqs.iter().map(|e| e.req_ts_ns).collect();
        let (mut j, mut best) = (0, (0usize, 0usize));
        for i in 0..ts.len() {
            while ts[i] - ts[j] > tun.DUP_WINDOW_NS {
                j += 1;
            }
            if i + 1 - j > best.1 - best.0 {
                best = (j, i + 1);
            }
        }
        let burst = &reqs[best.0..best.1];
        if burst.len() < tun.DUP_MIN
            || method == "GET" && body_len == 0 && burst.len() < tun.DUP_MIN.saturating_mul(2)
        {
            continue;
        }
        // A client retrying after an error response is a consequence of that error (reported
        // on its own); duplicates matter when they are sent before the previous copy was
        // answered, or, for a request that changes state (POST, PUT ...), after it succeeded
        // (processed twice). A GET repeated after its answer is polling, not a retry.
        let idempotent = matches!(method, "GET" | "HEAD" | "OPTIONS");
        let blind = burst
            .windows(2)
            .filter(|w| match (w[0].resp_ts_ns, w[0].status) {
                (Some(t), Some(code)) => t > w[1].req_ts_ns || (code < 400 && !idempotent),
                _ => true,
            });
        if blind.count() + 1 < tun.DUP_MIN {
            continue;
        }
        let svc = label(ctx, ip, port, burst[0].host.as_deref());
        let first = burst[0].req_ts_ns;
        let last = burst[burst.len() - 1].req_ts_ns;
        let mut f = finding(HTTP_DUPLICATE_REQUEST, Layer::Application, if method == "GET" {
                Severity::Low
            } else {
                Severity::Medium
            }, 0.9)
            .titled(format!(
                "{client} sent the same {method} {uri} {} times to {svc}",
                burst.len()
            ), format!(
                "{client} sent {method} {uri}{} {} times within {} to {svc}. Identical requests \
                 repeated this fast are a retry storm (the client times out and resends before \
                 the server answers) or a stale cache resending old messages; with non-idempotent \
                 requests such as POST they may be processed several times.",
                if body_len > 0 {
                    format!(" with the same {body_len}-byte body")
                } else {
                    String::new()
                },
                burst.len(),
                secs(last - first)
            ))
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = vec![client.to_string()];
        f.affected_flows = burst.len() as u64;
        for e in burst.iter().take(5) {
            f.evidence.push(ctx.ev(
                e.capture,
                e.req_frame,
                e.req_ts_ns,
                format!("{method} {uri} from port {}", e.client_port),
            ));
        }
        f.wireshark_filter = format!(
            "{}.src == {client} && http.request.method == \"{method}\" && http.request.uri == \"{uri}\"",
            ipf(client)
        );
        f.remediation = vec![
            "Raise the client's timeout above the server's response time, and add backoff to its retries.".into(),
            "Make the operation idempotent (request ids) so retries are harmless.".into(),
        ];
        f.group = Some(format!("http {} dup {client}", ep(ip, port)));
        f.weight = 30;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::*;

    /// A GET of `uri` from port `cport` at `t_ms`, answered `wait_ms` later (or never).
    fn get(cport: u16, uri: &str, t_ms: i64, wait_ms: Option<i64>) -> HttpEvent {
        HttpEvent {
            capture: 0,
            client: ip(1, 2),
            client_port: cport,
            server: ip(0, 5),
            server_port: 80,
            req_frame: t_ms as u64 + 1,
            req_ts_ns: t_ms * 1_000_000,
            method: "GET".into(),
            uri: uri.into(),
            host: None,
            body_hash: 0,
            body_len: 0,
            resp_frame: wait_ms.map(|w| (t_ms + w) as u64 + 1),
            resp_ts_ns: wait_ms.map(|w| (t_ms + w) * 1_000_000),
            status: wait_ms.map(|_| 200),
            reason: None,
            retry_after: None,
            auth_scheme: None,
        }
    }

    /// The connection of a request at `t_ms` that the client closed `after_ms` later.
    fn closed(cport: u16, t_ms: i64, after_ms: i64) -> Conn {
        let mut c = conn(ip(1, 2), cport, ip(0, 5), 80, ConnState::Sf, "ShADFf", t_ms);
        c.last_ts_ns = (t_ms + after_ms) * 1_000_000;
        c.last_frame = (t_ms + after_ms) as u64 + 1;
        c
    }

    fn slow_titles(flows: Vec<Conn>, http: Vec<HttpEvent>) -> Vec<String> {
        let mut a = analysis(flows, vec![]);
        a.http = http;
        crate::detect::run_all(&a)
            .into_iter()
            .filter(|f| f.cause == HTTP_SLOW)
            .map(|f| f.title)
            .collect()
    }

    #[test]
    fn a_client_giving_up_on_a_slow_request_is_http_slow() {
        let http = vec![
            get(40001, "/fast", 0, Some(5)),
            get(40002, "/fast", 100, Some(4)),
            get(40003, "/report", 200, None),
        ];
        let flows = vec![closed(40001, 0, 10), closed(40002, 100, 10), closed(40003, 199, 2_001)];
        let t = slow_titles(flows, http);
        assert_eq!(t.len(), 1, "{t:?}");
        assert!(t[0].contains("1 request abandoned"), "{}", t[0]);
    }

    #[test]
    fn a_quick_close_without_response_is_not_slowness() {
        let http = vec![
            get(40001, "/fast", 0, Some(5)),
            get(40002, "/fast", 100, Some(4)),
            get(40003, "/x", 200, None),
        ];
        let flows = vec![closed(40001, 0, 10), closed(40002, 100, 10), closed(40003, 199, 300)];
        assert!(slow_titles(flows, http).is_empty());
    }
}
