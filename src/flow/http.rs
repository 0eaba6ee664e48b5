//! HTTP/1.x exchanges of one TCP flow: both directions reassembled in order, heads parsed by
//! [`crate::decode::http`], requests paired with responses first-in first-out (pipelining and
//! keep-alive). A request or response is attributed to the frame that completes its head, as
//! Wireshark shows it. A gap in a direction (capture loss) stops the parsing of that
//! direction rather than guessing.

use std::collections::VecDeque;
use std::net::IpAddr;

use crate::decode::http::{BodyDone, HttpHead, HttpStream};
use crate::event::HttpEvent;
use crate::decode::{Packet, TcpInfo};

/// Requests waiting for their response, per flow.
const MAX_PENDING: usize = 64;

#[derive(Debug, Clone)]
pub struct HttpFlow {
    streams: [HttpStream; 2],
    order: [super::InOrder; 2],
    pending: VecDeque<HttpEvent>,
    /// Request heads seen (index of the next one), to place body hashes.
    req_heads: usize,
}

impl HttpFlow {
    pub fn new() -> HttpFlow {
        HttpFlow {
            streams: [HttpStream::new(true), HttpStream::new(false)],
            order: [super::InOrder::default(); 2],
            pending: VecDeque::new(),
            req_heads: 0,
        }
    }

    /// Heads read leniently, and directions abandoned as unreadable.
    pub fn quality(&self) -> (u64, u64) {
        let lenient = self.streams.iter().map(|s| s.lenient_heads as u64).sum();
        let broken = self.streams.iter().filter(|s| s.broken).count() as u64;
        (lenient, broken)
    }

    /// Sets where direction `dir`'s stream continues (the next sequence number expected).
    pub fn sync(&mut self, dir: usize, seq: u32) {
        self.order[dir].sync(seq);
    }

    /// One segment; `dir` 0 is the originator (client), 1 the responder.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        dir: usize,
        t: &TcpInfo,
        payload: &[u8],
        p: &Packet,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        out: &mut Vec<HttpEvent>,
    ) {
        if self.streams[dir].broken {
            return;
        }
        let Some(payload) = self.order[dir].accept(t, payload) else {
            return;
        };
        let mut heads: Vec<HttpHead> = Vec::new();
        let mut bodies: Vec<BodyDone> = Vec::new();
        if dir == 1 {
            self.streams[1].next_response_bodyless =
                self.pending.front().is_some_and(|r| r.method == "HEAD");
        }
        self.streams[dir].push(payload, &mut heads, &mut bodies);
        if dir == 0 {
            for h in heads {
                if self.pending.len() >= MAX_PENDING {
                    break;
                }
                self.pending.push_back(HttpEvent {
                    capture: p.capture,
                    client: client.0,
                    client_port: client.1,
                    server: server.0,
                    server_port: server.1,
                    req_frame: p.frame,
                    req_ts_ns: p.ts_ns,
                    method: h.method.unwrap_or_default(),
                    uri: h.uri.unwrap_or_default(),
                    host: h.host,
                    body_hash: 0,
                    body_len: 0,
                    resp_frame: None,
                    resp_ts_ns: None,
                    status: None,
                    reason: None,
                    retry_after: None,
                    auth_scheme: None,
                });
                self.req_heads += 1;
            }
            for b in bodies {
                // Body of head #b.head: find it among the pending requests (counted from the
                // most recent head backwards).
                let back = self.req_heads.saturating_sub(b.head + 1);
                let n = self.pending.len();
                if back < n {
                    let r = &mut self.pending[n - 1 - back];
                    r.body_hash = b.hash;
                    r.body_len = b.len;
                }
            }
        } else {
            for h in heads {
                // Interim 1xx responses do not answer the request.
                if h.status.is_some_and(|s| (100..200).contains(&s)) {
                    continue;
                }
                let Some(mut r) = self.pending.pop_front() else {
                    continue;
                };
                r.resp_frame = Some(p.frame);
                r.resp_ts_ns = Some(p.ts_ns);
                r.status = h.status;
                r.reason = h.reason;
                r.retry_after = h.retry_after;
                r.auth_scheme = h.auth_scheme;
                out.push(r);
            }
        }
    }

    /// The flow ended: requests never answered.
    pub fn flush(&mut self, out: &mut Vec<HttpEvent>) {
        out.extend(self.pending.drain(..));
    }
}

impl Default for HttpFlow {
    fn default() -> Self {
        HttpFlow::new()
    }
}
