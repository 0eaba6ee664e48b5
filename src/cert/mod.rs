//! Certificates as the server presented them, read with x509-cert: names, validity dates,
//! key size, signature algorithm, and host-name matching (RFC 6125). x509-cert types do not
//! leave this module.
//!
//! [`TrustStore`] holds Mozilla's roots (embedded from `webpki-root-certs`) plus extra CA
//! bundles (`--ca-bundle`, PEM read with rustls-pki-types); [`walk_chain`] links a presented
//! chain by issuer and subject names (and key identifiers) up to a trust anchor, verifying each
//! signature with ring where the algorithm is supported (RSA PKCS#1 v1.5 and PSS, ECDSA P-256
//! and P-384, Ed25519), so a chain whose names line up but whose signature does not verify is
//! reported as broken.

use std::net::IpAddr;

use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectAltName, SubjectKeyIdentifier};

/// What pcap-rca uses of a certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// EC curve of the key ("P-256", "P-384", "P-521", "SM2"), when it is an EC key.
    pub curve: Option<&'static str>,
    /// The subjectPublicKey bits: an RSAPublicKey, an EC point, an Ed25519 key.
    pub public_key: Vec<u8>,
    /// Subject and authority key identifiers, when the extensions are present.
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// What the issuer signed (the DER of tbsCertificate as sent), the signature algorithm's
    /// OID and DER parameters, and the signature.
    pub tbs: Vec<u8>,
    pub sig_oid: String,
    pub sig_params: Vec<u8>,
    pub signature: Vec<u8>,
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

/// The DER TLV at `b[i..]`: (offset of its contents, length of its contents). Definite
/// lengths of up to four bytes only; `None` when it does not fit in `b`.
fn der_tlv(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    i += 1; // tag
    let first = *b.get(i)?;
    i += 1;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | *b.get(i)? as usize;
            i += 1;
        }
        len
    };
    (i.checked_add(len)? <= b.len()).then_some((i, len))
}

/// Bits of an RSA modulus from the DER of an RSAPublicKey (SEQUENCE { INTEGER n, ... }).
fn rsa_bits(der: &[u8]) -> Option<u32> {
    if *der.first()? != 0x30 {
        return None;
    }
    let (i, _) = der_tlv(der, 0)?;
    if *der.get(i)? != 0x02 {
        return None;
    }
    let (start, len) = der_tlv(der, i)?;
    let n = &der[start..start + len];
    let n = match n.iter().position(|&b| b != 0) {
        Some(p) => &n[p..],
        None => return Some(0),
    };
    Some((n.len() as u32 - 1) * 8 + (8 - n[0].leading_zeros()))
}

/// The DER of tbsCertificate exactly as sent: the first element of the outer SEQUENCE.
fn tbs_bytes(der: &[u8]) -> Option<&[u8]> {
    let (inner, _) = der_tlv(der, 0)?;
    let (start, len) = der_tlv(der, inner)?;
    der.get(inner..start + len)
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
    let mut subject_key_id = None;
    let mut authority_key_id = None;
    if let Some(exts) = &tbs.extensions {
        for e in exts {
            match e.extn_id.to_string().as_str() {
                "2.5.29.14" => {
                    subject_key_id = SubjectKeyIdentifier::from_der(e.extn_value.as_bytes())
                        .ok()
                        .map(|k| k.0.as_bytes().to_vec())
                }
                "2.5.29.35" => {
                    authority_key_id = AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes())
                        .ok()
                        .and_then(|k| k.key_identifier)
                        .map(|k| k.as_bytes().to_vec())
                }
                _ => {}
            }
        }
    }
    let spki = &tbs.subject_public_key_info;
    let mut curve = None;
    let key_oid = spki.algorithm.oid.to_string();
    let (key_alg, key_bits) = match key_oid.as_str() {
        "1.2.840.113549.1.1.1" => (
            "RSA".to_string(),
            spki.subject_public_key.as_bytes().and_then(rsa_bits),
        ),
        "1.2.840.10045.2.1" => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
                .unwrap_or_default();
            let (name, bits) = if curve_oid.ends_with("2a8648ce3d030107") {
                (Some("P-256"), Some(256))
            } else if curve_oid.ends_with("2b81040022") {
                (Some("P-384"), Some(384))
            } else if curve_oid.ends_with("2b81040023") {
                (Some("P-521"), Some(521))
            } else if curve_oid.ends_with("2a811ccf5501822d") {
                (Some("SM2"), Some(256))
            } else {
                (None, None)
            };
            curve = name;
            let alg = if name == Some("SM2") { "SM2" } else { "EC" };
            (alg.to_string(), bits)
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
        curve,
        public_key: spki
            .subject_public_key
            .as_bytes()
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
        subject_key_id,
        authority_key_id,
        tbs: tbs_bytes(der).map(<[u8]>::to_vec).unwrap_or_default(),
        sig_oid: cert.signature_algorithm.oid.to_string(),
        sig_params: cert
            .signature_algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.to_der().ok())
            .unwrap_or_default(),
        signature: cert
            .signature
            .as_bytes()
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
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

