//! DNS messages (RFC 1035, EDNS RFC 6891, extended errors RFC 8914): header, first question,
//! address answers, the EDNS extended rcode and extended error codes.
//!
//! Guarantees: never panics; every length and count is checked against the bytes present;
//! name compression pointers may only point backwards and are followed at most
//! [`MAX_POINTERS`] times, so loops end; names longer than 255 bytes are rejected.
//! Hand-written rather than nom: the format is small, and the bounds rules above are the
//! whole point, so they are spelled out here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 16;
/// Most address answers kept per message.
pub const MAX_ADDRS: usize = 8;

/// What pcap-rca keeps of a DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub is_response: bool,
    pub opcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub recursion_desired: bool,
    pub recursion_available: bool,
    /// Full response code: the header's 4 bits plus the EDNS extended bits.
    pub rcode: u16,
    /// First question: name (lower case, no trailing dot; "." for the root), type, class.
    pub qname: String,
    pub qtype: u16,
    pub qclass: u16,
    pub question_count: u16,
    pub answer_count: u16,
    /// Addresses of A/AAAA answers (up to [`MAX_ADDRS`]).
    pub addrs: Vec<IpAddr>,
    /// Extended DNS error info-codes (RFC 8914) from the OPT record.
    pub ede: Vec<u16>,
    /// The message was cut short after the question (answers not all read).
    pub partial: bool,
}

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    /// Shorter than its header or its question.
    Truncated,
    /// A name with a forward or looping pointer, a bad label, or longer than 255 bytes.
    BadName,
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u16(&mut self) -> Option<u16> {
        let s = self.b.get(self.pos..self.pos + 2)?;
        self.pos += 2;
        Some(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let s = self.b.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
}

/// Longest name text [`read_name`] writes: 255 bytes of labels and length bytes, each label
/// byte at most 4 characters (`\ddd`), a dot in place of each length byte but the first.
const MAX_NAME_TEXT: usize = 4 * 255;

/// Reads a possibly compressed name starting at `start`; returns it and the offset just after
/// it in the original position (after the first pointer, if any). The name is written only
/// when `out` asks for it, built on the stack and allocated once, at its size.
fn read_name(msg: &[u8], start: usize, out: Option<&mut String>) -> Result<usize, DnsError> {
    let Some(out) = out else {
        return walk_name(msg, start, |_| {});
    };
    let mut name = [0u8; MAX_NAME_TEXT];
    let mut n = 0usize;
    let end = walk_name(msg, start, |label| {
        if n > 0 {
            name[n] = b'.';
            n += 1;
        }
        for &c in label {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_graphic() && c != b'.' {
                name[n] = c;
                n += 1;
            } else {
                name[n..n + 4].copy_from_slice(&[
                    b'\\',
                    b'0' + c / 100,
                    b'0' + c / 10 % 10,
                    b'0' + c % 10,
                ]);
                n += 4;
            }
        }
    })?;
    // Only ASCII was written.
    *out = match std::str::from_utf8(&name[..n]) {
        Ok("") | Err(_) => ".".into(),
        Ok(s) => s.to_owned(),
    };
    Ok(end)
}

/// Walks a possibly compressed name starting at `start`, giving each label to `label` (at
/// most 255 bytes of labels and length bytes in all); returns the offset just after it in
/// the original position (after the first pointer, if any).
fn walk_name(msg: &[u8], start: usize, mut label: impl FnMut(&[u8])) -> Result<usize, DnsError> {
    let mut pos = start;
    let mut after = None;
    let mut pointers = 0;
    let mut len = 0usize;
    loop {
        let l = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match l & 0xc0 {
            0x00 => {
                if l == 0 {
                    pos += 1;
                    break;
                }
                let bytes = msg
                    .get(pos + 1..pos + 1 + l as usize)
                    .ok_or(DnsError::Truncated)?;
                len += l as usize + 1;
                if len > 255 {
                    return Err(DnsError::BadName);
                }
                label(bytes);
                pos += 1 + l as usize;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = (((l & 0x3f) as usize) << 8) | lo as usize;
                // Only backwards pointers, and not too many: no loops.
                if target >= pos || pointers >= MAX_POINTERS {
                    return Err(DnsError::BadName);
                }
                pointers += 1;
                after.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadName),
        }
    }
    Ok(after.unwrap_or(pos))
}

/// Parses a DNS message (without the TCP length prefix).
pub fn parse(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    let mut r = Reader { b: msg, pos: 0 };
    let id = r.u16().ok_or(DnsError::Truncated)?;
    let flags = r.u16().ok_or(DnsError::Truncated)?;
    let qd = r.u16().ok_or(DnsError::Truncated)?;
    let an = r.u16().ok_or(DnsError::Truncated)?;
    let ns = r.u16().ok_or(DnsError::Truncated)?;
    let ar = r.u16().ok_or(DnsError::Truncated)?;
    let mut m = DnsMessage {
        id,
        is_response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0f) as u8,
        authoritative: flags & 0x0400 != 0,
        truncated: flags & 0x0200 != 0,
        recursion_desired: flags & 0x0100 != 0,
        recursion_available: flags & 0x0080 != 0,
        rcode: flags & 0x000f,
        qname: String::new(),
        qtype: 0,
        qclass: 0,
        question_count: qd,
        answer_count: an,
        addrs: Vec::new(),
        ede: Vec::new(),
        partial: false,
    };
    // Questions: the first is kept, the others skipped.
    for i in 0..qd {
        let out = if i == 0 { Some(&mut m.qname) } else { None };
        r.pos = read_name(msg, r.pos, out)?;
        let t = r.u16().ok_or(DnsError::Truncated)?;
        let c = r.u16().ok_or(DnsError::Truncated)?;
        if i == 0 {
            m.qtype = t;
            m.qclass = c;
        }
    }
    // Resource records: answers, authority, additional. A short tail only marks it partial.
    let total = an as u32 + ns as u32 + ar as u32;
    for i in 0..total {
        let Some(()) = record(msg, &mut r, &mut m, i < an as u32) else {
            m.partial = true;
            break;
        };
    }
    Ok(m)
}

