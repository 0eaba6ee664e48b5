//! Certificate root causes, judged at the time of the packet that carried the certificate
//! (a capture from last year gets last year's verdict), for chains sent in clear (TLS 1.2
//! and earlier).
//!
//! - `tls_cert_expired` / `tls_cert_not_yet_valid`: the leaf's validity at capture time, with
//!   the dates. Whether a certificate valid then is expired today is deliberately not said:
//!   it would make the report depend on the day it is run (reports are deterministic).
//! - `tls_ca_expired`: an intermediate or root in the presented chain expired at capture time.
//! - `tls_chain_incomplete`: the server sends a leaf whose issuer is neither sent nor a
//!   trust anchor: the intermediate is missing (named after the leaf's issuer).
//! - `tls_chain_broken`: the names line up but a signature does not verify with the key of
//!   the issuer the server sent (or the trust anchor of that name): a wrong or re-keyed
//!   intermediate.
//! - `tls_unknown_ca`: the chain is complete up to a root (sent or not) that is not a trust
//!   anchor (Mozilla's roots plus `--ca-bundle`).
//! - `tls_self_signed`: a lone self-issued leaf.
//! - `tls_hostname_mismatch`: the SNI the client asked for is not covered by the leaf's SAN
//!   dNSName / iPAddress entries (RFC 6125 wildcards; the CN only when there is no SAN).
//! - `tls_weak_key`: RSA keys under [`MIN_RSA_BITS`], EC keys under [`MIN_EC_BITS`], MD5 or
//!   SHA-1 signatures in the chain.

use std::rc::Rc;
use std::collections::BTreeMap;

use super::*;
use crate::decode::tls::alert;

use crate::decode::tls::{KeyExchange, group_bits, group_name};
use crate::event::TlsSession;
use crate::cert::{CertInfo, ChainEnd, hostname_matches, parse_cert};

/// The detector id, `area.name` (stable: it appears in the report).
pub const ID: &str = "tls.certificate";

/// `tls_cert_expired`: A certificate past its end date at capture time.
pub const TLS_CERT_EXPIRED: Cause = Cause::new("tls_cert_expired");
/// `tls_cert_not_yet_valid`: A certificate before its start date at capture time.
pub const TLS_CERT_NOT_YET_VALID: Cause = Cause::new("tls_cert_not_yet_valid");
/// `tls_ca_expired`: an expired CA certificate in the chain.
pub const TLS_CA_EXPIRED: Cause = Cause::new("tls_ca_expired");
/// `tls_self_signed`: A lone self-signed certificate.
pub const TLS_SELF_SIGNED: Cause = Cause::new("tls_self_signed");
/// `tls_chain_incomplete`: A chain missing the intermediate that issued the leaf.
pub const TLS_CHAIN_INCOMPLETE: Cause = Cause::new("tls_chain_incomplete");
/// `tls_chain_broken`: A chain whose signature does not verify with its issuer's key.
pub const TLS_CHAIN_BROKEN: Cause = Cause::new("tls_chain_broken");
/// `tls_unknown_ca`: A chain that ends at an untrusted CA.
pub const TLS_UNKNOWN_CA: Cause = Cause::new("tls_unknown_ca");
/// `tls_hostname_mismatch`: A certificate for another name than the one asked for.
pub const TLS_HOSTNAME_MISMATCH: Cause = Cause::new("tls_hostname_mismatch");
/// `tls_weak_key`: A weak key or signature in the chain, or a weak ephemeral key exchange.
pub const TLS_WEAK_KEY: Cause = Cause::new("tls_weak_key");
/// The causes this detector reports.
pub const CAUSES: &[Cause] = &[TLS_CERT_EXPIRED, TLS_CERT_NOT_YET_VALID, TLS_CA_EXPIRED, TLS_SELF_SIGNED, TLS_CHAIN_INCOMPLETE, TLS_CHAIN_BROKEN, TLS_UNKNOWN_CA, TLS_HOSTNAME_MISMATCH, TLS_WEAK_KEY];

