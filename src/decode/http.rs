//! HTTP/1.x message heads from one direction of a TCP stream, on any port.
//!
//! Feed in-order stream bytes with [`HttpStream::push`]; it yields one [`HttpHead`] per
//! request or response head (parsed with `httparse`) and skips bodies by `Content-Length` or
//! chunked framing without buffering them. Only a head is ever buffered, up to
//! [`MAX_HEAD`] bytes; a longer or malformed head stops the parsing of that direction.
//! Request bodies are hashed (FNV-1a over at most [`HASH_BODY`] bytes) so repeated identical
//! requests can be recognised.

/// Largest head buffered.
pub const MAX_HEAD: usize = 16 * 1024;
/// Body bytes hashed per request.
pub const HASH_BODY: u64 = 64 * 1024;
/// Longest URI kept (characters).
const MAX_URI: usize = 256;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A parsed request or response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    /// Requests: method, URI, Host. Responses: status and reason.
    pub method: Option<String>,
    pub uri: Option<String>,
    pub host: Option<String>,
    pub status: Option<u16>,
    pub reason: Option<String>,
    /// `Retry-After` and the scheme of `WWW-Authenticate`.
    pub retry_after: Option<String>,
    pub auth_scheme: Option<String>,
    /// Body length announced (`None`: chunked or until close).
    pub content_length: Option<u64>,
    /// Stream offset where the head started (to find its frame and time).
    pub offset: u64,
}

/// A request's body hash, available once the body has been skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDone {
    /// Index of the head (among this stream's heads) the body belongs to.
    pub head: usize,
    pub hash: u64,
    pub len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    /// Chunked: reading a size line.
    ChunkSize,
    ChunkData(u64),
    /// CRLF after chunk data.
    ChunkEnd(u8),
    /// Trailer lines after the last chunk.
    Trailer,
    /// Until the connection closes (responses without length).
    UntilClose,
}

/// Parser state of one direction.
#[derive(Debug, Clone)]
pub struct HttpStream {
    is_request: bool,
    head: Vec<u8>,
    line: Vec<u8>,
    body: Body,
    offset: u64,
    heads: usize,
    hash: u64,
    head_start: u64,
    body_len: u64,
    /// Stopped: malformed input or a head too long.
    pub broken: bool,
    /// Heads httparse refused that were read leniently.
    pub lenient_heads: u32,
    /// Responses to HEAD requests and 1xx/204/304 have no body: the caller says which
    /// request each response answers.
    pub next_response_bodyless: bool,
}

impl HttpStream {
    pub fn new(is_request: bool) -> HttpStream {
        HttpStream {
            is_request,
            head: Vec::new(),
            line: Vec::new(),
            body: Body::None,
            offset: 0,
            heads: 0,
            hash: FNV_OFFSET,
            head_start: 0,
            body_len: 0,
            broken: false,
            lenient_heads: 0,
            next_response_bodyless: false,
        }
    }

    /// Whether `b` looks like the start of an HTTP/1.x request.
    pub fn looks_like_request(b: &[u8]) -> bool {
        const METHODS: [&[u8]; 9] = [
            b"GET ",
            b"POST ",
            b"PUT ",
            b"HEAD ",
            b"DELETE ",
            b"OPTIONS ",
            b"PATCH ",
            b"CONNECT ",
            b"TRACE ",
        ];
        METHODS.iter().any(|m| b.starts_with(m))
    }

