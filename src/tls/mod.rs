//! Certificates as the server presented them, read with x509-cert: names, validity dates,
//! key size, signature algorithm, and host-name matching (RFC 6125). x509-cert types do not
//! leave this module.
//!
//! [`TrustStore`] holds Mozilla's roots (embedded from `webpki-root-certs`) plus extra CA
//! bundles (`--ca-bundle`, PEM read with rustls-pki-types); [`walk_chain`] links a presented
//! chain by issuer and subject names up to a trust anchor. Signatures are not verified yet.

use std::net::IpAddr;

use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// What pcap-rca uses of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Validity, seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub dns_names: Vec<String>,
    pub ip_addrs: Vec<IpAddr>,
    pub common_name: Option<String>,
    /// Issuer and subject are the same name.
    pub self_issued: bool,
    /// "RSA", "EC", "Ed25519", "SM2" or the OID.
    pub key_alg: String,
    pub key_bits: Option<u32>,
    /// Signature algorithm name ("sha256WithRSAEncryption", ...) or OID.
    pub sig_alg: String,
}

impl CertInfo {
    /// Whether the signature uses MD5 or SHA-1.
    pub fn weak_signature(&self) -> bool {
        self.sig_alg.contains("md5")
            || self.sig_alg.contains("sha1")
            || self.sig_alg.contains("SHA1")
    }
}

fn oid_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-sha1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "1.3.101.112" => "Ed25519",
        "1.2.156.10197.1.501" => "SM3withSM2",
        other => return other.to_string(),
    }
    .to_string()
}

/// Bits of an RSA modulus from the DER of an RSAPublicKey (SEQUENCE { INTEGER n, ... }).
fn rsa_bits(der: &[u8]) -> Option<u32> {
    // SEQUENCE header, then INTEGER header.
    let mut i = 0;
    let read_len = |b: &[u8], i: &mut usize| -> Option<usize> {
        let first = *b.get(*i)?;
        *i += 1;
        if first < 0x80 {
            return Some(first as usize);
        }
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | *b.get(*i)? as usize;
            *i += 1;
        }
        Some(len)
    };
    if *der.get(i)? != 0x30 {
        return None;
    }
    i += 1;
    read_len(der, &mut i)?;
    if *der.get(i)? != 0x02 {
        return None;
    }
    i += 1;
    let len = read_len(der, &mut i)?;
    let n = der.get(i..i + len)?;
    let n = match n.iter().position(|&b| b != 0) {
        Some(p) => &n[p..],
        None => return Some(0),
    };
    Some((n.len() as u32 - 1) * 8 + (8 - n[0].leading_zeros()))
}

