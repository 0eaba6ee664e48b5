//! TLS (and SSL 3) records of one direction of a TCP stream, on any port, parsed with
//! tls-parser: ClientHello (versions including `supported_versions`, suites, SNI, ALPN, groups,
//! signature algorithms, extension numbers), ServerHello and HelloRetryRequest (chosen version
//! and suite), ServerKeyExchange (DH prime size, ECDH curve), plaintext alerts, certificates,
//! and where the stream becomes encrypted. TLCP (GM/T 0024, record version 0x0101) is read like
//! TLS 1.2. Handshake messages split over records are reassembled (up to
//! [`MAX_HANDSHAKE`] bytes); records are bounded by the TLS maximum. Unknown versions, suites
//! and alert codes are kept as numbers.

use tls_parser::{
    MAX_RECORD_LEN, TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordType, parse_tls_extension,
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
    /// A TLS 1.3 HelloRetryRequest (a ServerHello with the special random): the server wants
    /// another key share (`group`) or a cookie.
    HelloRetryRequest {
        suite: u16,
        group: Option<u16>,
    },
    /// The server's ephemeral key exchange parameters (ServerKeyExchange).
    KeyExchange(KeyExchange),
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

/// A server's ephemeral key exchange: finite-field DH with the prime's size, or ECDH on a
/// named group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchange {
    Dh {
        prime_bits: u32,
    },
    Ecdh {
        group: u16,
    },
    /// Explicit curve parameters or something unparsed.
    Other,
}

/// The ClientHello's offer, kept once per connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOffer {
    /// Highest legacy version field, and the `supported_versions` list if present.
    pub legacy_version: u16,
    pub versions: Vec<u16>,
    pub suites: Vec<u16>,
    pub sni: Option<String>,
    /// ALPN protocols ("h2", "http/1.1"), at most [`MAX_LIST`].
    pub alpn: Vec<String>,
    /// supported_groups and signature_algorithms, as numbers.
    pub groups: Vec<u16>,
    pub sig_algs: Vec<u16>,
    /// Extension types in the order sent (unknown ones included), at most [`MAX_LIST`].
    pub extensions: Vec<u16>,
}

/// Longest list kept from a ClientHello field.
pub const MAX_LIST: usize = 64;

/// The random of a HelloRetryRequest (SHA-256 of "HelloRetryRequest", RFC 8446 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Whether a record header's version is TLS/SSL 3 (3.x) or TLCP (1.1).
fn record_version_ok(major: u8, minor: u8) -> bool {
    major == 3 || (major == 1 && minor == 1)
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
    /// A ClientHello was read (`offer` may have been taken since).
    hello: bool,
    /// DER certificates of the first Certificate message (up to [`MAX_CERTS`]).
    pub certs: Vec<Vec<u8>>,
    /// The suite this side chose (server direction), to read its ServerKeyExchange.
    suite: Option<u16>,
    /// A record under way whose bytes say nothing more than its header: counted, not kept.
    skip: Option<Skip>,
}

/// A record being skipped to its end (see [`TlsStream::push`]).
#[derive(Debug, Clone, Copy)]
struct Skip {
    rtype: TlsRecordType,
    len: usize,
    /// Bytes still to come.
    left: usize,
}

/// Certificates kept per chain, and the largest one kept.
pub const MAX_CERTS: usize = 8;
const MAX_CERT_LEN: usize = 32 * 1024;

impl TlsStream {
    /// Whether `b` starts like a TLS handshake record (or an SSLv2-format ClientHello).
    pub fn looks_like_tls(b: &[u8]) -> bool {
        (b.len() >= 3 && b[0] == 0x16 && ((b[1] == 3 && b[2] <= 4) || (b[1] == 1 && b[2] == 1)))
            || (b.len() >= 3 && b[0] & 0x80 != 0 && b[2] == 1)
    }