    /// Consumes stream bytes; returns heads completed and request bodies finished.
    pub fn push(&mut self, mut data: &[u8], heads: &mut Vec<HttpHead>, bodies: &mut Vec<BodyDone>) {
        while !data.is_empty() && !self.broken {
            match self.body {
                Body::None => {
                    if self.head.is_empty() {
                        self.head_start = self.offset;
                    }
                    let take = data
                        .len()
                        .min(MAX_HEAD + 4 - self.head.len().min(MAX_HEAD + 4));
                    let before = self.head.len();
                    self.head.extend_from_slice(&data[..take]);
                    match self.parse_head() {
                        // A head that ends inside bytes already kept (only the lenient
                        // reader could say so) cannot be placed: stop rather than guess.
                        Some(Ok((_, used))) if used < before => self.broken = true,
                        Some(Ok((h, used))) => {
                            let consumed = used - before;
                            data = &data[consumed..];
                            self.offset += consumed as u64;
                            self.head.clear();
                            heads.push(h);
                            self.heads += 1;
                            if self.body == Body::None && self.is_request {
                                bodies.push(BodyDone {
                                    head: self.heads - 1,
                                    hash: FNV_OFFSET,
                                    len: 0,
                                });
                            }
                        }
                        Some(Err(())) => self.broken = true,
                        None => {
                            if self.head.len() > MAX_HEAD {
                                self.broken = true;
                            }
                            self.offset += take as u64;
                            data = &data[take..];
                        }
                    }
                }
                Body::Length(n) => {
                    let left = self.take_body(n, &mut data);
                    self.body = if left == 0 {
                        Body::None
                    } else {
                        Body::Length(left)
                    };
                    if left == 0 {
                        self.finish_body(bodies);
                    }
                }
                Body::UntilClose => {
                    self.offset += data.len() as u64;
                    data = &[];
                }
                Body::ChunkData(n) => {
                    let left = self.take_body(n, &mut data);
                    self.body = if left == 0 {
                        Body::ChunkEnd(2)
                    } else {
                        Body::ChunkData(left)
                    };
                }
                Body::ChunkEnd(n) => {
                    let k = (n as usize).min(data.len());
                    data = &data[k..];
                    self.offset += k as u64;
                    let left = n - k as u8;
                    self.body = if left == 0 {
                        Body::ChunkSize
                    } else {
                        Body::ChunkEnd(left)
                    };
                }
                Body::ChunkSize | Body::Trailer => {
                    let Some(nl) = data.iter().position(|&c| c == b'\n') else {
                        if self.line.len() + data.len() > 1024 {
                            self.broken = true;
                        }
                        self.line.extend_from_slice(data);
                        self.offset += data.len() as u64;
                        data = &[];
                        continue;
                    };
                    self.line.extend_from_slice(&data[..nl]);
                    data = &data[nl + 1..];
                    self.offset += nl as u64 + 1;
                    let line = std::mem::take(&mut self.line);
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim();
                    if self.body == Body::Trailer {
                        if text.is_empty() {
                            self.body = Body::None;
                            self.finish_body(bodies);
                        }
                        continue;
                    }
                    let hex = text.split(';').next().unwrap_or("").trim();
                    match u64::from_str_radix(hex, 16) {
                        Ok(0) => self.body = Body::Trailer,
                        Ok(n) => self.body = Body::ChunkData(n),
                        Err(_) => self.broken = true,
                    }
                }
            }
        }
    }

    /// Takes up to `n` body bytes from the front of `data` (hashing them); returns how many
    /// of the `n` are still to come.
    fn take_body(&mut self, n: u64, data: &mut &[u8]) -> u64 {
        let k = (n as usize).min(data.len());
        self.hash_body(&data[..k]);
        *data = &data[k..];
        self.offset += k as u64;
        n - k as u64
    }

    fn hash_body(&mut self, b: &[u8]) {
        if self.is_request {
            let room = HASH_BODY.saturating_sub(self.body_len) as usize;
            for &c in &b[..b.len().min(room)] {
                self.hash = (self.hash ^ c as u64).wrapping_mul(FNV_PRIME);
            }
        }
        self.body_len += b.len() as u64;
    }

    fn finish_body(&mut self, bodies: &mut Vec<BodyDone>) {
        if self.is_request {
            bodies.push(BodyDone {
                head: self.heads - 1,
                hash: self.hash,
                len: self.body_len,
            });
        }
        self.hash = FNV_OFFSET;
        self.body_len = 0;
    }