/// Reads a DER certificate; `None` when it is not one.
pub fn parse_cert(der: &[u8]) -> Option<CertInfo> {
    let cert = Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let subject = tbs.subject.to_string();
    let issuer = tbs.issuer.to_string();
    let mut dns_names = Vec::new();
    let mut ip_addrs = Vec::new();
    if let Some(exts) = &tbs.extensions {
        for e in exts {
            if e.extn_id.to_string() == "2.5.29.17" {
                if let Ok(san) = SubjectAltName::from_der(e.extn_value.as_bytes()) {
                    for n in san.0 {
                        match n {
                            GeneralName::DnsName(d) => {
                                dns_names.push(d.as_str().to_ascii_lowercase())
                            }
                            GeneralName::IpAddress(o) => {
                                let b = o.as_bytes();
                                if let Ok(a) = <[u8; 4]>::try_from(b) {
                                    ip_addrs.push(IpAddr::from(a));
                                } else if let Ok(a) = <[u8; 16]>::try_from(b) {
                                    ip_addrs.push(IpAddr::from(a));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let common_name = subject
        .split(',')
        .find_map(|p| p.trim().strip_prefix("CN="))
        .map(|s| s.to_ascii_lowercase());
    let spki = &tbs.subject_public_key_info;
    let key_oid = spki.algorithm.oid.to_string();
    let (key_alg, key_bits) = match key_oid.as_str() {
        "1.2.840.113549.1.1.1" => (
            "RSA".to_string(),
            spki.subject_public_key.as_bytes().and_then(rsa_bits),
        ),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
                .unwrap_or_default();
            let bits = if curve.ends_with("2a8648ce3d030107") {
                Some(256)
            } else if curve.ends_with("2b81040022") {
                Some(384)
            } else if curve.ends_with("2b81040023") {
                Some(521)
            } else if curve.ends_with("2a811ccf5501822d") {
                Some(256) // SM2
            } else {
                None
            };
            ("EC".to_string(), bits)
        }
        "1.3.101.112" => ("Ed25519".to_string(), Some(256)),
        "1.2.156.10197.1.301" => ("SM2".to_string(), Some(256)),
        other => (other.to_string(), None),
    };
    Some(CertInfo {
        self_issued: tbs.issuer == tbs.subject,
        subject,
        issuer,
        not_before: tbs.validity.not_before.to_unix_duration().as_secs() as i64,
        not_after: tbs.validity.not_after.to_unix_duration().as_secs() as i64,
        dns_names,
        ip_addrs,
        common_name,
        key_alg,
        key_bits,
        sig_alg: oid_name(&cert.signature_algorithm.oid.to_string()),
    })
}

/// Whether `host` is covered by the certificate (RFC 6125): SAN dNSName entries, a wildcard
/// only as the whole left-most label and matching exactly one label; SAN iPAddress for
/// addresses; the CN only when there is no SAN dNSName.
pub fn hostname_matches(host: &str, c: &CertInfo) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return c.ip_addrs.contains(&ip);
    }
    let names: Vec<&str> = if c.dns_names.is_empty() {
        c.common_name.iter().map(String::as_str).collect()
    } else {
        c.dns_names.iter().map(String::as_str).collect()
    };
    names.iter().any(|pattern| {
        let pattern = pattern.trim_end_matches('.');
        match pattern.strip_prefix("*.") {
            Some(suffix) => host.split_once('.').is_some_and(|(first, rest)| {
                !first.is_empty() && rest == suffix && suffix.contains('.')
            }),
            None => pattern == host,
        }
    })
}

/// Trust anchors: their subjects (RFC 4514 strings, as [`CertInfo::subject`]).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    subjects: std::collections::BTreeSet<String>,
}

/// Why a CA bundle could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}: cannot read: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: holds no PEM certificate")]
    Empty(String),
}

impl TrustStore {
    /// Mozilla's roots, as shipped by webpki-root-certs.
    pub fn mozilla() -> TrustStore {
        let mut t = TrustStore::default();
        for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            if let Some(c) = parse_cert(der.as_ref()) {
                t.subjects.insert(c.subject);
            }
        }
        t
    }

    /// Adds every certificate of a PEM bundle as a trust anchor.
    pub fn add_pem(&mut self, name: &str, pem: &[u8]) -> Result<usize, BundleError> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut n = 0;
        for der in CertificateDer::pem_slice_iter(pem).flatten() {
            if let Some(c) = parse_cert(der.as_ref()) {
                self.subjects.insert(c.subject);
                n += 1;
            }
        }
        if n == 0 {
            return Err(BundleError::Empty(name.to_string()));
        }
        Ok(n)
    }

    /// Adds a PEM bundle file.
    pub fn add_pem_file(&mut self, path: &std::path::Path) -> Result<usize, BundleError> {
        let name = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| BundleError::Io(name.clone(), e))?;
        self.add_pem(&name, &pem)
    }

    pub fn trusts(&self, subject: &str) -> bool {
        self.subjects.contains(subject)
    }

    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }
}

/// Where a presented chain leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEnd {
    /// It reaches a trust anchor (through the certificates presented).
    Trusted,
    /// It ends at a self-issued root that is not a trust anchor.
    UntrustedRoot(String),
    /// It stops at a certificate whose issuer was not sent and is not a trust anchor.
    MissingIssuer(String),
}