/// What checking one certificate's signature with a candidate issuer's key gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigCheck {
    Valid,
    Invalid,
    /// An algorithm, key size or curve ring does not verify (MD5, DSA, SM2, P-521, ...).
    Unsupported,
}

/// SHA-2 hash named in RSASSA-PSS parameters (hashAlgorithm [0]); SHA-1 (the default) and
/// anything else are not supported.
fn pss_hash(params: &[u8]) -> Option<u8> {
    // id-sha256/384/512 = 2.16.840.1.101.3.4.2.{1,2,3}
    const SHA2: [u8; 10] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    let at = params.windows(SHA2.len()).position(|w| w == SHA2)?;
    params.get(at + SHA2.len()).copied()
}

/// Verifies `cert`'s signature with `issuer`'s public key.
pub fn verify_signature(cert: &CertInfo, issuer: &CertInfo) -> SigCheck {
    use ring::signature as sig;
    if cert.tbs.is_empty() || cert.signature.is_empty() || issuer.public_key.is_empty() {
        return SigCheck::Unsupported;
    }
    let bits = issuer.key_bits.unwrap_or(0);
    let alg: &'static dyn sig::VerificationAlgorithm =
        match (cert.sig_oid.as_str(), issuer.key_alg.as_str(), issuer.curve) {
            (_, "RSA", _) if !(1024..=8192).contains(&bits) => return SigCheck::Unsupported,
            ("1.2.840.113549.1.1.5", "RSA", _) => {
                &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            ("1.2.840.113549.1.1.11", "RSA", _) => {
                &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
            }
            ("1.2.840.113549.1.1.12", "RSA", _) if bits >= 2048 => &sig::RSA_PKCS1_2048_8192_SHA384,
            ("1.2.840.113549.1.1.13", "RSA", _) => {
                &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
            }
            ("1.2.840.113549.1.1.10", "RSA", _) if bits >= 2048 => {
                match pss_hash(&cert.sig_params) {
                    Some(1) => &sig::RSA_PSS_2048_8192_SHA256,
                    Some(2) => &sig::RSA_PSS_2048_8192_SHA384,
                    Some(3) => &sig::RSA_PSS_2048_8192_SHA512,
                    _ => return SigCheck::Unsupported,
                }
            }
            ("1.2.840.10045.4.3.2", "EC", Some("P-256")) => &sig::ECDSA_P256_SHA256_ASN1,
            ("1.2.840.10045.4.3.3", "EC", Some("P-256")) => &sig::ECDSA_P256_SHA384_ASN1,
            ("1.2.840.10045.4.3.2", "EC", Some("P-384")) => &sig::ECDSA_P384_SHA256_ASN1,
            ("1.2.840.10045.4.3.3", "EC", Some("P-384")) => &sig::ECDSA_P384_SHA384_ASN1,
            ("1.3.101.112", "Ed25519", _) => &sig::ED25519,
            _ => return SigCheck::Unsupported,
        };
    match sig::UnparsedPublicKey::new(alg, &issuer.public_key).verify(&cert.tbs, &cert.signature) {
        Ok(()) => SigCheck::Valid,
        Err(_) => SigCheck::Invalid,
    }
}

/// Whether `issuer` may have issued `cert` by name, and by key identifier when both carry one.
fn names_link(cert: &CertInfo, issuer: &CertInfo) -> bool {
    cert.issuer == issuer.subject
        && match (&cert.authority_key_id, &issuer.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
}

/// Trust anchors by subject (RFC 4514 strings, as [`CertInfo::subject`]), with their keys.
/// Shared: clones are cheap, and adding to one copies it first.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: std::sync::Arc<Anchors>,
    /// The anchors are Mozilla's roots, read the first time a chain is looked up (about 2 ms,
    /// the largest part of a small capture's analysis; a capture with no certificate in the
    /// clear never needs them). `anchors` is empty meanwhile.
    mozilla: bool,
}

type Anchors = std::collections::BTreeMap<String, Vec<CertInfo>>;

/// Mozilla's roots, as shipped by webpki-root-certs, parsed once per process: every analysis
/// (and every fuzz run) shares them.
static MOZILLA: std::sync::OnceLock<std::sync::Arc<Anchors>> = std::sync::OnceLock::new();

/// [`MOZILLA`], parsed now if no [`RootsReader`] finished first.
fn mozilla_anchors() -> &'static std::sync::Arc<Anchors> {
    MOZILLA.get_or_init(|| {
        let mut r = RootsReader::default();
        while r.parse_next() {}
        r.read.anchors
    })
}