    /// Tries to parse the buffered head: `None` when incomplete. What httparse refuses is
    /// read leniently (see [`lenient`]) and counted in `lenient_heads`.
    fn parse_head(&mut self) -> Option<Result<(HttpHead, usize), ()>> {
        let mut hdrs = [httparse::EMPTY_HEADER; 64];
        let start = self.head_start;
        let head = std::mem::take(&mut self.head);
        let parsed = if self.is_request {
            let mut req = httparse::Request::new(&mut hdrs);
            match req.parse(&head) {
                Ok(httparse::Status::Complete(n)) => {
                    let f = fields(req.headers);
                    let method = req.method.map(|m| m.as_bytes()).unwrap_or_default();
                    let path = req.path.map(|p| p.as_bytes()).unwrap_or_default();
                    Some(Ok(self.request_head(&f, method, path, start, n)))
                }
                Ok(httparse::Status::Partial) => None,
                Err(_) => self.lenient_head(&head, start),
            }
        } else {
            let mut resp = httparse::Response::new(&mut hdrs);
            match resp.parse(&head) {
                Ok(httparse::Status::Complete(n)) => {
                    let f = fields(resp.headers);
                    let reason = resp.reason.map(|r| r.as_bytes()).unwrap_or_default();
                    Some(Ok(self.response_head(&f, resp.code, reason, start, n)))
                }
                Ok(httparse::Status::Partial) => None,
                Err(_) => self.lenient_head(&head, start),
            }
        };
        self.head = head;
        parsed
    }

    /// A head httparse refused, read leniently.
    fn lenient_head(&mut self, head: &[u8], start: u64) -> Option<Result<(HttpHead, usize), ()>> {
        match lenient(head, self.is_request)? {
            Err(()) => Some(Err(())),
            Ok(l) => {
                self.lenient_heads += 1;
                Some(Ok(if self.is_request {
                    self.request_head(&l.fields, l.start.0, l.start.1, start, l.len)
                } else {
                    let code = std::str::from_utf8(l.start.0).ok().and_then(|c| c.parse().ok());
                    self.response_head(&l.fields, code, l.start.1, start, l.len)
                }))
            }
        }
    }

    fn request_head(&mut self, f: &Fields<'_>, method: &[u8], path: &[u8], start: u64, n: usize) -> (HttpHead, usize) {
        let mut h = head_from(f);
        h.method = Some(text(method, 16));
        h.uri = Some(text(path, MAX_URI));
        h.offset = start;
        self.body = match (h.content_length, is_chunked(f)) {
            (_, true) => Body::ChunkSize,
            (Some(n), false) if n > 0 => Body::Length(n),
            _ => Body::None,
        };
        (h, n)
    }

    fn response_head(&mut self, f: &Fields<'_>, code: Option<u16>, reason: &[u8], start: u64, n: usize) -> (HttpHead, usize) {
        let mut h = head_from(f);
        h.status = code;
        h.reason = Some(text(reason, 64));
        h.offset = start;
        let code = code.unwrap_or(0);
        let bodyless = std::mem::take(&mut self.next_response_bodyless)
            || (100..200).contains(&code)
            || code == 204
            || code == 304;
        self.body = if bodyless {
            Body::None
        } else {
            match (h.content_length, is_chunked(f)) {
                (_, true) => Body::ChunkSize,
                (Some(0), false) => Body::None,
                (Some(n), false) => Body::Length(n),
                (None, false) => Body::UntilClose,
            }
        };
        (h, n)
    }
}

/// A head's header fields as (name, value), from httparse or from the lenient reader.
type Fields<'a> = Vec<(&'a str, &'a [u8])>;

fn fields<'a>(hs: &'a [httparse::Header<'a>]) -> Fields<'a> {
    hs.iter().map(|h| (h.name, h.value)).collect()
}

fn header<'a>(hs: &Fields<'a>, name: &str) -> Option<&'a str> {
    hs.iter()
        .find(|h| h.0.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.1).ok())
        .map(str::trim)
}

