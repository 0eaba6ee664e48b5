//! TLS handshake root causes, from the ClientHello/ServerHello and plaintext alerts of every
//! TLS connection (any port, recognised by content). The certificate chains are judged by
//! [`super::tls_cert`].
//!
//! - Fatal alerts, by sender and handshake step, mapped to the cause they name:
//!   `protocol_version` → `tls_version_mismatch`; `handshake_failure` and
//!   `insufficient_security` → `tls_handshake_failure` (with what was offered and answered);
//!   `certificate_required` (or a server's `bad_certificate` after its CertificateRequest
//!   step) → `tls_client_cert_required`; a client's `unknown_ca` → `tls_unknown_ca`, its
//!   `certificate_expired` → `tls_cert_expired`; any other fatal alert → `tls_alert`.
//!   Warnings (`unrecognized_name`, `close_notify`...) are not failures.
//! - `tls_obsolete_version`: SSLv2, SSLv3, TLS 1.0 or 1.1 negotiated (or an SSLv2-only offer).
//! - `tls_weak_cipher`: a negotiated suite that is NULL, anonymous, RC4, export-grade, DES or
//!   3DES, judged from the suite table's fields.
//! - `tls_handshake_aborted`: TLS 1.3 hides certificates and alerts, but the shape shows: the
//!   server sent its encrypted flight and the client answered with a single short encrypted
//!   record and no application data. Most likely the client rejected the certificate; said
//!   with lower confidence ([`ABORT_MAX_LEN`]).

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::decode::tls::alert;

use crate::detect::tls_cert::TLS_CERT_EXPIRED;
use crate::detect::tls_cert::TLS_UNKNOWN_CA;
use crate::decode::tls::{
    ClientOffer, alert_name, is_sm_suite, suite_name, suite_weakness, version_name,
};
use crate::event::{TlsAlert, TlsSession};

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tls.handshake";

/// `tls_alert`: any other fatal TLS alert.
pub const TLS_ALERT: Cause = Cause::symptom("tls_alert");
/// `tls_version_mismatch`: no TLS version in common.
pub const TLS_VERSION_MISMATCH: Cause = Cause::new("tls_version_mismatch");
/// `tls_handshake_failure`: no TLS parameters in common, or a handshake cut off without an alert.
pub const TLS_HANDSHAKE_FAILURE: Cause = Cause::new("tls_handshake_failure");
/// `tls_client_cert_required`: A client certificate required and missing or refused.
pub const TLS_CLIENT_CERT_REQUIRED: Cause = Cause::new("tls_client_cert_required");
/// `tls_obsolete_version`: an obsolete TLS or SSL version negotiated.
pub const TLS_OBSOLETE_VERSION: Cause = Cause::new("tls_obsolete_version");
/// `tls_weak_cipher`: A weak cipher suite negotiated.
pub const TLS_WEAK_CIPHER: Cause = Cause::new("tls_weak_cipher");
/// `tls_handshake_aborted`: A TLS 1.3 handshake the client abandoned after the server's flight.
pub const TLS_HANDSHAKE_ABORTED: Cause = Cause::symptom("tls_handshake_aborted");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TLS_ALERT, TLS_VERSION_MISMATCH, TLS_HANDSHAKE_FAILURE, TLS_CLIENT_CERT_REQUIRED, TLS_UNKNOWN_CA, TLS_CERT_EXPIRED, TLS_OBSOLETE_VERSION, TLS_WEAK_CIPHER, TLS_HANDSHAKE_ABORTED];

tunables! {
    /// An encrypted client record this short after the server's TLS 1.3 flight is an alert
    /// (2 bytes + content type + 16-byte AEAD tag = 19), not a Finished message.
    #[unit = Bytes]
    pub const ABORT_MAX_LEN: u16 = 40;
}

/// Why a handshake fails when the client offers only SM cryptography, and what to do.
const SM_ONLY_WHY: &str = " The client speaks only the Chinese SM (ShangMi) cryptography of TLCP (GM/T 0024, version 0x0101) or RFC 8998 (TLS_SM4_GCM_SM3), with SM2 certificates, and the server speaks none of it: one side only speaks SM suites.";
const SM_ONLY_FIX: &str = "Either give the server an SM-capable TLS stack (TLCP or RFC 8998, e.g. Tongsuo or GmSSL) with an SM2 certificate, or configure the client to also offer standard suites (TLS 1.2/1.3 with AES-GCM).";