/// Mozilla's roots parsed one at a time by a thread that would otherwise wait: with a reader
/// thread, the pass's flows side often waits for the next batch, and reading the roots there
/// takes 2 ms off the detection that follows (of a 70 ms two-thread run on the big-download
/// capture). The anchors are the same whoever parses them: the roots are added in their order.
#[derive(Default)]
pub(crate) struct RootsReader {
    next: usize,
    read: TrustStore,
}

impl RootsReader {
    /// Parses one more root; false once every root is read and shared (or already was).
    pub(crate) fn step(&mut self) -> bool {
        if MOZILLA.get().is_some() {
            return false;
        }
        if self.parse_next() {
            return true;
        }
        let _ = MOZILLA.set(std::mem::take(&mut self.read.anchors));
        false
    }

    /// Parses the next root into `read`; false when there is none left.
    fn parse_next(&mut self) -> bool {
        let Some(der) = webpki_root_certs::TLS_SERVER_ROOT_CERTS.get(self.next) else {
            return false;
        };
        self.next += 1;
        if let Some(c) = parse_cert(der.as_ref()) {
            self.read.add(c);
        }
        true
    }
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
    /// Mozilla's roots, as shipped by webpki-root-certs (read when first looked up).
    pub fn mozilla() -> TrustStore {
        TrustStore {
            anchors: Default::default(),
            mozilla: true,
        }
    }

    /// The anchors (Mozilla's read now, if this store is theirs and they were not yet).
    fn map(&self) -> &Anchors {
        if self.mozilla {
            mozilla_anchors()
        } else {
            &self.anchors
        }
    }

    /// Adds one trust anchor.
    pub fn add(&mut self, c: CertInfo) {
        if std::mem::take(&mut self.mozilla) {
            self.anchors = mozilla_anchors().clone(); // copied below, on the first change
        }
        let anchors = std::sync::Arc::make_mut(&mut self.anchors);
        let same = anchors.entry(c.subject.clone()).or_default();
        if !same.contains(&c) {
            same.push(c);
        }
    }