    /// Consumes stream bytes; appends what they said to `out`. Records are read where they
    /// are: only an incomplete record at the end is copied, to wait for the next bytes, and
    /// not even that when its bytes say nothing (an encrypted record, whose header tells all
    /// we read of it): it is then only counted down, and said when its last byte comes, as
    /// when it was kept.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<TlsItem>) {
        if self.broken {
            return;
        }
        // An SSLv2-format ClientHello (2-byte header with the high bit set).
        if self.buf.is_empty()
            && self.skip.is_none()
            && !self.hello
            && data.len() >= 3
            && data[0] & 0x80 != 0
            && data[2] == 1
        {
            self.sslv2_hello(data, out);
            return;
        }
        let mut data = data;
        if let Some(s) = self.skip.as_mut() {
            let n = s.left.min(data.len());
            s.left -= n;
            data = &data[n..];
            if s.left > 0 {
                return;
            }
            let Skip { rtype, len, .. } = *s;
            self.skip = None;
            // What reading the whole record (tls-parser's envelope) would have refused.
            if len > usize::from(MAX_RECORD_LEN) {
                self.broken = true;
                return;
            }
            self.record(rtype, len, &[], out);
        }
        if self.buf.is_empty() {
            let off = self.records(data, out);
            self.buf.extend_from_slice(&data[off..]);
        } else {
            let mut buf = std::mem::take(&mut self.buf);
            buf.extend_from_slice(data);
            let off = self.records(&buf, out);
            buf.drain(..off);
            self.buf = buf;
        }
        if self.buf.len() > MAX_RECORD {
            self.broken = true;
        }
    }

    /// Whether what a record says does not depend on its bytes, given its header and the
    /// stream's state (see [`TlsStream::record`]).
    fn content_free(&self, rtype: TlsRecordType, len: usize) -> bool {
        !((rtype == TlsRecordType::Handshake && !self.encrypted)
            || (rtype == TlsRecordType::Alert && !self.encrypted && len == 2))
    }

    /// Reads the complete records at the start of `bytes`; returns how many bytes they took
    /// (all of them when the last, incomplete, record is skipped rather than kept).
    fn records(&mut self, bytes: &[u8], out: &mut Vec<TlsItem>) -> usize {
        let mut off = 0;
        loop {
            let rest = &bytes[off..];
            if rest.len() < 5 {
                break;
            }
            let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
            if !record_version_ok(rest[1], rest[2]) || len + 5 > MAX_RECORD {
                self.broken = true;
                break;
            }
            if rest.len() < 5 + len {
                let rtype = TlsRecordType(rest[0]);
                if self.content_free(rtype, len) {
                    self.skip = Some(Skip {
                        rtype,
                        len,
                        left: 5 + len - rest.len(),
                    });
                    off = bytes.len();
                }
                break;
            }
            let rec = &rest[..5 + len];
            off += 5 + len;
            let Ok((_, raw)) = parse_tls_raw_record(rec) else {
                self.broken = true;
                break;
            };
            self.record(raw.hdr.record_type, len, raw.data, out);
        }
        off
    }

    /// What one complete record of type `rtype` and length `len` says; `data` is its content
    /// (empty for a record that was skipped: [`TlsStream::content_free`] ones only).
    fn record(&mut self, rtype: TlsRecordType, len: usize, data: &[u8], out: &mut Vec<TlsItem>) {
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
            if self.encrypted || len != 2 {
                out.push(TlsItem::Encrypted {
                    len: len as u16,
                    app: false,
                });
            } else {
                out.push(TlsItem::Alert {
                    level: data[0],
                    description: data[1],
                });
            }
        } else if rtype == TlsRecordType::Handshake {
            // Messages are read where they are too; what is left of one that goes on in the
            // next record waits in `hs`.
            if self.hs.is_empty() {
                let used = self.handshake(data, out);
                self.hs.extend_from_slice(&data[used..]);
            } else {
                let mut hs = std::mem::take(&mut self.hs);
                hs.extend_from_slice(data);
                let used = self.handshake(&hs, out);
                hs.drain(..used);
                self.hs = hs;
            }
        }
    }

    /// Reads the complete handshake messages at the start of `bytes`; returns how many bytes
    /// they took.
    fn handshake(&mut self, bytes: &[u8], out: &mut Vec<TlsItem>) -> usize {
        let mut off = 0;
        loop {
            let hs = &bytes[off..];
            if hs.len() < 4 {
                return off;
            }
            let len = ((hs[1] as usize) << 16) | ((hs[2] as usize) << 8) | hs[3] as usize;
            if len + 4 > MAX_HANDSHAKE {
                self.broken = true;
                return off;
            }
            if hs.len() < 4 + len {
                return off;
            }
            let msg = &hs[..4 + len];
            off += 4 + len;
            // A TLCP ServerHello has TLS 1.2's layout, but tls-parser only accepts 3.x
            // versions there: parse it (a copy) as 1.2 and report TLCP's version.
            let tlcp = msg[0] == 2 && msg.get(4..6) == Some(&[1, 1]);
            let as_tls12;
            let msg = if tlcp {
                let mut m = msg.to_vec();
                m[4..6].copy_from_slice(&[3, 3]);
                as_tls12 = m;
                &as_tls12[..]
            } else {
                msg
            };
            if let Ok((_, TlsMessage::Handshake(h))) = parse_tls_message_handshake(msg) {
                match h {
                    TlsMessageHandshake::ClientHello(ch) => {
                        let mut offer = ClientOffer {
                            legacy_version: ch.version.0,
                            suites: ch.ciphers.iter().map(|c| c.0).collect(),
                            ..ClientOffer::default()
                        };
                        if let Some(raw) = ch.ext {
                            offer.extensions = extension_types(raw);
                        }
                        if let Some(raw) = ch.ext {
                            for e in extensions(raw, &CLIENT_HELLO_READ) {
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
                                    TlsExtension::ALPN(v) => {
                                        offer.alpn = v
                                            .iter()
                                            .take(MAX_LIST)
                                            .map(|p| {
                                                String::from_utf8_lossy(p)
                                                    .chars()
                                                    .take(32)
                                                    .collect()
                                            })
                                            .collect();
                                    }
                                    TlsExtension::EllipticCurves(v) => {
                                        offer.groups =
                                            v.iter().take(MAX_LIST).map(|g| g.0).collect();
                                    }
                                    TlsExtension::SignatureAlgorithms(v) => {
                                        offer.sig_algs = v.iter().take(MAX_LIST).copied().collect();
                                    }
                                    _ => {}
                                }
                            }
                        }
                        self.offer = Some(offer);
                        self.hello = true;
                        out.push(TlsItem::ClientHello);
                    }
                    TlsMessageHandshake::ServerHello(sh) => {
                        let mut version = if tlcp { 0x0101 } else { sh.version.0 };
                        let mut group = None;
                        if let Some(raw) = sh.ext {
                            for e in extensions(raw, &SERVER_HELLO_READ) {
                                match e {
                                    TlsExtension::SupportedVersions(v) => {
                                        if let Some(x) = v.first() {
                                            version = x.0;
                                        }
                                    }
                                    // In a HelloRetryRequest, the selected group alone.
                                    TlsExtension::KeyShare(k) if k.len() >= 2 => {
                                        group = Some(u16::from_be_bytes([k[0], k[1]]));
                                    }
                                    _ => {}
                                }
                            }
                        }
                        if sh.random == HRR_RANDOM {
                            out.push(TlsItem::HelloRetryRequest {
                                suite: sh.cipher.0,
                                group,
                            });
                            continue;
                        }
                        self.suite = Some(sh.cipher.0);
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
                    TlsMessageHandshake::HelloRetryRequest(h) => {
                        out.push(TlsItem::HelloRetryRequest {
                            suite: h.cipher.0,
                            group: None,
                        })
                    }
                    TlsMessageHandshake::ServerKeyExchange(ske) => {
                        if let Some(kx) = self.suite.and_then(|s| key_exchange(s, ske.parameters)) {
                            out.push(TlsItem::KeyExchange(kx));
                        }
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
            ..ClientOffer::default()
        });
        self.hello = true;
        out.push(TlsItem::ClientHello);
    }
}

/// The extensions a ClientHello is read for: server name, supported groups, signature
/// algorithms, ALPN, supported versions.
const CLIENT_HELLO_READ: [u16; 5] = [0, 10, 13, 16, 43];
/// The extensions a ServerHello is read for: supported versions, key share.
const SERVER_HELLO_READ: [u16; 2] = [43, 51];

/// The extensions of a hello's extension block whose type is in `read`, in order, parsed by
/// tls-parser. The others are stepped over by their length, not parsed: a ClientHello
/// carries a dozen (key shares, padding, tickets) and parsing them all into a list was the
/// largest part of TLS handshake decoding on a busy capture. One whose content does not parse
/// is left out; the block ends where an extension's length runs past it.
fn extensions<'a>(block: &'a [u8], read: &[u16]) -> impl Iterator<Item = TlsExtension<'a>> {
    extension_blocks(block)
        .filter(|(t, _)| read.contains(t))
        .filter_map(|(_, raw)| parse_tls_extension(raw).ok().map(|(_, e)| e))
}