fn target(ctx: &Ctx<'_>, s: &TlsSession) -> String {
    match s.offer.as_ref().and_then(|o| o.sni.clone()) {
        Some(n) => format!("{n} ({})", ep(s.server, s.server_port)),
        None => ctx.label(s.server, s.server_port),
    }
}

fn cause_of_alert(s: &TlsSession, a: &TlsAlert) -> Cause {
    match (a.description, a.by_server) {
        (alert::PROTOCOL_VERSION, _) => TLS_VERSION_MISMATCH,
        (alert::CERTIFICATE_REQUIRED, true) => TLS_CLIENT_CERT_REQUIRED,
        // The server asked for a client certificate and then refuses the handshake.
        (
            alert::HANDSHAKE_FAILURE
            | alert::BAD_CERTIFICATE
            | alert::UNSUPPORTED_CERTIFICATE
            | alert::CERTIFICATE_UNKNOWN
            | alert::UNKNOWN_CA,
            true,
        ) if s.cert_requested => TLS_CLIENT_CERT_REQUIRED,
        (alert::HANDSHAKE_FAILURE | alert::INSUFFICIENT_SECURITY, _) => TLS_HANDSHAKE_FAILURE,
        (alert::UNKNOWN_CA, false) => TLS_UNKNOWN_CA,
        (alert::CERTIFICATE_EXPIRED, false) => TLS_CERT_EXPIRED,
        _ => TLS_ALERT,
    }
}

fn offered(s: &TlsSession) -> String {
    let Some(o) = &s.offer else {
        return "an unseen ClientHello".into();
    };
    let mut vs: Vec<u16> = if o.versions.is_empty() {
        vec![o.legacy_version]
    } else {
        o.versions.clone()
    };
    vs.retain(|v| v & 0x0f0f != 0x0a0a); // GREASE
    vs.sort();
    vs.dedup();
    let names: Vec<String> = vs.iter().rev().map(|v| version_name(*v)).collect();
    let mut out = format!(
        "{} with {}",
        names.join("/"),
        plural(o.suites.len(), "cipher suite")
    );
    if !o.suites.is_empty() && o.suites.len() <= 4 {
        let list: Vec<String> = o.suites.iter().map(|&c| suite_name(c)).collect();
        out.push_str(&format!(": {}", list.join(", ")));
    }
    out
}