fn is_chunked(hs: &Fields<'_>) -> bool {
    header(hs, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// What a head says, read leniently, as Wireshark does, when httparse refuses it (a control
/// character in a header value or the reason phrase, a space in a URI, a bare LF): the
/// start line split at spaces, header lines split at their first colon, lines that are
/// neither skipped. `None` when even the start line cannot be read.
struct Lenient<'a> {
    /// Method and target (request), or status and reason (response).
    start: (&'a [u8], &'a [u8]),
    fields: Fields<'a>,
    /// Bytes of the head, blank line included.
    len: usize,
}

/// The end of the head in `b` (after its blank line), CRLF or bare LF.
fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(nl) = b[i..].iter().position(|&c| c == b'\n') {
        let at = i + nl + 1;
        match b.get(at..) {
            Some([b'\n', ..]) => return Some(at + 1),
            Some([b'\r', b'\n', ..]) => return Some(at + 2),
            _ => i = at,
        }
    }
    None
}

fn lenient(b: &[u8], is_request: bool) -> Option<Result<Lenient<'_>, ()>> {
    let Some(len) = head_end(b) else {
        return None; // not complete yet (the caller caps the size)
    };
    let mut lines = b[..len]
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let mut parts = first.splitn(3, |&c| c == b' ');
    let (a, b2, c) = (parts.next()?, parts.next(), parts.next());
    let start = if is_request {
        // METHOD TARGET HTTP/x.y (a target with spaces keeps them)
        let method_ok = !a.is_empty() && a.iter().all(u8::is_ascii_uppercase);
        let target = first.get(a.len() + 1..)?;
        let target = match target.iter().rposition(|&c| c == b' ') {
            Some(sp) if target[sp + 1..].starts_with(b"HTTP/") => &target[..sp],
            _ => return Some(Err(())),
        };
        if !method_ok || target.is_empty() {
            return Some(Err(()));
        }
        (a, target)
    } else {
        let code = b2.unwrap_or_default();
        if !a.starts_with(b"HTTP/") || code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
            return Some(Err(()));
        }
        (code, c.unwrap_or_default())
    };
    let fields = lines
        .filter_map(|l| {
            let colon = l.iter().position(|&c| c == b':')?;
            let name = std::str::from_utf8(&l[..colon]).ok()?.trim();
            (!name.is_empty() && !name.contains(' ')).then(|| (name, &l[colon + 1..]))
        })
        .collect();
    Some(Ok(Lenient { start, fields, len }))
}

/// Text of wire bytes, invalid UTF-8 replaced, at most `max` characters.
fn text(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(b).chars().take(max).collect()
}