/// Follows issuer names from the leaf through the presented certificates (in any order) to a
/// trust anchor, an untrusted root, or a missing issuer.
pub fn walk_chain(chain: &[CertInfo], store: &TrustStore) -> Option<ChainEnd> {
    let mut cur = chain.first()?;
    for _ in 0..chain.len() + 1 {
        if store.trusts(&cur.issuer) || store.trusts(&cur.subject) && cur.self_issued {
            return Some(ChainEnd::Trusted);
        }
        if cur.self_issued {
            return Some(ChainEnd::UntrustedRoot(cur.subject.clone()));
        }
        match chain
            .iter()
            .find(|c| c.subject == cur.issuer && !std::ptr::eq(*c, cur))
        {
            Some(next) => cur = next,
            None => return Some(ChainEnd::MissingIssuer(cur.issuer.clone())),
        }
    }
    Some(ChainEnd::MissingIssuer(cur.issuer.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(dns: &[&str], cn: Option<&str>) -> CertInfo {
        CertInfo {
            subject: String::new(),
            issuer: String::new(),
            not_before: 0,
            not_after: 0,
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addrs: vec!["10.0.0.5".parse().unwrap()],
            common_name: cn.map(String::from),
            self_issued: false,
            key_alg: "RSA".into(),
            key_bits: Some(2048),
            sig_alg: String::new(),
        }
    }

    #[test]
    fn rfc6125_wildcards_and_cn_fallback() {
        let c = info(&["*.example.com", "fpdk.example"], Some("ignored.example"));
        assert!(hostname_matches("www.example.com", &c));
        assert!(hostname_matches("FPDK.example.", &c));
        assert!(!hostname_matches("a.b.example.com", &c), "one label only");
        assert!(!hostname_matches("example.com", &c));
        assert!(
            !hostname_matches("ignored.example", &c),
            "CN ignored when SANs exist"
        );
        assert!(hostname_matches("10.0.0.5", &c));
        let cn_only = info(&[], Some("fpdk.example"));
        assert!(hostname_matches("fpdk.example", &cn_only));
        assert!(
            !hostname_matches("x.com", &info(&["*.com"], None)),
            "no wildcard over a TLD"
        );
    }

    #[test]
    fn rsa_modulus_bits() {
        // SEQUENCE { INTEGER 0x00 0x80 ..(128 bytes) , INTEGER 3 }
        let mut n = vec![0x00, 0x80];
        n.extend(std::iter::repeat_n(0x11, 127));
        let mut der = vec![0x30, 0x81, 0x88, 0x02, 0x81, 0x81];
        der.extend_from_slice(&n);
        der.extend_from_slice(&[0x02, 0x01, 0x03]);
        assert_eq!(rsa_bits(&der), Some(1024));
        assert_eq!(rsa_bits(&[0x30]), None);
    }

    fn named(subject: &str, issuer: &str) -> CertInfo {
        let mut c = info(&[], None);
        c.subject = subject.into();
        c.issuer = issuer.into();
        c.self_issued = subject == issuer;
        c
    }

    #[test]
    fn chains_link_by_names_to_an_anchor_a_root_or_a_gap() {
        let mut store = TrustStore::default();
        store.subjects.insert("CN=Root".into());
        let leaf = named("CN=leaf", "CN=Inter");
        let inter = named("CN=Inter", "CN=Root");
        assert_eq!(
            walk_chain(&[leaf.clone(), inter.clone()], &store),
            Some(ChainEnd::Trusted)
        );
        assert_eq!(
            walk_chain(std::slice::from_ref(&leaf), &store),
            Some(ChainEnd::MissingIssuer("CN=Inter".into()))
        );
        let other = TrustStore::default();
        let root = named("CN=Root", "CN=Root");
        assert_eq!(
            walk_chain(&[leaf, inter, root], &other),
            Some(ChainEnd::UntrustedRoot("CN=Root".into()))
        );
    }

    #[test]
    fn mozilla_roots_are_embedded_and_bundles_checked() {
        let m = TrustStore::mozilla();
        assert!(m.len() > 100, "{}", m.len());
        let mut t = TrustStore::default();
        assert!(matches!(
            t.add_pem("x.pem", b"no certificate here"),
            Err(BundleError::Empty(_))
        ));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_cert(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
        assert!(parse_cert(&[]).is_none());
    }
}