/// Which side must change what, from the offer and who refused it.
fn advice(cause: Cause, by_server: bool, s: &TlsSession) -> Option<String> {
    let o = s.offer.as_ref()?;
    let mut vs: Vec<u16> = if o.versions.is_empty() {
        vec![o.legacy_version]
    } else {
        o.versions.clone()
    };
    vs.retain(|v| v & 0x0f0f != 0x0a0a);
    let max = vs.iter().copied().filter(|&v| v != 0x0101).max()?;
    let min = vs.iter().copied().filter(|&v| v != 0x0101).min()?;
    let list = |v: &[u16]| {
        v.iter()
            .take(8)
            .map(|&x| crate::decode::tls::group_name(x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (cause, by_server) {
        (TLS_VERSION_MISMATCH, true) if min >= 0x0304 => Some(format!(
            "The client offers only {}, which the server does not speak: enable TLS 1.3 on the server, or allow TLS 1.2 on the client.",
            version_name(max)
        )),
        (TLS_VERSION_MISMATCH, true) if max == 0x0303 => Some(
            "The client's highest version is TLS 1.2 and the server refuses it, so the server speaks only TLS 1.3: enable TLS 1.3 on the client, or TLS 1.2 on the server.".into(),
        ),
        (TLS_VERSION_MISMATCH, true) => Some(format!(
            "The client's highest version is {}, which the server refuses: upgrade the client to TLS 1.2 or 1.3 (or, only if that is impossible, re-enable {} on the server).",
            version_name(max),
            version_name(max)
        )),
        (TLS_VERSION_MISMATCH, false) => Some(
            "The client refused the version the server chose: the server must offer a version the client accepts (TLS 1.2 or 1.3).".into(),
        ),
        (TLS_HANDSHAKE_FAILURE, true) => {
            let mut a = format!(
                "The server accepts none of the client's {}",
                plural(o.suites.len(), "cipher suite")
            );
            if !o.groups.is_empty() {
                a.push_str(&format!(" (or groups: {})", list(&o.groups)));
            }
            a.push_str(": the server's configuration must add one the client offers, or the client must offer one the server has.");
            Some(a)
        }
        _ => None,
    }
}

/// Whether the client offers only Chinese SM (ShangMi) cryptography: TLCP as its only
/// version, or only TLCP / RFC 8998 SM suites.
pub fn sm_only(o: &ClientOffer) -> bool {
    let real: Vec<u16> = o
        .suites
        .iter()
        .copied()
        .filter(|&c| c != 0x00ff && c & 0x0f0f != 0x0a0a)
        .collect();
    (o.legacy_version == 0x0101 && o.versions.is_empty())
        || (!real.is_empty() && real.iter().all(|&c| is_sm_suite(c)))
}

/// Runs the detector over the capture.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    alerts(ctx, &mut out);
    negotiated(ctx, &mut out);
    aborted(ctx, &mut out);
    hung_up(ctx, &mut out);
    out
}

/// What fatal alerts are grouped by: the server, the cause, the alert and who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AlertKey {
    server: IpAddr,
    port: u16,
    cause: Cause,
    description: u8,
    by_server: bool,
}

fn alerts(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<AlertKey, Vec<(&TlsSession, &TlsAlert)>> = BTreeMap::new();
    for s in &ctx.an.tls {
        for a in s.alerts.iter().filter(|a| a.level == alert::FATAL) {
            let key = AlertKey {
                server: s.server,
                port: s.server_port,
                cause: cause_of_alert(s, a),
                description: a.description,
                by_server: a.by_server,
            };
            groups.entry(key).or_default().push((s, a));
        }
    }
    for (key, hits) in groups {
        out.push(alert_finding(ctx, key, &hits));
    }
}

/// The finding for one group of fatal alerts.
fn alert_finding(ctx: &Ctx<'_>, key: AlertKey, hits: &[(&TlsSession, &TlsAlert)]) -> Finding {
        let AlertKey {
            server: ip,
            port,
            cause,
            description: desc,
            by_server,
        } = key;
        let (s0, a0) = hits[0];
        let tgt = target(ctx, s0);
        let sender = if by_server {
            "the server"
        } else {
            "the client"
        };
        let first = hits.iter().map(|(_, a)| a.ts_ns).min().unwrap_or(0);
        let last = hits.iter().map(|(_, a)| a.ts_ns).max().unwrap_or(0);
        let ok = ctx
            .an
            .tls
            .iter()
            .filter(|s| {
                s.server == ip
                    && s.server_port == port
                    && s.alerts.iter().all(|a| a.level != alert::FATAL)
                    && s.client_encrypted > 1
            })
            .count();
        let mut expl = format!(
            "{} to {tgt} failed: {sender} sent a fatal {} alert after {} (the client offered {}).",
            plural(hits.len(), "TLS handshake"),
            alert_name(desc),
            a0.after,
            offered(s0)
        );
        expl.push_str(match cause {
            TLS_VERSION_MISMATCH => " The two sides share no protocol version: the server only speaks versions the client does not offer (or the reverse), e.g. a client limited to TLS 1.3 against a TLS 1.2 server, or a legacy TLS 1.0 client against a modern server.",
            TLS_HANDSHAKE_FAILURE => " The two sides could not agree on parameters: usually no cipher suite (or curve, or signature algorithm) in common.",
            TLS_CLIENT_CERT_REQUIRED => " The server requires a client certificate (mutual TLS) and the client sent none, or one it does not accept.",
            TLS_UNKNOWN_CA => " The client does not trust the CA that issued the server's certificate: a private CA missing from its trust store, or an incomplete chain.",
            TLS_CERT_EXPIRED => " The client judged the server's certificate expired (check the certificate dates and the client's clock).",
            _ => " The handshake was aborted by this alert.",
        });
        if let Some(advice) = advice(cause, by_server, s0) {
            expl.push(' ');
            expl.push_str(&advice);
        }
        let sm = matches!(cause, TLS_HANDSHAKE_FAILURE | TLS_VERSION_MISMATCH)
            && s0.offer.as_ref().is_some_and(sm_only);
        if sm {
            expl.push_str(SM_ONLY_WHY);
        }
        if ok > 0 {
            expl.push_str(&format!(
                " {} to the same server succeeded.",
                plural(ok, "other handshake")
            ));
        }
        let mut f = finding(cause, Layer::Security, if ok == 0 {
                Severity::Critical
            } else {
                Severity::High
            }, 0.95)
            .titled(format!("TLS to {tgt} fails: {sender} sends {}", alert_name(desc)), expl)
            .between(first, last);
        f.server = tls_server(ip, port, s0);
        f.clients = ip_list(hits.iter().map(|(s, _)| s.client));
        f.affected_flows = hits.len() as u64;
        add_alert_evidence(ctx, &mut f, cause, sender, hits);
        f.wireshark_filter = format!(
            "{}.addr == {ip} && tcp.port == {port} && tls.alert_message.desc == {desc}",
            ipf(ip)
        );
        f.remediation = alert_remediation(cause, sm, desc, first);
        f.group = Some(format!("tls {}", ep(ip, port)));
        f.weight = 80;
        // Whatever its cause, the evidence is the alert: how the failure showed.
        f.facts.symptom = true;
        f.facts.alert = Some(AlertFact {
            description: desc,
            by_server,
        });
        f
}

/// Each handshake's ClientHello and its alert, for the first four.
fn add_alert_evidence(
    ctx: &Ctx<'_>,
    f: &mut Finding,
    cause: Cause,
    sender: &str,
    hits: &[(&TlsSession, &TlsAlert)],
) {
        for (s, a) in hits.iter().take(4) {
            if let Some(fr) = s.client_hello_frame {
                f.evidence.push(ctx.ev(
                    s.capture,
                    fr,
                    s.first_ts_ns,
                    hello_note(s, cause),
                ));
            }
            f.evidence.push(ctx.ev(
                s.capture,
                a.frame,
                a.ts_ns,
                format!("fatal alert {} from {sender}", alert_name(a.description)),
            ));
        }
}

/// What a ClientHello offered; for a handshake failure, every extension by number (unknown
/// ones included) and the signature algorithms: what the server could not agree with.
fn hello_note(s: &TlsSession, cause: Cause) -> String {
                    match (&s.offer, cause) {
                        // What the server could not agree with: every extension, by number
                        // (unknown ones included), and the signature algorithms.
                        (Some(o), TLS_HANDSHAKE_FAILURE) if !o.extensions.is_empty() => {
                            let nums = |v: &[u16]| {
                                v.iter()
                                    .map(|x| format!("0x{x:04x}"))
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            };
                            format!(
                                "ClientHello: {}; extensions {}; signature algorithms {}",
                                offered(s),
                                nums(&o.extensions),
                                nums(&o.sig_algs)
                            )
                        }
                        _ => format!("ClientHello: {}", offered(s)),
                    }
}

/// What to do about a fatal alert (`sm` when the client speaks only SM suites).
fn alert_remediation(cause: Cause, sm: bool, desc: u8, first: i64) -> Vec<String> {
        match cause {
            _ if sm => vec![SM_ONLY_FIX.into()],
            TLS_VERSION_MISMATCH => vec!["Enable a common TLS version on both sides (TLS 1.2 at least); update the side stuck on the old one.".into()],
            TLS_HANDSHAKE_FAILURE => vec!["Compare the client's offered suites with the server's configured ones (openssl s_client -connect host:port -cipher ...), and enable a common modern suite.".into()],
            TLS_CLIENT_CERT_REQUIRED => vec!["Configure the client certificate and key the server expects, issued by a CA the server trusts.".into()],
            TLS_UNKNOWN_CA => vec!["Install the issuing CA in the client's trust store, or make the server send its full chain.".into()],
            TLS_CERT_EXPIRED => vec!["Renew the server certificate; check the client's clock.".into()],
            _ => vec![format!("Check the server and client TLS logs for {} at {}.", alert_name(desc), rfc3339(first))],
        }
}

fn negotiated(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Obsolete versions and weak suites per server, from what the server chose.
    let mut old: BTreeMap<(IpAddr, u16, u16), Vec<&TlsSession>> = BTreeMap::new();
    let mut weak: BTreeMap<(IpAddr, u16, u16), Vec<&TlsSession>> = BTreeMap::new();
    for s in &ctx.an.tls {
        match s.server_hello {
            Some((_, v, suite)) => {
                if matches!(v, 0x0002 | 0x0300 | 0x0301 | 0x0302) {
                    old.entry((s.server, s.server_port, v)).or_default().push(s);
                }
                if suite_weakness(suite).is_some() {
                    weak.entry((s.server, s.server_port, suite))
                        .or_default()
                        .push(s);
                }
            }
            None => {
                if s.offer.as_ref().is_some_and(|o| o.versions == [0x0002]) {
                    old.entry((s.server, s.server_port, 0x0002))
                        .or_default()
                        .push(s);
                }
            }
        }
    }
    for ((ip, port, v), ss) in old {
        out.push(obsolete_version(ctx, ip, port, v, &ss));
    }
    for ((ip, port, suite), ss) in weak {
        out.push(weak_cipher(ctx, ip, port, suite, &ss));
    }
}

/// `tls_obsolete_version`: the connections `ss` to one server that use version `v`.
fn obsolete_version(ctx: &Ctx<'_>, ip: IpAddr, port: u16, v: u16, ss: &[&TlsSession]) -> Finding {
    let tgt = target(ctx, ss[0]);
    let first = ss.iter().map(|s| s.first_ts_ns).min().unwrap_or(0);
    let last = ss.iter().map(|s| s.last_ts_ns).max().unwrap_or(0);
    let mut f = finding(TLS_OBSOLETE_VERSION, Layer::Security, if matches!(v, 0x0002 | 0x0300) {
            Severity::High
        } else {
            Severity::Medium
        }, 0.95)
        .titled(format!("{} negotiated with {tgt}", version_name(v)), format!(
            "{} with {tgt} use {}, a protocol version deprecated for known attacks (RFC 8996 \
             retires TLS 1.0 and 1.1; SSLv3 and SSLv2 are broken). Modern clients and \
             libraries refuse it, so this service fails as soon as they are updated.",
            plural(ss.len(), "connection"),
            version_name(v)
        ))
        .between(first, last);
    f.server = server(ip, Some(port));
    f.clients = ip_list(ss.iter().map(|s| s.client));
    f.affected_flows = ss.len() as u64;
    for s in ss.iter().take(4) {
        let fr = s
            .server_hello
            .map(|x| x.0)
            .or(s.client_hello_frame)
            .unwrap_or(s.first_frame);
        f.evidence.push(ctx.ev(
            s.capture,
            fr,
            s.first_ts_ns,
            format!("{} chosen", version_name(v)),
        ));
    }
    f.wireshark_filter = format!(
        "{}.addr == {ip} && tcp.port == {port} && tls.handshake.type == 2",
        ipf(ip)
    );
    f.remediation = vec![format!(
        "Enable TLS 1.2 and 1.3 on {tgt} and disable {}.",
        version_name(v)
    )];
    f.group = Some(format!("tls {} version", ep(ip, port)));
    f.weight = 50;
    f
}

/// `tls_weak_cipher`: the connections `ss` to one server that use a weak `suite`.
fn weak_cipher(ctx: &Ctx<'_>, ip: IpAddr, port: u16, suite: u16, ss: &[&TlsSession]) -> Finding {
    let tgt = target(ctx, ss[0]);
    let why = suite_weakness(suite).unwrap_or("weak");
    let first = ss.iter().map(|s| s.first_ts_ns).min().unwrap_or(0);
    let last = ss.iter().map(|s| s.last_ts_ns).max().unwrap_or(0);
    let mut f = finding(TLS_WEAK_CIPHER, Layer::Security, Severity::High, 0.95)
        .titled(format!(
            "Weak cipher suite {} negotiated with {tgt}",
            suite_name(suite)
        ), format!(
            "{} with {tgt} negotiated {} (0x{suite:04x}): {why}. Current clients refuse it and \
             the traffic is not properly protected.",
            plural(ss.len(), "connection"),
            suite_name(suite)
        ))
        .between(first, last);
    f.server = server(ip, Some(port));
    f.clients = ip_list(ss.iter().map(|s| s.client));
    f.affected_flows = ss.len() as u64;
    for s in ss.iter().take(4) {
        if let Some((fr, _, _)) = s.server_hello {
            f.evidence.push(ctx.ev(
                s.capture,
                fr,
                s.first_ts_ns,
                format!("ServerHello chooses {}", suite_name(suite)),
            ));
        }
    }
    f.wireshark_filter = format!("tls.handshake.ciphersuite == 0x{suite:04x}");
    f.remediation = vec![format!(
        "Remove {} from {tgt}'s cipher list; offer ECDHE with AES-GCM or ChaCha20-Poly1305.",
        suite_name(suite)
    )];
    f.group = Some(format!("tls {} cipher", ep(ip, port)));
    f.weight = 50;
    f
}

fn aborted(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let tun = Tunables::of(ctx);
    let mut groups: BTreeMap<(IpAddr, u16), Vec<&TlsSession>> = BTreeMap::new();
    for s in &ctx.an.tls {
        let tls13 = s
            .server_hello
            .is_some_and(|(_, v, _)| v == 0x0304 || v >> 8 == 0x7f);
        if tls13
            && s.server_encrypted >= 1
            && s.client_encrypted == 1
            && s.client_first_encrypted_len
                .is_some_and(|l| l <= tun.ABORT_MAX_LEN)
            && s.alerts.is_empty()
        {
            groups.entry((s.server, s.server_port)).or_default().push(s);
        }
    }
    for ((ip, port), ss) in groups {
        let tgt = target(ctx, ss[0]);
        let first = ss.iter().map(|s| s.first_ts_ns).min().unwrap_or(0);
        let last = ss.iter().map(|s| s.last_ts_ns).max().unwrap_or(0);
        let clients: BTreeSet<IpAddr> = ss.iter().map(|s| s.client).collect();
        let mut f = finding(TLS_HANDSHAKE_ABORTED, Layer::Security, Severity::High, 0.6)
            .titled(format!("TLS 1.3 handshakes with {tgt} are aborted by the client"), format!(
                "In {} with {tgt} the server sent its encrypted flight (certificate included) and \
                 the client answered with one short encrypted record, alert-sized, and no \
                 application data, then gave up. TLS 1.3 encrypts the certificate and the alert, \
                 so this is inferred from the shape: most likely the client rejected the server's \
                 certificate (untrusted CA, expired, wrong name). A TLS 1.2 capture or a key log \
                 (SSLKEYLOGFILE) would show the exact alert.",
                plural(ss.len(), "TLS 1.3 handshake")
            ))
            .between(first, last);
        f.server = server(ip, Some(port));
        f.clients = clients.iter().map(|c| c.to_string()).collect();
        f.affected_flows = ss.len() as u64;
        for s in ss.iter().take(4) {
            if let Some(fr) = s.client_first_encrypted_frame {
                f.evidence.push(ctx.ev(
                    s.capture,
                    fr,
                    s.last_ts_ns,
                    "the client's only encrypted record".to_string(),
                ));
            }
        }
        f.wireshark_filter = format!("{}.addr == {ip} && tcp.port == {port} && tls", ipf(ip));
        f.remediation = vec![
            format!(
                "Check the certificate {tgt} presents: openssl s_client -connect {}:{port} -servername <name>.",
                ip
            ),
            "Capture with SSLKEYLOGFILE set on the client, or force TLS 1.2, to see the alert."
                .into(),
        ];
        f.group = Some(format!("tls {}", ep(ip, port)));
        f.weight = 40;
        out.push(f);
    }
}

/// The server closed (FIN or RST) right after the ClientHello without a ServerHello or an
/// alert: it does not speak what the client offered (a TLCP-only client against a standard
/// server, a TLS 1.3-only hello to a stack that just drops it), or something on the path
/// filters the handshake (SNI-based blocking). Reported as `tls_handshake_failure`, with less
/// confidence than an alert that says so.
fn hung_up(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for ((ip, port, server_closed), ss) in hangups(ctx) {
        out.push(hangup_finding(ctx, ip, port, server_closed, &ss));
    }
}

/// A TCP connection's two ends, to find a session's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Ends {
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    server_port: u16,
}