tunables! {
    /// Smallest RSA key (and Diffie-Hellman group) not counted weak, in bits, default 2048 (NIST
    /// SP 800-131A; smaller groups fall to Logjam).
    #[unit = Bits]
    pub const MIN_RSA_BITS: u32 = 2048;
    /// Smallest elliptic-curve key (and ECDH curve) not counted weak, in bits, default 224 (NIST
    /// SP 800-131A).
    #[unit = Bits]
    pub const MIN_EC_BITS: u32 = 224;
}
/// Keys under the minimums count as weak from 2014 (NIST SP 800-131A), SHA-1 signatures from
/// 2017 (browsers distrust them): judged at capture time like everything else.
pub const WEAK_KEY_FROM: i64 = 1_388_534_400; // 2014-01-01
/// From when SHA-1 signatures count as weak, seconds since the epoch, default 2017-01-01 (when
/// browsers stopped trusting them).
pub const SHA1_WEAK_FROM: i64 = 1_483_228_800; // 2017-01-01

/// "SM2 256-bit key, SM3withSM2": what a certificate's key and signature are.
fn key_desc(c: &CertInfo) -> String {
    match c.key_bits {
        Some(b) => format!("{} {b}-bit key, {}", c.key_alg, c.sig_alg),
        None => format!("{} key, {}", c.key_alg, c.sig_alg),
    }
}

fn date(secs: i64) -> String {
    let s = rfc3339(secs.saturating_mul(1_000_000_000));
    s.get(..10).map(String::from).unwrap_or(s)
}

/// Whether the client went on to send application data (TLS 1.3: beyond its Finished) without
/// a fatal alert: it accepted the certificate.
fn accepted(s: &TlsSession) -> bool {
    let tls13 = s
        .server_hello
        .is_some_and(|(_, v, _)| v == 0x0304 || v >> 8 == 0x7f);
    let needed = if tls13 { 2 } else { 1 };
    s.client_app_records >= needed && s.alerts.iter().all(|a| a.level != alert::FATAL)
}

/// Whether a client's fatal alert can mean `cause`: the specific alert for it, or a generic
/// one (bad_certificate, certificate_unknown, unsupported_certificate, insufficient_security
/// for keys). A client that says unknown_ca did not reject the dates, and so on.
fn alert_fits(cause: Cause, desc: u8) -> bool {
    match desc {
        alert::BAD_CERTIFICATE | alert::UNSUPPORTED_CERTIFICATE | alert::CERTIFICATE_UNKNOWN => {
            true
        }
        alert::UNKNOWN_CA => matches!(
            cause,
            TLS_UNKNOWN_CA | TLS_CHAIN_INCOMPLETE | TLS_SELF_SIGNED
        ),
        alert::CERTIFICATE_EXPIRED => matches!(
            cause,
            TLS_CERT_EXPIRED | TLS_CA_EXPIRED | TLS_CERT_NOT_YET_VALID
        ),
        alert::DECRYPT_ERROR => cause == TLS_CHAIN_BROKEN,
        alert::INSUFFICIENT_SECURITY | alert::HANDSHAKE_FAILURE => cause == TLS_WEAK_KEY,
        _ => false,
    }
}

/// For `tls_weak_key`, what is weak: its severity and title depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weak {
    /// Not a weak-key hit.
    NotKey,
    /// The server's ephemeral DH group or ECDH curve (ServerKeyExchange).
    Ephemeral,
    /// The server's own certificate key.
    ServerKey,
    /// A CA's key, or a signature algorithm in the chain.
    Chain,
}

/// A handshake reported for one cause.
struct Hit<'a> {
    /// The handshake.
    session: &'a TlsSession,
    /// Its certificate chain, parsed (shared by the sessions that sent the same chain).
    chain: Rc<Vec<CertInfo>>,
    /// Why it is reported: a clause of the explanation.
    why: String,
    /// The frame, time and message (`Certificate`, `ServerKeyExchange`) shown as evidence.
    shown: Option<(u64, i64, &'static str)>,
    /// For `tls_weak_key`, what is weak.
    weak: Weak,
}