/// Each extension of an extension block: its type and its bytes (header included). One
/// whose length runs past the block is the last, with the bytes there are (which do not
/// parse).
fn extension_blocks(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let head = b.get(..4)?;
        let t = u16::from_be_bytes([head[0], head[1]]);
        let len = 4 + u16::from_be_bytes([head[2], head[3]]) as usize;
        let (raw, rest) = b.split_at(len.min(b.len()));
        b = rest;
        Some((t, raw))
    })
}

/// Extension types of a ClientHello's extension block, in order (at most [`MAX_LIST`]).
fn extension_types(b: &[u8]) -> Vec<u16> {
    fn types(b: &[u8]) -> impl Iterator<Item = u16> + '_ {
        extension_blocks(b).map(|(t, _)| t).take(MAX_LIST)
    }
    // Counted first: one allocation of the right size (the list is kept with the session).
    let mut out = Vec::with_capacity(types(b).count());
    out.extend(types(b));
    out
}

/// Reads ServerKeyExchange parameters for the chosen suite's key exchange: the DH prime's
/// size, or the ECDH named group. `None` for suites without ephemeral parameters.
fn key_exchange(suite: u16, params: &[u8]) -> Option<KeyExchange> {
    use tls_parser::{ECParametersContent, TlsCipherKx};
    let kx = match tls_parser::TlsCipherSuite::from_id(suite) {
        Some(s) => s.kx,
        // TLCP ECDHE suites (ECDHE_SM4_*: 0xE011, 0xE051) carry an SM2 named curve.
        None if matches!(suite, 0xe011 | 0xe051) => TlsCipherKx::Ecdhe,
        None => return None,
    };
    match kx {
        TlsCipherKx::Dhe | TlsCipherKx::Dh => {
            let (_, dh) = tls_parser::parse_dh_params(params).ok()?;
            let p = dh.dh_p;
            let p = &p[p.iter().position(|&b| b != 0).unwrap_or(p.len())..];
            let bits = match p.first() {
                Some(b) => (p.len() as u32 - 1) * 8 + (8 - b.leading_zeros()),
                None => 0,
            };
            Some(KeyExchange::Dh { prime_bits: bits })
        }
        TlsCipherKx::Ecdhe | TlsCipherKx::Aecdh | TlsCipherKx::Ecdh => {
            match tls_parser::parse_ecdh_params(params) {
                Ok((_, p)) => match p.curve_params.params_content {
                    ECParametersContent::NamedGroup(g) => Some(KeyExchange::Ecdh { group: g.0 }),
                    _ => Some(KeyExchange::Other),
                },
                Err(_) => Some(KeyExchange::Other),
            }
        }
        _ => None,
    }
}