/// Handshakes with a ClientHello and no answer at all, whose connection was closed without
/// any payload from the server, by (server, port, whether the server closed first).
fn hangups<'a>(ctx: &Ctx<'a>) -> BTreeMap<(IpAddr, u16, bool), Vec<&'a TlsSession>> {
    let an: &'a Analysis = ctx.an;
    let mut groups: BTreeMap<(IpAddr, u16, bool), Vec<&TlsSession>> = BTreeMap::new();
    let candidates: Vec<&TlsSession> = an
        .tls
        .iter()
        .filter(|s| s.offer.is_some() && s.server_hello.is_none() && s.alerts.is_empty())
        .collect();
    if candidates.is_empty() {
        return groups;
    }
    // The flow of each candidate: the server sent no payload at all and closed it.
    let key = |client, client_port, server, server_port| Ends {
        client,
        client_port,
        server,
        server_port,
    };
    let mut flows: BTreeMap<Ends, Vec<&Conn>> = BTreeMap::new();
    let wanted: BTreeSet<_> = candidates
        .iter()
        .map(|s| key(s.client, s.client_port, s.server, s.server_port))
        .collect();
    for f in &an.flows {
        let k = key(f.orig_ip, f.orig_port, f.resp_ip, f.resp_port);
        if wanted.contains(&k) {
            flows.entry(k).or_default().push(f);
        }
    }
    for s in candidates {
        let k = key(s.client, s.client_port, s.server, s.server_port);
        let Some(f) = flows.get(&k).and_then(|fs| {
            fs.iter().find(|f| {
                f.first_ts_ns <= s.first_ts_ns && f.last_ts_ns >= s.first_ts_ns && f.resp_bytes == 0
            })
        }) else {
            continue;
        };
        // Who closed first (history letters: lower case = the server).
        let h = f.history.as_str();
        let by_server = h.find(['f', 'r']);
        let by_client = h.find(['F', 'R']);
        let server_first = match (by_server, by_client) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            // Still open when the capture ends: nothing to conclude.
            (None, None) => continue,
        };
        groups
            .entry((s.server, s.server_port, server_first))
            .or_default()
            .push(s);
    }
    groups
}

