//! TLS (and SSL 3) records of one direction of a TCP stream, on any port, parsed with
//! tls-parser: ClientHello (versions including `supported_versions`, suites, SNI),
//! ServerHello (chosen version and suite), plaintext alerts, certificate count, and where the
//! stream becomes encrypted. Handshake messages split over records are reassembled (up to
//! [`MAX_HANDSHAKE`] bytes); records are bounded by the TLS maximum. Unknown versions, suites
//! and alert codes are kept as numbers.

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordType, parse_tls_extensions,
    parse_tls_message_handshake, parse_tls_raw_record,
};

/// Largest handshake message reassembled (a long certificate chain fits).
pub const MAX_HANDSHAKE: usize = 128 * 1024;
const MAX_RECORD: usize = 5 + (1 << 14) + 2048;

/// What one direction said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsItem {
    ClientHello,
    ServerHello {
        version: u16,
        suite: u16,
    },
    HelloRetryRequest,
    /// The server asks for a client certificate (mutual TLS).
    CertificateRequest,
    Certificate {
        count: u16,
    },
    /// A plaintext alert: level (1 warning, 2 fatal) and description.
    Alert {
        level: u8,
        description: u8,
    },
    ChangeCipherSpec,
    /// An encrypted record (application data, or a TLS 1.3 encrypted handshake), its length.
    Encrypted {
        len: u16,
        /// The record type was application data (23).
        app: bool,
    },
}

/// The ClientHello's offer, kept once per connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOffer {
    /// Highest legacy version field, and the `supported_versions` list if present.
    pub legacy_version: u16,
    pub versions: Vec<u16>,
    pub suites: Vec<u16>,
    pub sni: Option<String>,
}

/// Parser state of one direction.
#[derive(Debug, Clone, Default)]
pub struct TlsStream {
    buf: Vec<u8>,
    hs: Vec<u8>,
    /// Past the point where this side encrypts its records (after its ChangeCipherSpec).
    pub encrypted: bool,
    /// Stopped: not TLS, or a record too large.
    pub broken: bool,
    pub offer: Option<ClientOffer>,
    /// DER certificates of the first Certificate message (up to [`MAX_CERTS`]).
    pub certs: Vec<Vec<u8>>,
}

/// Certificates kept per chain, and the largest one kept.
pub const MAX_CERTS: usize = 8;
const MAX_CERT_LEN: usize = 32 * 1024;

impl TlsStream {
    /// Whether `b` starts like a TLS handshake record (or an SSLv2-format ClientHello).
    pub fn looks_like_tls(b: &[u8]) -> bool {
        (b.len() >= 3 && b[0] == 0x16 && b[1] == 3 && b[2] <= 4)
            || (b.len() >= 3 && b[0] & 0x80 != 0 && b[2] == 1)
    }