fn record(msg: &[u8], r: &mut Reader<'_>, m: &mut DnsMessage, is_answer: bool) -> Option<()> {
    r.pos = read_name(msg, r.pos, None).ok()?;
    let rtype = r.u16()?;
    let _class = r.u16()?;
    let ttl = r.u32()?;
    let rdlen = r.u16()? as usize;
    let rdata = r.take(rdlen)?;
    match rtype {
        1 if is_answer && rdlen == 4 && m.addrs.len() < MAX_ADDRS => {
            m.addrs.push(IpAddr::V4(Ipv4Addr::new(
                rdata[0], rdata[1], rdata[2], rdata[3],
            )));
        }
        28 if is_answer && rdlen == 16 && m.addrs.len() < MAX_ADDRS => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rdata);
            m.addrs.push(IpAddr::V6(Ipv6Addr::from(a)));
        }
        41 => {
            // OPT: the TTL field carries the extended rcode's upper 8 bits.
            m.rcode |= ((ttl >> 24) as u16) << 4;
            let mut o = Reader { b: rdata, pos: 0 };
            while let (Some(code), Some(len)) = (o.u16(), o.u16()) {
                let Some(data) = o.take(len as usize) else {
                    break;
                };
                if code == 15 && data.len() >= 2 && m.ede.len() < 8 {
                    m.ede.push(u16::from_be_bytes([data[0], data[1]]));
                }
            }
        }
        _ => {}
    }
    Some(())
}

/// DNS response codes (RFC 6895 registry) as decoded here.
// A table of the protocol's numbers: entries no detector compares yet still name the value.
#[allow(dead_code)]
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// The server could not answer (its upstream or the zone's servers failed).
    pub const SERVFAIL: u16 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u16 = 3;
    /// The server refuses to answer this client.
    pub const REFUSED: u16 = 5;
}

/// Name of a response code (RFC 6895 registry), or `RCODE<n>`.
pub fn rcode_name(rcode: u16) -> String {
    let n = match rcode {
        rcode::NOERROR => "NOERROR",
        1 => "FORMERR",
        rcode::SERVFAIL => "SERVFAIL",
        rcode::NXDOMAIN => "NXDOMAIN",
        4 => "NOTIMP",
        rcode::REFUSED => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return format!("RCODE{rcode}"),
    };
    n.to_string()
}