/// The finding for the handshakes `ss` to one server that got no answer.
fn hangup_finding(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    port: u16,
    server_closed: bool,
    ss: &[&TlsSession],
) -> Finding {
    let s0 = ss[0];
    let tgt = target(ctx, s0);
    let sm = s0.offer.as_ref().is_some_and(sm_only);
    let first = ss.iter().map(|s| s.first_ts_ns).min().unwrap_or(0);
    let last = ss.iter().map(|s| s.last_ts_ns).max().unwrap_or(0);
    let mut expl = if server_closed {
        format!(
            "In {} to {tgt} the server closed the connection after the ClientHello, \
             without a ServerHello or an alert (the client offered {}). It does not speak \
             what the client offered, or something on the path filters the handshake (for \
             example by SNI).",
            plural(ss.len(), "TLS handshake"),
            offered(s0)
        )
    } else {
        let waited = ss
            .iter()
            .map(|s| s.last_ts_ns.saturating_sub(s.first_ts_ns))
            .max()
            .unwrap_or(0);
        format!(
            "In {} to {tgt} the server never answered the ClientHello (no ServerHello, no \
             alert; the client offered {}) and the client gave up after up to {}. The server \
             (or a proxy in front of it) accepts the connection but does not speak what the \
             client offered, is overloaded, or something on the path drops the handshake.",
            plural(ss.len(), "TLS handshake"),
            offered(s0),
            secs(waited)
        )
    };
    if sm {
        expl.push_str(SM_ONLY_WHY);
    }
    let mut f = finding(TLS_HANDSHAKE_FAILURE, Layer::Security, Severity::High, if sm { 0.8 } else { 0.6 })
        .titled(if server_closed {
            format!("{tgt} hangs up on the TLS ClientHello")
        } else {
            format!("{tgt} never answers the TLS ClientHello")
        }, expl)
        .between(first, last);
    f.server = tls_server(ip, port, s0);
    f.clients = ip_list(ss.iter().map(|s| s.client));
    f.affected_flows = ss.len() as u64;
    for s in ss.iter().take(4) {
        if let Some(fr) = s.client_hello_frame {
            f.evidence.push(ctx.ev(
                s.capture,
                fr,
                s.first_ts_ns,
                format!(
                    "ClientHello: {}; no answer, {} closed",
                    offered(s),
                    if server_closed {
                        "the server"
                    } else {
                        "the client"
                    }
                ),
            ));
        }
    }
    f.wireshark_filter = format!(
        "{}.addr == {ip} && tcp.port == {port} && (tls.handshake.type == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1)",
        ipf(ip)
    );
    f.remediation = if sm {
        vec![SM_ONLY_FIX.into()]
    } else {
        vec![
            format!("Check the server's TLS log for the reason, and test the same offer: openssl s_client -connect {ip}:{port} -servername <name>."),
            "Compare with a capture taken next to the server: if the server never saw the ClientHello, a middlebox dropped it.".into(),
        ]
    };
    f.group = Some(format!("tls {}", ep(ip, port)));
    f.weight = 60;
    f
}