/// Hits by server address, port and cause.
type Groups<'a> = BTreeMap<(IpAddr, u16, Cause), Vec<Hit<'a>>>;

/// Runs the detector: judges each handshake's certificates, then explains each server's
/// problems, one finding per server, port and cause.
pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let tun = Tunables::of(ctx);
    collect(ctx, &tun)
        .into_iter()
        .map(|((ip, port, cause), hits)| explain(ctx, &tun, ip, port, cause, &hits))
        .collect()
}

/// Judges the certificates (and the ephemeral key exchange) of every handshake.
fn collect<'a>(ctx: &Ctx<'a>, tun: &Tunables) -> Groups<'a> {
    let an: &'a Analysis = ctx.an;
    let mut groups: Groups<'a> = BTreeMap::new();
    // Chain -> the chain parsed, and the verdict on its trust (which depends on the chain
    // alone: walking it to an anchor, signatures included, once per chain, not per session).
    type Judged = (Rc<Vec<CertInfo>>, Option<(Cause, String)>);
    let mut parsed: rustc_hash::FxHashMap<usize, Judged> = Default::default();
    // Handshakes that showed no certificate (TLS 1.3 encrypts it; resumptions send none):
    // most of them on a busy capture, each with a list of its own, none worth a map entry.
    let none: Judged = (Rc::new(Vec::new()), None);
    for s in &an.tls {
        // Sessions share their chain when it is the same (see FlowEvents): parse it once.
        let (chain, trusted) = if s.certs.is_empty() {
            none.clone()
        } else {
            parsed
                .entry(std::sync::Arc::as_ptr(&s.certs) as usize)
                .or_insert_with(|| {
                    let chain: Vec<CertInfo> =
                        s.certs.iter().filter_map(|d| parse_cert(d)).collect();
                    let trusted = trust(&chain, &an.trust);
                    (Rc::new(chain), trusted)
                })
                .clone()
        };
        let hit = |why: String, shown, weak| Hit {
            session: s,
            chain: chain.clone(),
            why,
            shown,
            weak,
        };
        if let Some((why, shown)) = weak_key_exchange(tun, s) {
            push(&mut groups, TLS_WEAK_KEY, hit(why, Some(shown), Weak::Ephemeral));
        }
        let Some(leaf) = chain.first() else { continue };
        let now = s.cert_ts_ns / 1_000_000_000;
        let shown = s.cert_frame.map(|f| (f, s.cert_ts_ns, "Certificate"));
        let mut verdicts = validity(&chain, now);
        verdicts.extend(trusted);
        if leaf.self_issued && chain.len() == 1 {
            let why = format!(
                "the server presents a self-signed certificate ({})",
                leaf.subject
            );
            verdicts.push((TLS_SELF_SIGNED, why));
        }
        verdicts.extend(hostname(s, leaf));
        for (cause, why) in verdicts {
            push(&mut groups, cause, hit(why, shown, Weak::NotKey));
        }
        if let Some((why, weak)) = weak_chain(tun, &chain, now) {
            push(&mut groups, TLS_WEAK_KEY, hit(why, shown, weak));
        }
    }
    groups
}

/// Files a hit for `cause` under its server.
fn push<'a>(groups: &mut Groups<'a>, cause: Cause, hit: Hit<'a>) {
    let s = hit.session;
    groups
        .entry((s.server, s.server_port, cause))
        .or_default()
        .push(hit);
}