    /// Consumes stream bytes; appends what they said to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<TlsItem>) {
        if self.broken {
            return;
        }
        // An SSLv2-format ClientHello (2-byte header with the high bit set).
        if self.buf.is_empty()
            && self.offer.is_none()
            && data.len() >= 3
            && data[0] & 0x80 != 0
            && data[2] == 1
        {
            self.sslv2_hello(data, out);
            return;
        }
        self.buf.extend_from_slice(data);
        let mut off = 0;
        loop {
            let rest = &self.buf[off..];
            if rest.len() < 5 {
                break;
            }
            let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
            if rest[1] != 3 || len + 5 > MAX_RECORD {
                self.broken = true;
                break;
            }
            if rest.len() < 5 + len {
                break;
            }
            let rec = &rest[..5 + len];
            off += 5 + len;
            let Ok((_, raw)) = parse_tls_raw_record(rec) else {
                self.broken = true;
                break;
            };
            let rtype = raw.hdr.record_type;
            if rtype == TlsRecordType::ChangeCipherSpec {
                self.encrypted = true;
                out.push(TlsItem::ChangeCipherSpec);
            } else if rtype == TlsRecordType::ApplicationData
                || (self.encrypted && rtype != TlsRecordType::Alert)
            {
                out.push(TlsItem::Encrypted {
                    len: len as u16,
                    app: rtype == TlsRecordType::ApplicationData,
                });
            } else if rtype == TlsRecordType::Alert {
                if self.encrypted || raw.data.len() != 2 {
                    out.push(TlsItem::Encrypted {
                        len: len as u16,
                        app: false,
                    });
                } else {
                    out.push(TlsItem::Alert {
                        level: raw.data[0],
                        description: raw.data[1],
                    });
                }
            } else if rtype == TlsRecordType::Handshake {
                self.hs.extend_from_slice(raw.data);
                self.handshake(out);
            }
        }
        self.buf.drain(..off);
        if self.buf.len() > MAX_RECORD {
            self.broken = true;
        }
    }

    fn handshake(&mut self, out: &mut Vec<TlsItem>) {
        loop {
            if self.hs.len() < 4 {
                return;
            }
            let len =
                ((self.hs[1] as usize) << 16) | ((self.hs[2] as usize) << 8) | self.hs[3] as usize;
            if len + 4 > MAX_HANDSHAKE {
                self.broken = true;
                return;
            }
            if self.hs.len() < 4 + len {
                return;
            }
            let msg = self.hs[..4 + len].to_vec();
            self.hs.drain(..4 + len);
            if let Ok((_, TlsMessage::Handshake(h))) = parse_tls_message_handshake(&msg) {
                match h {
                    TlsMessageHandshake::ClientHello(ch) => {
                        let mut offer = ClientOffer {
                            legacy_version: ch.version.0,
                            suites: ch.ciphers.iter().map(|c| c.0).collect(),
                            ..ClientOffer::default()
                        };
                        if let Some(Ok((_, exts))) = ch.ext.map(parse_tls_extensions) {
                            for e in exts {
                                match e {
                                    TlsExtension::SNI(names) => {
                                        offer.sni = names.first().map(|(_, n)| {
                                            String::from_utf8_lossy(n)
                                                .chars()
                                                .take(255)
                                                .collect::<String>()
                                                .to_ascii_lowercase()
                                        });
                                    }
                                    TlsExtension::SupportedVersions(v) => {
                                        offer.versions = v.iter().map(|x| x.0).collect();
                                    }
                                    _ => {}
                                }
                            }
                        }
                        self.offer = Some(offer);
                        out.push(TlsItem::ClientHello);
                    }
                    TlsMessageHandshake::ServerHello(sh) => {
                        let mut version = sh.version.0;
                        if let Some(Ok((_, exts))) = sh.ext.map(parse_tls_extensions) {
                            for e in exts {
                                if let TlsExtension::SupportedVersions(v) = e {
                                    if let Some(x) = v.first() {
                                        version = x.0;
                                    }
                                }
                            }
                        }
                        // TLS 1.3 encrypts everything after the ServerHello.
                        if version == 0x0304 || version >> 8 == 0x7f {
                            self.encrypted = true;
                        }
                        out.push(TlsItem::ServerHello {
                            version,
                            suite: sh.cipher.0,
                        });
                    }
                    TlsMessageHandshake::CertificateRequest(_) => {
                        out.push(TlsItem::CertificateRequest)
                    }
                    TlsMessageHandshake::HelloRetryRequest(_) => {
                        out.push(TlsItem::HelloRetryRequest)
                    }
                    TlsMessageHandshake::Certificate(c) => {
                        if self.certs.is_empty() {
                            self.certs = c
                                .cert_chain
                                .iter()
                                .take(MAX_CERTS)
                                .filter(|x| x.data.len() <= MAX_CERT_LEN)
                                .map(|x| x.data.to_vec())
                                .collect();
                        }
                        out.push(TlsItem::Certificate {
                            count: c.cert_chain.len().min(u16::MAX as usize) as u16,
                        })
                    }
                    _ => {}
                }
            }
        }
    }

    /// SSLv2-format ClientHello: 2-byte length, type 1, version, suite/session/challenge
    /// lengths, then 3-byte cipher specs (SSLv2 kinds have a non-zero first byte).
    fn sslv2_hello(&mut self, b: &[u8], out: &mut Vec<TlsItem>) {
        if b.len() < 11 {
            self.broken = true;
            return;
        }
        let version = u16::from_be_bytes([b[3], b[4]]);
        let spec_len = u16::from_be_bytes([b[5], b[6]]) as usize;
        let specs = b.get(11..11 + spec_len).unwrap_or(&[]);
        let suites = specs
            .chunks_exact(3)
            .filter(|c| c[0] == 0)
            .map(|c| u16::from_be_bytes([c[1], c[2]]))
            .collect();
        self.offer = Some(ClientOffer {
            legacy_version: version,
            versions: vec![0x0002],
            suites,
            sni: None,
        });
        out.push(TlsItem::ClientHello);
    }
}

