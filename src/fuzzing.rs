//! Entry points shared by the fuzz targets (`fuzz/`) and by the test that replays their
//! corpora (`tests/fuzz_corpus.rs`), so a crash found once stays fixed.
//! Each function takes arbitrary bytes and must return without panicking.

use crate::capture::{Batch, FrameReader, Input};

/// Reads every frame of `data` as a capture file (any container, any compression).
pub fn capture(data: &[u8]) {
    let input = Input::Bytes {
        name: "fuzz".into(),
        data,
    };
    let Ok(reader) = FrameReader::open(&input) else {
        return;
    };
    // Small chunks exercise records split across reads.
    let mut reader = reader.with_chunk(512);
    let mut batch = Batch::default();
    let mut frames = 0u64;
    while let Ok(true) = reader.next_batch(&mut batch) {
        for f in &batch.frames {
            let _ = batch.data(f);
            frames += 1;
        }
        if frames > 1_000_000 {
            break;
        }
    }
}

/// Link types the first two bytes select from.
const LINK_TYPES: [u32; 10] = [0, 1, 101, 108, 113, 228, 229, 276, 12, 239];

/// Decodes `data[2..]` as one frame of the link type chosen by `data[0]`, wire length from
/// `data[1]`, and feeds it through a flow table.
pub fn frame(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let lt = LINK_TYPES[data[0] as usize % LINK_TYPES.len()];
    let body = &data[2..];
    let wire = body.len() as u32 + data[1] as u32;
    let p = crate::decode::decode(0, 1, 0, lt, body, wire, false);
    // The fast path for common Ethernet frames must decode exactly as the general one.
    let mut general = crate::decode::Packet::EMPTY;
    crate::decode::decode_into(&mut general, 0, 1, 0, lt, body, wire, false, false);
    assert_eq!(p, general, "fast and general decoders disagree");
    let _ = p.payload(body);
    if let Some((key, src, dst)) = crate::flow::flow_tuple(&p) {
        let mut t = crate::flow::FlowTable::new(Default::default());
        let payload = p.payload(body);
        t.add(&p, payload, key, src, dst);
        t.add(&p, payload, key, dst, src);
        t.finish_all();
    }
}

/// The whole analysis and both report renderings.
pub fn analyze(data: &[u8]) {
    // Inputs of odd length fold every finished flow (no record budget), so the folded paths
    // of the detectors are fuzzed as well as the ordinary ones.
    let cfg = crate::Config {
        threads: 1,
        chunk_bytes: 4096,
        max_records: if data.len() % 2 == 1 {
            0
        } else {
            crate::Config::default().max_records
        },
        ..crate::Config::default()
    };
    if let Ok(report) = crate::analyze_bytes(data, &cfg) {
        let _ = report.to_json();
        let _ = report.to_text();
    }
}

/// Parses `data` as a DNS message and names what it finds.
pub fn dns(data: &[u8]) {
    if let Ok(m) = crate::decode::dns::parse(data) {
        let _ = crate::decode::dns::rcode_name(m.rcode);
        let _ = crate::decode::dns::qtype_name(m.qtype);
    }
}

/// Feeds `data[1..]` to a request parser and a response parser, split at `data[0]`.
pub fn http(data: &[u8]) {
    use crate::decode::http::HttpStream;
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let cut = (cut as usize).min(rest.len());
    for is_request in [true, false] {
        let mut s = HttpStream::new(is_request);
        let (mut heads, mut bodies) = (Vec::new(), Vec::new());
        s.push(&rest[..cut], &mut heads, &mut bodies);
        s.push(&rest[cut..], &mut heads, &mut bodies);
    }
}

/// Feeds `data[1..]` to a TLS record parser, split at `data[0]`.
pub fn tls(data: &[u8]) {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let cut = (cut as usize).min(rest.len());
    let mut s = crate::decode::tls::TlsStream::default();
    let mut out = Vec::new();
    s.push(&rest[..cut], &mut out);
    s.push(&rest[cut..], &mut out);
}

/// Certificate chain analysis: `data` is a list of DER blobs, each behind a 2-byte length
/// (at most 8); the last one is also made a trust anchor. Parses them, walks the chain,
/// checks every signature pair and the host-name match.
pub fn certs(data: &[u8]) {
    use crate::cert::{TrustStore, hostname_matches, parse_cert, verify_signature, walk_chain};
    let mut rest = data;
    let mut chain = Vec::new();
    while rest.len() >= 2 && chain.len() < 8 {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let blob = &rest[2..(2 + len).min(rest.len())];
        rest = &rest[2 + blob.len()..];
        if let Some(c) = parse_cert(blob) {
            chain.push(c);
        }
    }
    let mut store = TrustStore::default();
    if let Some(last) = chain.last() {
        store.add(last.clone());
    }
    let _ = walk_chain(&chain, &store);
    let _ = walk_chain(&chain, &TrustStore::default());
    for a in &chain {
        let _ = hostname_matches("fpdk.example", a);
        for b in &chain {
            let _ = verify_signature(a, b);
        }
    }
}