/// The server's ephemeral key exchange (ServerKeyExchange), judged like its key: why it is
/// weak and the frame that shows it.
fn weak_key_exchange(
    tun: &Tunables,
    s: &TlsSession,
) -> Option<(String, (u64, i64, &'static str))> {
    let (frame, ts, kx) = s.key_exchange?;
    if s.first_ts_ns / 1_000_000_000 < WEAK_KEY_FROM {
        return None;
    }
    let why = match kx {
        KeyExchange::Dh { prime_bits } if prime_bits < tun.MIN_RSA_BITS => Some(format!(
            "the server's ephemeral Diffie-Hellman group is only {prime_bits} bits (Logjam; at least {} needed)",
            tun.MIN_RSA_BITS
        )),
        KeyExchange::Ecdh { group } => group_bits(group).filter(|&b| b < tun.MIN_EC_BITS).map(|b| {
            format!(
                "the server's ephemeral ECDH curve {} is only {b} bits",
                group_name(group)
            )
        }),
        _ => None,
    }?;
    Some((why, (frame, ts, "ServerKeyExchange")))
}

/// The dates of the chain at `now` (seconds): the leaf, TLCP's encryption certificate and
/// the CAs.
fn validity(chain: &[CertInfo], now: i64) -> Vec<(Cause, String)> {
    let mut out = Vec::new();
    let Some(leaf) = chain.first() else {
        return out;
    };
    if now > leaf.not_after {
        out.push((
            TLS_CERT_EXPIRED,
            format!(
                "the certificate for {} ({}) expired on {} and the handshake took place on {}",
                leaf.subject,
                key_desc(leaf),
                date(leaf.not_after),
                date(now)
            ),
        ));
    } else if now < leaf.not_before {
        out.push((
            TLS_CERT_NOT_YET_VALID,
            format!(
                "the certificate for {} is valid only from {} and the handshake took place on {}",
                leaf.subject,
                date(leaf.not_before),
                date(now)
            ),
        ));
    }
    // CAs of the chain: certificates that issued another one sent, or roots. (TLCP's
    // second certificate is the server's encryption certificate, not a CA.)
    let is_ca = |c: &CertInfo| {
        c.self_issued
            || chain
                .iter()
                .any(|o| !std::ptr::eq(o, c) && o.issuer == c.subject)
    };
    if chain.len() > 1 && chain[1].subject == leaf.subject && !is_ca(&chain[1]) {
        // TLCP: the encryption certificate is judged like the signing one.
        let enc = &chain[1];
        if now > enc.not_after && now <= leaf.not_after {
            out.push((
                TLS_CERT_EXPIRED,
                format!(
                    "the encryption certificate for {} ({}) expired on {} and the handshake took place on {}",
                    enc.subject,
                    key_desc(enc),
                    date(enc.not_after),
                    date(now)
                ),
            ));
        }
    }
    if let Some(ca) = chain
        .iter()
        .skip(1)
        .filter(|c| is_ca(c))
        .find(|ca| now > ca.not_after)
    {
        out.push((
            TLS_CA_EXPIRED,
            format!(
                "the CA certificate {} in the chain expired on {}",
                ca.subject,
                date(ca.not_after)
            ),
        ));
    }
    out
}

/// The chain linked by names to a trust anchor (Mozilla's roots and --ca-bundle): a missing
/// intermediate, an untrusted CA, or a signature that does not verify.
fn trust(chain: &[CertInfo], anchors: &crate::cert::TrustStore) -> Option<(Cause, String)> {
    let leaf = chain.first()?;
    match crate::cert::walk_chain(chain, anchors)? {
        ChainEnd::MissingIssuer { depth: 0, issuer } if !leaf.self_issued => {
            let why = if chain.len() > 1 {
                format!(
                    "the server sends its own certificate ({}) and {} others, but not the intermediate that issued it ({issuer})",
                    leaf.subject,
                    chain.len() - 1
                )
            } else {
                format!(
                    "the server sends only its own certificate ({}), not the intermediate that issued it ({issuer})",
                    leaf.subject
                )
            };
            Some((TLS_CHAIN_INCOMPLETE, why))
        }
        ChainEnd::MissingIssuer { depth, issuer } if depth > 0 => Some((
            TLS_UNKNOWN_CA,
            format!(
                "the chain ends at {}, issued by {issuer}, which is not a trusted CA (a private CA can be added with --ca-bundle)",
                chain.get(depth).map_or("", |c| c.subject.as_str())
            ),
        )),
        ChainEnd::UntrustedRoot(root) if chain.len() > 1 => Some((
            TLS_UNKNOWN_CA,
            format!(
                "the chain ends at the root {root}, which is not a trusted CA (a private CA can be added with --ca-bundle)"
            ),
        )),
        ChainEnd::BadSignature {
            subject,
            issuer,
            key_id_differs,
            ..
        } => {
            let ids = if key_id_differs {
                "; the key identifiers differ too, so the issuer certificate is another key under the same name (a re-keyed or wrong intermediate)"
            } else {
                ""
            };
            Some((
                TLS_CHAIN_BROKEN,
                format!(
                    "the signature on {subject} does not verify with the key of {issuer}, although the names line up{ids}"
                ),
            ))
        }
        _ => None,
    }
}

/// Whether the leaf covers the name the client asked for (SNI).
fn hostname(s: &TlsSession, leaf: &CertInfo) -> Option<(Cause, String)> {
    let sni = s.offer.as_ref().and_then(|o| o.sni.as_deref())?;
    if hostname_matches(sni, leaf) {
        return None;
    }
    let names = if leaf.dns_names.is_empty() {
        leaf.common_name.clone().unwrap_or_default()
    } else {
        leaf.dns_names.join(", ")
    };
    Some((
        TLS_HOSTNAME_MISMATCH,
        format!("the client asked for {sni} but the certificate is for {names}"),
    ))
}

/// The first weak key or signature of the chain at `now` (seconds), and whether it is the
/// server's own key (the kind decides the severity).
fn weak_chain(tun: &Tunables, chain: &[CertInfo], now: i64) -> Option<(String, Weak)> {
    for (i, c) in chain.iter().enumerate() {
        let weak_key = now >= WEAK_KEY_FROM
            && match (c.key_alg.as_str(), c.key_bits) {
                ("RSA", Some(b)) => b < tun.MIN_RSA_BITS,
                ("EC", Some(b)) => b < tun.MIN_EC_BITS,
                _ => false,
            };
        // A root's signature on itself does not matter; MD5 always, SHA-1 from 2017.
        let weak_sig = !c.self_issued
            && (c.sig_alg.contains("md5") || (now >= SHA1_WEAK_FROM && c.weak_signature()));
        if !(weak_key || weak_sig) {
            continue;
        }
        let what = if weak_key {
            format!(
                "{} {} has a {}-bit {} key",
                if i == 0 {
                    "the server's own certificate"
                } else {
                    "the CA certificate"
                },
                c.subject,
                c.key_bits.unwrap_or(0),
                c.key_alg
            )
        } else {
            format!("{} is signed with {}", c.subject, c.sig_alg)
        };
        let weak = if weak_key && i == 0 {
            Weak::ServerKey
        } else {
            Weak::Chain
        };
        return Some((what, weak));
    }
    None
}

/// How the clients of some hits took the certificate: how many refused it, how many carried
/// on, and whether any client anywhere accepted the very same chain from this server.
struct Reception {
    rejected: usize,
    accepted: usize,
    same_chain_accepted: bool,
}

fn reception(ctx: &Ctx<'_>, ip: IpAddr, port: u16, cause: Cause, hits: &[Hit<'_>]) -> Reception {
    let s0 = hits[0].session;
    let rejected = hits
        .iter()
        .filter(|h| {
            // The client refused: its own fatal alert (one that can mean this cause), or
            // it went silent without the server having aborted first (a server's alert is
            // a different failure).
            let s = h.session;
            let server_aborted = s.alerts.iter().any(|a| a.level == alert::FATAL && a.by_server);
            s.alerts
                .iter()
                .any(|a| a.level == alert::FATAL && !a.by_server && alert_fits(cause, a.description))
                || (s.client_encrypted == 0 && !server_aborted && s.alerts.is_empty())
        })
        .count();
    // Another client accepted the very same chain from this server: it trusts this CA,
    // so an untrusted-CA verdict is only our trust store's view.
    let same_chain_accepted = ctx.an.tls.iter().any(|o| {
        o.server == ip && o.server_port == port && o.certs == s0.certs && accepted(o)
    });
    // The client went on to exchange encrypted data: it did not (or could not) validate.
    let accepted = hits.iter().filter(|h| accepted(h.session)).count();
    Reception {
        rejected,
        accepted,
        same_chain_accepted,
    }
}