    /// Adds every certificate of a PEM bundle as a trust anchor.
    pub fn add_pem(&mut self, name: &str, pem: &[u8]) -> Result<usize, BundleError> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut n = 0;
        for der in CertificateDer::pem_slice_iter(pem).flatten() {
            if let Some(c) = parse_cert(der.as_ref()) {
                self.add(c);
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

    /// Whether some anchor has this subject.
    pub fn trusts(&self, subject: &str) -> bool {
        self.map().contains_key(subject)
    }

    /// Anchors with this subject.
    pub fn anchors(&self, subject: &str) -> &[CertInfo] {
        self.map().get(subject).map_or(&[], Vec::as_slice)
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.map().values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

/// Where a presented chain leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEnd {
    /// It reaches a trust anchor (through the certificates presented), every signature that
    /// could be checked verifying.
    Trusted,
    /// It ends at a self-issued root that is not a trust anchor.
    UntrustedRoot(String),
    /// It stops at the certificate `depth` (0 = leaf), whose issuer was not sent and is not a
    /// trust anchor.
    MissingIssuer { depth: usize, issuer: String },
    /// The certificate `depth` names an issuer that is present (sent, or a trust anchor) but
    /// whose key does not verify its signature: a re-keyed or wrong intermediate, a forged or
    /// corrupted certificate. `key_id_differs`: the key identifiers say so too.
    BadSignature {
        depth: usize,
        subject: String,
        issuer: String,
        key_id_differs: bool,
    },
}

/// Follows issuers from the leaf through the presented certificates (in any order) to a
/// trust anchor, an untrusted root, a missing issuer or a signature that does not verify.
/// Among several candidates with the issuer's name, the one whose signature verifies wins.
pub fn walk_chain(chain: &[CertInfo], store: &TrustStore) -> Option<ChainEnd> {
    let mut cur = chain.first()?;
    for depth in 0..=chain.len() {
        // A trust anchor itself (a root the server sends along).
        if cur.self_issued && store.anchors(&cur.subject).contains(cur) {
            return Some(ChainEnd::Trusted);
        }
        let mut bad = None;
        let note_bad = |bad: &mut Option<ChainEnd>, cand: &CertInfo| {
            bad.get_or_insert(ChainEnd::BadSignature {
                depth,
                subject: cur.subject.clone(),
                issuer: cand.subject.clone(),
                key_id_differs: !names_link(cur, cand),
            });
        };
        for a in store.anchors(&cur.issuer) {
            match verify_signature(cur, a) {
                SigCheck::Invalid => note_bad(&mut bad, a),
                SigCheck::Valid | SigCheck::Unsupported => return Some(ChainEnd::Trusted),
            }
        }
        if cur.self_issued {
            return Some(bad.unwrap_or_else(|| ChainEnd::UntrustedRoot(cur.subject.clone())));
        }
        let mut next = None;
        for c in chain
            .iter()
            .filter(|c| c.subject == cur.issuer && !std::ptr::eq(*c, cur))
        {
            match verify_signature(cur, c) {
                SigCheck::Invalid => note_bad(&mut bad, c),
                SigCheck::Valid | SigCheck::Unsupported => {
                    next = Some(c);
                    break;
                }
            }
        }
        match next {
            Some(n) => cur = n,
            None => {
                return Some(bad.unwrap_or_else(|| ChainEnd::MissingIssuer {
                    depth,
                    issuer: cur.issuer.clone(),
                }));
            }
        }
    }
    // A loop of certificates issuing each other.
    Some(ChainEnd::MissingIssuer {
        depth: chain.len(),
        issuer: cur.issuer.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(dns: &[&str], cn: Option<&str>) -> CertInfo {
        CertInfo {
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addrs: vec!["10.0.0.5".parse().unwrap()],
            common_name: cn.map(String::from),
            key_alg: "RSA".into(),
            key_bits: Some(2048),
            ..CertInfo::default()
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
        let mut der = vec![0x30, 0x81, 0x87, 0x02, 0x81, 0x81];
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
        store.add(named("CN=Root", "CN=Root"));
        let leaf = named("CN=leaf", "CN=Inter");
        let inter = named("CN=Inter", "CN=Root");
        assert_eq!(
            walk_chain(&[leaf.clone(), inter.clone()], &store),
            Some(ChainEnd::Trusted)
        );
        assert_eq!(
            walk_chain(std::slice::from_ref(&leaf), &store),
            Some(ChainEnd::MissingIssuer {
                depth: 0,
                issuer: "CN=Inter".into()
            })
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
    fn roots_read_one_at_a_time_are_the_roots_read_at_once() {
        let mut r = RootsReader::default();
        let mut steps = 0;
        while r.parse_next() {
            steps += 1;
        }
        assert_eq!(steps, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert_eq!(*r.read.anchors, **mozilla_anchors());
        // Once they are shared, a reader has nothing left to do.
        assert!(!RootsReader::default().step());
    }

    #[test]
    fn a_bundle_added_to_mozillas_roots_keeps_them_and_leaves_theirs_alone() {
        let m = TrustStore::mozilla();
        let a_root = mozilla_anchors().keys().next().cloned().unwrap_or_default();
        let mut t = TrustStore::mozilla();
        t.add(named("CN=Private Root", "CN=Private Root"));
        assert!(t.trusts("CN=Private Root") && t.trusts(&a_root));
        assert_eq!(t.len(), m.len() + 1);
        assert!(!m.trusts("CN=Private Root") && m.trusts(&a_root));
        assert!(!TrustStore::mozilla().trusts("CN=Private Root"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_cert(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
        assert!(parse_cert(&[]).is_none());
    }
}