/// Name of a query type, or `TYPE<n>`.
pub fn qtype_name(t: u16) -> String {
    let n = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        43 => "DS",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real response: fpdk.example A -> 10.0.0.5 (dnsmasq), with an OPT record.
    fn response() -> Vec<u8> {
        let mut m = vec![
            0x7f, 0x6b, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 1, // header
            4, b'f', b'p', b'd', b'k', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0, 0, 1, 0, 1,
            0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 5, // answer via pointer
            0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0, // OPT
        ];
        m.truncate(m.len());
        m
    }

    #[test]
    fn parse_response_with_pointer_and_opt() {
        let m = parse(&response()).unwrap();
        assert_eq!(m.id, 0x7f6b);
        assert!(m.is_response && m.authoritative && m.recursion_available);
        assert_eq!(m.qname, "fpdk.example");
        assert_eq!(m.qtype, 1);
        assert_eq!(m.addrs, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))]);
        assert_eq!(m.rcode, 0);
        assert!(!m.partial);
    }

    #[test]
    fn extended_rcode_and_ede() {
        let mut b = response();
        let n = b.len();
        // OPT TTL upper byte 1 -> extended rcode 16 (BADVERS) with header rcode 0.
        b[n - 6] = 1;
        let m = parse(&b).unwrap();
        assert_eq!(rcode_name(m.rcode), "BADVERS");
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        // Question name is a pointer to itself.
        let m = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        assert_eq!(parse(&m), Err(DnsError::BadName));
        // Forward pointer.
        let m = [
            0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1, 0, 0, 0,
        ];
        assert_eq!(parse(&m), Err(DnsError::BadName));
    }

    #[test]
    fn truncated_names_and_counts_larger_than_the_message() {
        let full = response();
        for cut in 0..30 {
            assert!(parse(&full[..cut]).is_err(), "cut {cut}");
        }
        // Cut in the answers: the question survives, the message is marked partial.
        let m = parse(&full[..35]).unwrap();
        assert!(m.partial);
        assert_eq!(m.qname, "fpdk.example");
        // 65535 answers claimed, none present.
        let mut b = full[..30].to_vec();
        b[6] = 0xff;
        b[7] = 0xff;
        let m = parse(&b).unwrap();
        assert!(m.partial && m.addrs.is_empty());
    }

    #[test]
    fn long_names_are_rejected() {
        let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..5 {
            m.push(63);
            m.extend(std::iter::repeat_n(b'a', 63));
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse(&m), Err(DnsError::BadName));
    }

    /// Names are lowercased, odd bytes written `\ddd`, the root `.`; the longest name of
    /// escaped bytes fits the text buffer.
    #[test]
    fn names_are_written_as_zone_file_text() {
        let question = |name: &[u8]| {
            let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(name);
            m.extend_from_slice(&[0, 1, 0, 1]);
            parse(&m).map(|m| m.qname)
        };
        assert_eq!(
            question(b"\x04A b.\x03Com\x00").as_deref(),
            Ok("a\\032b\\046.com")
        );
        assert_eq!(question(&[0]).as_deref(), Ok("."));
        assert_eq!(
            question(&[3, 0, 255, 9, 0]).as_deref(),
            Ok("\\000\\255\\009")
        );
        // 255 bytes of labels and lengths, every label byte escaped.
        let mut long = Vec::new();
        for _ in 0..3 {
            long.push(63);
            long.extend_from_slice(&[0u8; 63]);
        }
        long.push(62);
        long.extend_from_slice(&[0u8; 62]);
        long.push(0);
        let name = question(&long).unwrap();
        assert_eq!(name.len(), 4 * 251 + 3);
        long[192] = 63;
        long.splice(193..193, [0u8]);
        assert!(question(&long).is_err());
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        let base = response();
        for i in 0..base.len() {
            for v in [0u8, 0x3f, 0xc0, 0xff] {
                let mut b = base.clone();
                b[i] = v;
                let _ = parse(&b);
            }
        }
    }
}