/// Name of a protocol version.
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSLv2".into(),
        0x0300 => "SSLv3".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0x0101 => "TLCP (GM/T 0024)".into(),
        v if v >> 8 == 0x7f => format!("TLS 1.3 draft {}", v & 0xff),
        v => format!("0x{v:04x}"),
    }
}

/// Name of an alert description (RFC 8446 §6 and older), or its number.
pub fn alert_name(d: u8) -> String {
    let n = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return format!("alert {d}"),
    };
    format!("{n}({d})")
}

/// A cipher suite's weakness, judged from tls-parser's suite table fields (key exchange,
/// authentication, cipher, key size), not from names. `None` when it is not weak or unknown.
pub fn suite_weakness(id: u16) -> Option<&'static str> {
    use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherKx};
    let s = tls_parser::TlsCipherSuite::from_id(id)?;
    if s.enc == TlsCipherEnc::Null {
        return Some("no encryption (NULL cipher)");
    }
    if s.au == TlsCipherAu::Null || matches!(s.kx, TlsCipherKx::Aecdh) {
        return Some("anonymous key exchange (no server authentication)");
    }
    if s.enc == TlsCipherEnc::Rc4 {
        return Some("RC4 (broken stream cipher, RFC 7465)");
    }
    if s.enc == TlsCipherEnc::Rc2 || s.enc == TlsCipherEnc::Des || s.enc_size < 112 {
        return Some("export-grade or 40/56-bit encryption");
    }
    if s.enc == TlsCipherEnc::TripleDes {
        return Some("3DES (64-bit blocks, Sweet32)");
    }
    None
}

/// Name of a cipher suite from tls-parser's table, or its number.
pub fn suite_name(id: u16) -> String {
    match tls_parser::TlsCipherSuite::from_id(id) {
        Some(s) => s.name.to_string(),
        None => format!("0x{id:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_hello(version: u16, suites: &[u16]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&version.to_be_bytes());
        body.extend_from_slice(&[0u8; 32]);
        body.push(0);
        body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
        for s in suites {
            body.extend_from_slice(&s.to_be_bytes());
        }
        body.extend_from_slice(&[1, 0]);
        let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn client_hello_split_anywhere_and_alert() {
        let mut bytes = client_hello(0x0303, &[0xc02f, 0x0005]);
        bytes.extend_from_slice(&[0x15, 3, 3, 0, 2, 2, 40]);
        for cut in 0..bytes.len() {
            let mut s = TlsStream::default();
            let mut out = Vec::new();
            s.push(&bytes[..cut], &mut out);
            s.push(&bytes[cut..], &mut out);
            assert_eq!(
                out,
                vec![
                    TlsItem::ClientHello,
                    TlsItem::Alert {
                        level: 2,
                        description: 40
                    }
                ],
                "cut {cut}"
            );
            assert_eq!(s.offer.as_ref().unwrap().suites, vec![0xc02f, 0x0005]);
        }
    }

    #[test]
    fn weak_suites_are_judged_by_fields() {
        assert!(suite_weakness(0x0005).unwrap().contains("RC4")); // TLS_RSA_WITH_RC4_128_SHA
        assert!(suite_weakness(0x000a).unwrap().contains("3DES"));
        assert!(suite_weakness(0x0001).unwrap().contains("NULL")); // TLS_RSA_WITH_NULL_MD5
        assert_eq!(suite_weakness(0xc02f), None); // ECDHE-RSA-AES128-GCM-SHA256
        assert_eq!(suite_weakness(0x1301), None); // TLS_AES_128_GCM_SHA256
        assert_eq!(alert_name(70), "protocol_version(70)");
        assert_eq!(alert_name(200), "alert 200");
    }

    #[test]
    fn garbage_never_panics() {
        let base = client_hello(0x0303, &[0x1301]);
        for i in 0..base.len() {
            for v in [0u8, 0x7f, 0xff] {
                let mut b = base.clone();
                b[i] = v;
                let mut s = TlsStream::default();
                s.push(&b, &mut Vec::new());
            }
        }
    }
}
