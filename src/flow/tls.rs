//! TLS handshakes of one TCP flow: both directions reassembled in order and parsed by
//! [`crate::decode::tls`]; at the end of the flow one [`TlsSession`] summarises the offer,
//! the answer, the alerts (who sent them, at which step) and the encrypted records each side
//! sent, which is what a TLS 1.3 abort is inferred from.

use std::net::IpAddr;

use crate::decode::tls::{TlsItem, TlsStream};
use crate::event::{TlsAlert, TlsSession};
use crate::decode::{Packet, TcpInfo};

const MAX_ALERTS: usize = 8;

/// Application-data records from the client after which a handshake's outcome is settled
/// (TLS 1.3 counts the client's encrypted Finished among them). Record counts stop there.
pub const SETTLED_APP_RECORDS: u32 = 3;

#[derive(Debug, Clone)]
pub struct TlsFlow {
    streams: [TlsStream; 2],
    order: [super::InOrder; 2],
    session: TlsSession,
    step: &'static str,
    /// The outcome is known (both sides encrypt and the client sent application data): the
    /// rest of the connection is encrypted records that say nothing more, so they are not
    /// reassembled (on a busy HTTPS capture this was the largest copy of payload bytes).
    settled: bool,
    /// What the last segment said (a buffer kept between segments).
    items: Vec<TlsItem>,
}

impl TlsFlow {
    pub fn new(p: &Packet, client: (IpAddr, u16), server: (IpAddr, u16)) -> TlsFlow {
        TlsFlow {
            streams: [TlsStream::default(), TlsStream::default()],
            order: [super::InOrder::default(); 2],
            session: TlsSession {
                capture: p.capture,
                client: client.0,
                client_port: client.1,
                server: server.0,
                server_port: server.1,
                first_frame: p.frame,
                first_ts_ns: p.ts_ns,
                last_ts_ns: p.ts_ns,
                offer: None,
                client_hello_frame: None,
                server_hello: None,
                hello_retry: None,
                key_exchange: None,
                certificates: 0,
                cert_requested: false,
                alerts: Vec::new(),
                client_encrypted: 0,
                server_encrypted: 0,
                client_first_encrypted_len: None,
                client_first_encrypted_frame: None,
                client_app_records: 0,
                certs: Default::default(),
                cert_frame: None,
                cert_ts_ns: 0,
            },
            step: "the start",
            settled: false,
            items: Vec::new(),
        }
    }

    /// Sets where direction `dir`'s stream continues.
    pub fn sync(&mut self, dir: usize, seq: u32) {
        self.order[dir].sync(seq);
    }

    /// One segment; `dir` 0 is the client, 1 the server.
    pub fn segment(&mut self, dir: usize, t: &TcpInfo, payload: &[u8], p: &Packet) {
        self.session.last_ts_ns = self.session.last_ts_ns.max(p.ts_ns);
        if self.settled || self.streams[dir].broken {
            return;
        }
        let Some(payload) = self.order[dir].accept(t, payload) else {
            return;
        };
        let mut items = std::mem::take(&mut self.items);
        self.streams[dir].push(payload, &mut items);
        let s = &mut self.session;
        for it in items.drain(..) {
            match it {
                TlsItem::ClientHello => {
                    s.client_hello_frame.get_or_insert(p.frame);
                    self.step = "ClientHello";
                }
                TlsItem::ServerHello { version, suite } => {
                    s.server_hello.get_or_insert((p.frame, version, suite));
                    self.step = "ServerHello";
                }
                TlsItem::HelloRetryRequest { group, .. } => {
                    s.hello_retry.get_or_insert((p.frame, group));
                    self.step = "HelloRetryRequest";
                }
                TlsItem::KeyExchange(kx) => {
                    // Part of the server's flight: alerts stay "after the server's Certificate".
                    s.key_exchange.get_or_insert((p.frame, p.ts_ns, kx));
                }
                TlsItem::CertificateRequest => {
                    s.cert_requested = true;
                    self.step = "CertificateRequest";
                }
                TlsItem::Certificate { count } => {
                    if dir == 1 {
                        s.certificates = count;
                        if s.certs.is_empty() {
                            // Taken, not copied: the stream keeps only the first chain.
                            s.certs =
                                std::sync::Arc::new(std::mem::take(&mut self.streams[1].certs));
                            s.cert_frame = Some(p.frame);
                            s.cert_ts_ns = p.ts_ns;
                        }
                        self.step = "the server's Certificate";
                    } else {
                        self.step = "the client's Certificate";
                    }
                }
                TlsItem::ChangeCipherSpec => {
                    self.step = if dir == 1 {
                        "the server's ChangeCipherSpec"
                    } else {
                        "the client's ChangeCipherSpec"
                    };
                }
                TlsItem::Alert { level, description } => {
                    if s.alerts.len() < MAX_ALERTS {
                        s.alerts.push(TlsAlert {
                            frame: p.frame,
                            ts_ns: p.ts_ns,
                            by_server: dir == 1,
                            level,
                            description,
                            after: self.step,
                        });
                    }
                }
                TlsItem::Encrypted { len, app } => {
                    if dir == 0 {
                        s.client_encrypted += 1;
                        s.client_app_records += u32::from(app);
                        s.client_first_encrypted_len.get_or_insert(len);
                        s.client_first_encrypted_frame.get_or_insert(p.frame);
                    } else {
                        s.server_encrypted += 1;
                    }
                }
            }
        }
        self.items = items;
        if s.offer.is_none() {
            // Moved, not copied: the stream has no more use for it.
            s.offer = self.streams[0].offer.take();
        }
        if self.streams[0].encrypted
            && self.streams[1].encrypted
            && s.client_app_records >= SETTLED_APP_RECORDS
            && s.server_encrypted >= 1
        {
            self.settled = true;
            self.streams = Default::default();
        }
    }

    /// The session's summary, once the flow is over (moved out of the box alone: the rest
    /// of the flow, a kilobyte, is dropped where it is).
    pub fn finish(self: Box<Self>) -> TlsSession {
        let TlsFlow { session, .. } = *self;
        session
    }
}