/// Strength in bits of a named group's key (RFC 8422, RFC 8446, RFC 7919, RFC 8998), for
/// judging ECDH and FFDHE parameters; `None` when unknown.
pub fn group_bits(g: u16) -> Option<u32> {
    Some(match g {
        1..=3 => 163,
        4 | 5 => 193,
        6 | 7 => 233,
        8 => 239,
        9 | 10 => 283,
        11 | 12 => 409,
        13 | 14 => 571,
        15..=17 => 160,
        18 | 19 => 192,
        20 | 21 => 224,
        22 | 23 => 256,
        24 => 384,
        25 => 521,
        26 => 256,
        27 => 384,
        28 => 512,
        29 => 255,
        30 => 448,
        31 => 256,
        32 => 384,
        33 => 512,
        41 => 256, // curveSM2
        256 => 2048,
        257 => 3072,
        258 => 4096,
        259 => 6144,
        260 => 8192,
        _ => return None,
    })
}

/// Name of a named group, or its number.
pub fn group_name(g: u16) -> String {
    match g {
        23 => "secp256r1".into(),
        24 => "secp384r1".into(),
        25 => "secp521r1".into(),
        29 => "x25519".into(),
        30 => "x448".into(),
        41 => "curveSM2".into(),
        256..=260 => format!("ffdhe{}", group_bits(g).unwrap_or(0)),
        0x11ec => "X25519MLKEM768".into(),
        g if group_bits(g).is_some() => format!("group {g} ({} bits)", group_bits(g).unwrap_or(0)),
        g => format!("0x{g:04x}"),
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

/// TLS alert levels and descriptions (RFC 8446 §6 and older) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod alert {
    /// Alert level: a warning.
    pub const WARNING: u8 = 1;
    /// Alert level: fatal, the connection ends.
    pub const FATAL: u8 = 2;

    /// `close_notify`.
    pub const CLOSE_NOTIFY: u8 = 0;
    /// `unexpected_message`.
    pub const UNEXPECTED_MESSAGE: u8 = 10;
    /// `bad_record_mac`.
    pub const BAD_RECORD_MAC: u8 = 20;
    /// `decryption_failed`.
    pub const DECRYPTION_FAILED: u8 = 21;
    /// `record_overflow`.
    pub const RECORD_OVERFLOW: u8 = 22;
    /// `decompression_failure`.
    pub const DECOMPRESSION_FAILURE: u8 = 30;
    /// `handshake_failure`.
    pub const HANDSHAKE_FAILURE: u8 = 40;
    /// `no_certificate`.
    pub const NO_CERTIFICATE: u8 = 41;
    /// `bad_certificate`.
    pub const BAD_CERTIFICATE: u8 = 42;
    /// `unsupported_certificate`.
    pub const UNSUPPORTED_CERTIFICATE: u8 = 43;
    /// `certificate_revoked`.
    pub const CERTIFICATE_REVOKED: u8 = 44;
    /// `certificate_expired`.
    pub const CERTIFICATE_EXPIRED: u8 = 45;
    /// `certificate_unknown`.
    pub const CERTIFICATE_UNKNOWN: u8 = 46;
    /// `illegal_parameter`.
    pub const ILLEGAL_PARAMETER: u8 = 47;
    /// `unknown_ca`.
    pub const UNKNOWN_CA: u8 = 48;
    /// `access_denied`.
    pub const ACCESS_DENIED: u8 = 49;
    /// `decode_error`.
    pub const DECODE_ERROR: u8 = 50;
    /// `decrypt_error`.
    pub const DECRYPT_ERROR: u8 = 51;
    /// `export_restriction`.
    pub const EXPORT_RESTRICTION: u8 = 60;
    /// `protocol_version`.
    pub const PROTOCOL_VERSION: u8 = 70;
    /// `insufficient_security`.
    pub const INSUFFICIENT_SECURITY: u8 = 71;
    /// `internal_error`.
    pub const INTERNAL_ERROR: u8 = 80;
    /// `inappropriate_fallback`.
    pub const INAPPROPRIATE_FALLBACK: u8 = 86;
    /// `user_canceled`.
    pub const USER_CANCELED: u8 = 90;
    /// `no_renegotiation`.
    pub const NO_RENEGOTIATION: u8 = 100;
    /// `missing_extension`.
    pub const MISSING_EXTENSION: u8 = 109;
    /// `unsupported_extension`.
    pub const UNSUPPORTED_EXTENSION: u8 = 110;
    /// `certificate_unobtainable`.
    pub const CERTIFICATE_UNOBTAINABLE: u8 = 111;
    /// `unrecognized_name`.
    pub const UNRECOGNIZED_NAME: u8 = 112;
    /// `bad_certificate_status_response`.
    pub const BAD_CERTIFICATE_STATUS_RESPONSE: u8 = 113;
    /// `bad_certificate_hash_value`.
    pub const BAD_CERTIFICATE_HASH_VALUE: u8 = 114;
    /// `unknown_psk_identity`.
    pub const UNKNOWN_PSK_IDENTITY: u8 = 115;
    /// `certificate_required`.
    pub const CERTIFICATE_REQUIRED: u8 = 116;
    /// `no_application_protocol`.
    pub const NO_APPLICATION_PROTOCOL: u8 = 120;
}

/// Name of an alert description (RFC 8446 §6 and older), or its number.
pub fn alert_name(d: u8) -> String {
    let n = match d {
        alert::CLOSE_NOTIFY => "close_notify",
        alert::UNEXPECTED_MESSAGE => "unexpected_message",
        alert::BAD_RECORD_MAC => "bad_record_mac",
        alert::DECRYPTION_FAILED => "decryption_failed",
        alert::RECORD_OVERFLOW => "record_overflow",
        alert::DECOMPRESSION_FAILURE => "decompression_failure",
        alert::HANDSHAKE_FAILURE => "handshake_failure",
        alert::NO_CERTIFICATE => "no_certificate",
        alert::BAD_CERTIFICATE => "bad_certificate",
        alert::UNSUPPORTED_CERTIFICATE => "unsupported_certificate",
        alert::CERTIFICATE_REVOKED => "certificate_revoked",
        alert::CERTIFICATE_EXPIRED => "certificate_expired",
        alert::CERTIFICATE_UNKNOWN => "certificate_unknown",
        alert::ILLEGAL_PARAMETER => "illegal_parameter",
        alert::UNKNOWN_CA => "unknown_ca",
        alert::ACCESS_DENIED => "access_denied",
        alert::DECODE_ERROR => "decode_error",
        alert::DECRYPT_ERROR => "decrypt_error",
        alert::EXPORT_RESTRICTION => "export_restriction",
        alert::PROTOCOL_VERSION => "protocol_version",
        alert::INSUFFICIENT_SECURITY => "insufficient_security",
        alert::INTERNAL_ERROR => "internal_error",
        alert::INAPPROPRIATE_FALLBACK => "inappropriate_fallback",
        alert::USER_CANCELED => "user_canceled",
        alert::NO_RENEGOTIATION => "no_renegotiation",
        alert::MISSING_EXTENSION => "missing_extension",
        alert::UNSUPPORTED_EXTENSION => "unsupported_extension",
        alert::CERTIFICATE_UNOBTAINABLE => "certificate_unobtainable",
        alert::UNRECOGNIZED_NAME => "unrecognized_name",
        alert::BAD_CERTIFICATE_STATUS_RESPONSE => "bad_certificate_status_response",
        alert::BAD_CERTIFICATE_HASH_VALUE => "bad_certificate_hash_value",
        alert::UNKNOWN_PSK_IDENTITY => "unknown_psk_identity",
        alert::CERTIFICATE_REQUIRED => "certificate_required",
        alert::NO_APPLICATION_PROTOCOL => "no_application_protocol",
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

/// TLCP cipher suites (GM/T 0024-2014, and the GCM suites of GM/T 0024-2023), which
/// tls-parser's IANA table does not hold: key exchange (ECC = SM2 certificate key transport,
/// ECDHE, IBC, IBSDH, RSA), cipher and MAC.
const TLCP_SUITES: &[(u16, &str)] = &[
    (0xe001, "ECDHE_SM1_SM3"),
    (0xe003, "ECC_SM1_SM3"),
    (0xe005, "IBSDH_SM1_SM3"),
    (0xe007, "IBC_SM1_SM3"),
    (0xe009, "RSA_SM1_SM3"),
    (0xe00a, "RSA_SM1_SHA1"),
    (0xe011, "ECDHE_SM4_CBC_SM3"),
    (0xe013, "ECC_SM4_CBC_SM3"),
    (0xe015, "IBSDH_SM4_CBC_SM3"),
    (0xe017, "IBC_SM4_CBC_SM3"),
    (0xe019, "RSA_SM4_CBC_SM3"),
    (0xe01a, "RSA_SM4_CBC_SHA1"),
    (0xe051, "ECDHE_SM4_GCM_SM3"),
    (0xe053, "ECC_SM4_GCM_SM3"),
    (0xe055, "IBSDH_SM4_GCM_SM3"),
    (0xe057, "IBC_SM4_GCM_SM3"),
    (0xe059, "RSA_SM4_GCM_SM3"),
    (0xe05a, "RSA_SM4_GCM_SHA256"),
];

/// Whether a suite uses the Chinese SM (ShangMi) algorithms: a TLCP suite, or RFC 8998's
/// TLS_SM4_GCM_SM3 / TLS_SM4_CCM_SM3.
pub fn is_sm_suite(id: u16) -> bool {
    matches!(id, 0x00c6 | 0x00c7) || TLCP_SUITES.iter().any(|(s, _)| *s == id)
}

/// Name of a cipher suite (TLCP's table, then tls-parser's), or its number.
pub fn suite_name(id: u16) -> String {
    if let Some((_, n)) = TLCP_SUITES.iter().find(|(s, _)| *s == id) {
        return format!("{n} (TLCP)");
    }
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

    /// Records whose bytes are skipped rather than kept say the same, in the segment that
    /// brings their last byte, whatever the cuts; a record larger than tls-parser accepts
    /// still stops the stream when it ends.
    #[test]
    fn skipped_records_say_the_same_where_they_end() {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        let mut add = |bytes: &mut Vec<u8>, r: Vec<u8>| {
            bytes.extend_from_slice(&r);
            ends.push(bytes.len());
        };
        add(&mut bytes, record(0x0303, 23, &[7; 3000])); // application data
        add(&mut bytes, record(0x0303, 21, &[1, 0])); // plaintext alert: read
        add(&mut bytes, record(0x0303, 21, &[1, 0, 0])); // odd alert: skipped
        add(&mut bytes, record(0x0303, 24, &[9; 40])); // heartbeat: says nothing
        add(&mut bytes, record(0x0303, 20, &[1])); // ChangeCipherSpec
        add(&mut bytes, record(0x0303, 22, &[5; 700])); // encrypted handshake
        add(&mut bytes, record(0x0303, 21, &[2, 2])); // encrypted alert
        let expected = [
            TlsItem::Encrypted {
                len: 3000,
                app: true,
            },
            TlsItem::Alert {
                level: 1,
                description: 0,
            },
            TlsItem::Encrypted { len: 3, app: false },
            TlsItem::ChangeCipherSpec,
            TlsItem::Encrypted {
                len: 700,
                app: false,
            },
            TlsItem::Encrypted { len: 2, app: false },
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..300 {
            // Cut into random segments (some of one byte), and say which segment each item
            // came with.
            let mut s = TlsStream::default();
            let (mut out, mut at) = (Vec::new(), Vec::new());
            let mut pos = 0;
            while pos < bytes.len() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let n = 1 + (x % if round % 2 == 0 { 9 } else { 1600 }) as usize;
                let end = (pos + n).min(bytes.len());
                let before = out.len();
                s.push(&bytes[pos..end], &mut out);
                at.extend(std::iter::repeat_n((pos, end), out.len() - before));
                pos = end;
            }
            assert_eq!(out, expected, "round {round}");
            // The heartbeat says nothing: every other record's item comes with its last byte.
            let mut want: Vec<usize> = ends.clone();
            want.remove(3);
            let with_last_byte = at.iter().zip(&want).all(|(&(a, b), &w)| a < w && w <= b);
            assert!(with_last_byte, "round {round}: {at:?} {want:?}");
            assert!(s.encrypted && !s.broken && s.buf.is_empty() && s.skip.is_none());
        }
        // Too long for tls-parser (but not for the header check): broken once it ends.
        let big = record(0x0303, 23, &vec![0; usize::from(MAX_RECORD_LEN) + 1]);
        let mut s = TlsStream::default();
        let mut out = Vec::new();
        s.push(&big[..100], &mut out);
        assert!(!s.broken);
        s.push(&big[100..], &mut out);
        assert!(s.broken && out.is_empty());
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
        assert_eq!(suite_name(0xe013), "ECC_SM4_CBC_SM3 (TLCP)");
        assert_eq!(suite_name(0x00c6), "TLS_SM4_GCM_SM3");
        assert_eq!(suite_name(0xfafa), "0xfafa");
        assert!(is_sm_suite(0x00c6) && is_sm_suite(0xe011) && !is_sm_suite(0x1301));
        assert_eq!(suite_weakness(0xe013), None);
    }

    fn record(version: u16, ctype: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![ctype];
        r.extend_from_slice(&version.to_be_bytes());
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
        let mut h = vec![t, 0, (body.len() >> 8) as u8, body.len() as u8];
        h.extend_from_slice(body);
        h
    }

    fn server_hello(version: u16, random: [u8; 32], suite: u16, exts: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&random);
        b.push(0);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        if !exts.is_empty() {
            b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
            b.extend_from_slice(exts);
        }
        handshake(2, &b)
    }

    #[test]
    fn tlcp_records_and_server_key_exchange() {
        // TLCP ServerHello (record and hello version 0x0101), ECC_SM4_CBC_SM3.
        let mut s = TlsStream::default();
        let mut out = Vec::new();
        let sh = record(0x0101, 0x16, &server_hello(0x0101, [7; 32], 0xe013, &[]));
        assert!(TlsStream::looks_like_tls(&sh));
        s.push(&sh, &mut out);
        assert_eq!(
            out,
            vec![TlsItem::ServerHello {
                version: 0x0101,
                suite: 0xe013
            }]
        );
        // DHE with a 1024-bit prime: p (128 bytes), g, Ys, then a signature.
        let mut s = TlsStream::default();
        let mut out = Vec::new();
        let mut ske = vec![0, 128, 0xff];
        ske.extend_from_slice(&[0x11; 127]);
        ske.extend_from_slice(&[0, 1, 2, 0, 2, 9, 9, 0, 0]);
        let mut bytes = record(0x0303, 0x16, &server_hello(0x0303, [1; 32], 0x009e, &[]));
        bytes.extend(record(0x0303, 0x16, &handshake(12, &ske)));
        s.push(&bytes, &mut out);
        assert_eq!(
            out[1],
            TlsItem::KeyExchange(KeyExchange::Dh { prime_bits: 1024 })
        );
        // ECDHE on secp256r1.
        let mut s = TlsStream::default();
        let mut out = Vec::new();
        let mut bytes = record(0x0303, 0x16, &server_hello(0x0303, [1; 32], 0xc02f, &[]));
        bytes.extend(record(
            0x0303,
            0x16,
            &handshake(12, &[3, 0, 23, 3, 4, 1, 2, 0, 0, 0]),
        ));
        s.push(&bytes, &mut out);
        assert_eq!(
            out[1],
            TlsItem::KeyExchange(KeyExchange::Ecdh { group: 23 })
        );
        assert_eq!(group_bits(23), Some(256));
        assert_eq!(group_name(29), "x25519");
    }

    #[test]
    fn hello_retry_request_is_not_a_server_hello() {
        let mut s = TlsStream::default();
        let mut out = Vec::new();
        // supported_versions 0x0304, key_share selecting secp256r1 (23).
        let exts = [0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 23];
        let hrr = record(
            0x0303,
            0x16,
            &server_hello(0x0303, HRR_RANDOM, 0x1301, &exts),
        );
        let sh = record(
            0x0303,
            0x16,
            &server_hello(0x0303, [5; 32], 0x1301, &exts[..6]),
        );
        s.push(&hrr, &mut out);
        assert!(!s.encrypted, "an HRR does not start encryption");
        s.push(&sh, &mut out);
        assert_eq!(
            out,
            vec![
                TlsItem::HelloRetryRequest {
                    suite: 0x1301,
                    group: Some(23)
                },
                TlsItem::ServerHello {
                    version: 0x0304,
                    suite: 0x1301
                }
            ]
        );
        assert!(s.encrypted);
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