fn severity(cause: Cause, r: &Reception, hits: &[Hit<'_>]) -> Severity {
    match cause {
        TLS_UNKNOWN_CA | TLS_CHAIN_INCOMPLETE if r.same_chain_accepted => Severity::Low,
        _ if r.rejected > 0 => Severity::Critical,
        // A weak ephemeral DH group or a short leaf key: updated clients refuse it.
        TLS_WEAK_KEY
            if hits
                .iter()
                .any(|h| matches!(h.weak, Weak::Ephemeral | Weak::ServerKey)) =>
        {
            Severity::Medium
        }
        TLS_WEAK_KEY => Severity::Low,
        _ if r.accepted == hits.len() => Severity::Low,
        // Only our trust store's view: no client here objected to this CA.
        TLS_UNKNOWN_CA | TLS_CHAIN_INCOMPLETE => Severity::Low,
        _ => Severity::High,
    }
}

fn explanation(cause: Cause, tgt: &str, r: &Reception, hits: &[Hit<'_>]) -> String {
    let h0 = &hits[0];
    let no_cert = CertInfo::default();
    let leaf = h0.chain.first().unwrap_or(&no_cert);
    let mut expl = format!(
        "In {} with {tgt}, {}.",
        plural(hits.len(), "TLS handshake"),
        h0.why
    );
    if let Some((_, 0x0101, suite)) = h0.session.server_hello {
        expl.push_str(&format!(
            " The handshake is TLCP (GM/T 0024) with {}: the server sends a signing and an encryption certificate ({}).",
            crate::decode::tls::suite_name(suite),
            key_desc(leaf)
        ));
    }
    if r.rejected > 0 {
        expl.push_str(&format!(
            " The client gave up in {} of them (an alert or no encrypted traffic).",
            r.rejected
        ));
    } else if r.accepted == hits.len() {
        expl.push_str(if cause == TLS_WEAK_KEY {
            " This client accepted it and carried on (it allows such keys), so it is not what broke this connection, but clients with current security levels refuse it."
        } else {
            " This client accepted it and carried on (it does not validate the certificate), so it is not what broke this connection, but validating clients will refuse it."
        });
    }
    expl.push_str(match cause {
        TLS_CERT_EXPIRED => " Clients that check dates refuse the connection: renew the certificate.",
        TLS_CERT_NOT_YET_VALID => " The certificate starts in the future for this client: a wrong clock on the client (or a certificate issued with a future date).",
        TLS_CA_EXPIRED => " An expired CA in the chain breaks validation even when the leaf is current: replace the intermediate the server sends.",
        TLS_SELF_SIGNED => " No client trusts it unless it is installed explicitly: use a certificate from a CA the clients trust.",
        TLS_CHAIN_INCOMPLETE => " Clients that do not already hold that intermediate cannot build a path to a trusted root and refuse (often reported as unknown_ca): configure the server to send the full chain.",
        TLS_HOSTNAME_MISMATCH => " The client refuses a certificate for another name: the server (or a proxy, or a block page) presents the wrong certificate, or the client uses the wrong host name.",
        TLS_CHAIN_BROKEN => " Validating clients refuse a chain whose signatures do not verify (OpenSSL: \"certificate signature failure\"): the server sends an intermediate that did not sign its certificate, usually an older or re-keyed CA certificate with the same name. Install the intermediate the CA issued together with this certificate.",
        TLS_UNKNOWN_CA => " Clients without that CA in their trust store refuse the connection: use a publicly trusted certificate, or install the private CA on the clients (and pass it to pcap-rca with --ca-bundle).",
        _ => " Current clients reject such keys and signatures.",
    });
    expl
}

fn title(cause: Cause, tgt: &str, leaf: &CertInfo, hits: &[Hit<'_>]) -> String {
    match cause {
        TLS_CERT_EXPIRED => format!(
            "Expired certificate on {tgt} (ended {})",
            date(leaf.not_after)
        ),
        TLS_CERT_NOT_YET_VALID => format!(
            "Certificate on {tgt} not yet valid (starts {})",
            date(leaf.not_before)
        ),
        TLS_CA_EXPIRED => format!("Expired CA certificate in the chain of {tgt}"),
        TLS_SELF_SIGNED => format!("Self-signed certificate on {tgt}"),
        TLS_CHAIN_INCOMPLETE => format!(
            "{tgt} sends an incomplete certificate chain (missing {})",
            leaf.issuer
        ),
        TLS_UNKNOWN_CA => format!("{tgt} presents a certificate from an untrusted CA"),
        TLS_CHAIN_BROKEN => {
            format!("Broken certificate chain on {tgt}: a signature does not verify")
        }
        TLS_HOSTNAME_MISMATCH => format!("Certificate on {tgt} does not match the requested name"),
        _ if hits.iter().all(|h| h.weak == Weak::Ephemeral) => {
            format!("Weak ephemeral key exchange on {tgt}")
        }
        _ => format!("Weak key or signature in the certificate chain of {tgt}"),
    }
}

/// The finding for one server, port and cause.
fn explain(
    ctx: &Ctx<'_>,
    tun: &Tunables,
    ip: IpAddr,
    port: u16,
    cause: Cause,
    hits: &[Hit<'_>],
) -> Finding {
    let s0 = hits[0].session;
    let no_cert = CertInfo::default();
    let leaf = hits[0].chain.first().unwrap_or(&no_cert);
    let tgt = match s0.offer.as_ref().and_then(|o| o.sni.clone()) {
        Some(n) => format!("{n} ({})", ep(ip, port)),
        None => ctx.label(ip, port),
    };
    let r = reception(ctx, ip, port, cause, hits);
    let first = hits.iter().map(|h| h.session.first_ts_ns).min().unwrap_or(0);
    let last = hits.iter().map(|h| h.session.last_ts_ns).max().unwrap_or(0);
    let mut f = finding(cause, Layer::Security, severity(cause, &r, hits), 0.95)
        .titled(
            title(cause, &tgt, leaf, hits),
            explanation(cause, &tgt, &r, hits),
        )
        .between(first, last);
    f.server = tls_server(ip, port, s0);
    f.clients = ip_list(hits.iter().map(|h| h.session.client));
    f.affected_flows = hits.len() as u64;
    for h in hits.iter().take(4) {
        if let Some((fr, ts, what)) = h.shown {
            f.evidence.push(ctx.ev(
                h.session.capture,
                fr,
                ts,
                format!("{what}: {}", h.why),
            ));
        }
    }
    let kx = hits
        .iter()
        .any(|h| h.shown.is_some_and(|(_, _, w)| w == "ServerKeyExchange"));
    f.wireshark_filter = format!(
        "{}.src == {ip} && tcp.srcport == {port} && tls.handshake.type {}",
        ipf(ip),
        if kx { "in {11 12}" } else { "== 11" }
    );
    f.remediation = vec![format!(
        "Inspect the chain {tgt} sends: openssl s_client -connect {ip}:{port} -showcerts."
    )];
    if kx {
        // The smallest RFC 7919 group of at least the minimum.
        let bits = tun.MIN_RSA_BITS;
        let group = [2048, 3072, 4096, 6144, 8192]
            .into_iter()
            .find(|g| *g >= bits)
            .unwrap_or(8192);
        f.remediation.insert(0, format!("Configure Diffie-Hellman parameters of at least {bits} bits (RFC 7919 ffdhe{group} or larger), or prefer ECDHE suites on P-256/X25519."));
    }
    f.group = Some(format!("tls {}", ep(ip, port)));
    f.weight = if cause == TLS_WEAK_KEY { 30 } else { 90 };
    f
}