fn head_from(hs: &Fields<'_>) -> HttpHead {
    HttpHead {
        method: None,
        uri: None,
        host: header(hs, "host")
            .map(|h| h.chars().take(128).collect::<String>().to_ascii_lowercase()),
        status: None,
        reason: None,
        retry_after: header(hs, "retry-after").map(|v| v.chars().take(64).collect()),
        auth_scheme: header(hs, "www-authenticate")
            .and_then(|v| v.split_whitespace().next())
            .map(|s| s.trim_end_matches(',').chars().take(32).collect()),
        content_length: header(hs, "content-length").and_then(|v| v.parse().ok()),
        offset: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any bytes, HTTP-looking or not, cut anywhere: no panic, whatever httparse and the
        /// lenient reader make of them.
        #[test]
        fn any_bytes_cut_anywhere_never_panic(
            prefix in proptest::sample::select(vec![&b""[..], b"GET / HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n", b"POST /a b HTTP/1.0\n"]),
            body in proptest::collection::vec(proptest::sample::select(vec![b'\r', b'\n', b' ', b':', b'A', b'\x01', b'H', b'0']), 0..80),
            cuts in proptest::collection::vec(0usize..100, 0..4),
            is_request in proptest::bool::ANY,
        ) {
            let mut data = prefix.to_vec();
            data.extend_from_slice(&body);
            let mut st = HttpStream::new(is_request);
            let (mut h, mut b) = (Vec::new(), Vec::new());
            let mut at = 0;
            let mut cuts = cuts;
            cuts.sort();
            for c in cuts.into_iter().map(|c| c.min(data.len())).chain([data.len()]) {
                if c > at {
                    st.push(&data[at..c], &mut h, &mut b);
                    at = c;
                }
            }
        }
    }

    #[test]
    fn heads_httparse_refuses_are_read_leniently_as_wireshark_does() {
        // A control character in the reason phrase and in a header value.
        let resp = b"HTTP/1.1 500 Internal\x01Error\r\nContent-Length: 2\r\nX-Trace: a\x1bb\r\n\r\nokHTTP/1.1 500 again\r\nContent-Length: 0\r\n\r\n";
        let mut st = HttpStream::new(false);
        let (mut h, mut b) = (Vec::new(), Vec::new());
        st.push(resp, &mut h, &mut b);
        assert!(!st.broken);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0].status, Some(500));
        assert_eq!(h[0].reason.as_deref(), Some("Internal\u{1}Error"));
        assert_eq!(h[1].status, Some(500));
        assert_eq!(st.lenient_heads, 1);
        // A space in the target and a bare LF.
        let req = b"GET /a b.html HTTP/1.1\nHost: x\n\n";
        let mut st = HttpStream::new(true);
        let (mut h, mut b) = (Vec::new(), Vec::new());
        st.push(req, &mut h, &mut b);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].uri.as_deref(), Some("/a b.html"));
        assert_eq!(h[0].host.as_deref(), Some("x"));
        // Not HTTP at all: still broken.
        let mut st = HttpStream::new(false);
        st.push(b"SSH-2.0-OpenSSH\r\n\r\n", &mut Vec::new(), &mut Vec::new());
        assert!(st.broken);
    }

    fn run(is_request: bool, chunks: &[&[u8]]) -> (Vec<HttpHead>, Vec<BodyDone>, bool) {
        let mut s = HttpStream::new(is_request);
        let (mut h, mut b) = (Vec::new(), Vec::new());
        for c in chunks {
            s.push(c, &mut h, &mut b);
        }
        (h, b, s.broken)
    }

    #[test]
    fn pipelined_requests_with_bodies_split_anywhere() {
        let msg: &[u8] = b"POST /invoice HTTP/1.1\r\nHost: FPDK.example:8081\r\nContent-Length: 5\r\n\r\nhelloGET /health HTTP/1.1\r\nHost: fpdk.example\r\n\r\n";
        for cut in 0..msg.len() {
            let (h, b, broken) = run(true, &[&msg[..cut], &msg[cut..]]);
            assert!(!broken, "cut {cut}");
            assert_eq!(h.len(), 2, "cut {cut}");
            assert_eq!(h[0].method.as_deref(), Some("POST"));
            assert_eq!(h[0].host.as_deref(), Some("fpdk.example:8081"));
            assert_eq!(h[1].uri.as_deref(), Some("/health"));
            assert_eq!(h[1].offset, 75);
            assert_eq!(b.len(), 2);
            assert_eq!(b[0].len, 5);
        }
    }

    #[test]
    fn chunked_response_then_next_response() {
        let msg: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n";
        for cut in 0..msg.len() {
            let (h, _, broken) = run(false, &[&msg[..cut], &msg[cut..]]);
            assert!(!broken, "cut {cut}");
            assert_eq!(h.len(), 2, "cut {cut}");
            assert_eq!(h[1].status, Some(503));
            assert_eq!(h[1].retry_after.as_deref(), Some("120"));
        }
    }

    #[test]
    fn identical_bodies_hash_alike() {
        let a: &[u8] = b"POST /i HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let (_, b1, _) = run(true, &[a]);
        let (_, b2, _) = run(true, &[&a[..20], &a[20..]]);
        assert_eq!(b1[0].hash, b2[0].hash);
        let (_, b3, _) = run(true, &[b"POST /i HTTP/1.1\r\nContent-Length: 3\r\n\r\nabd"]);
        assert_ne!(b1[0].hash, b3[0].hash);
    }

    #[test]
    fn garbage_and_endless_heads_stop_parsing() {
        let (_, _, broken) = run(false, &[b"\x16\x03\x01\x02\x00garbage\r\n\r\n"]);
        assert!(broken);
        let big = vec![b'a'; MAX_HEAD + 10];
        let (_, _, broken) = run(true, &[b"GET /", &big]);
        assert!(broken);
    }
}
