//! Streams a classic pcap N times to stdout as one capture, each repetition shifted later by
//! the capture's duration plus 10 minutes (so every flow of one repetition has expired before
//! the next starts): a multi-gigabyte capture for the streaming memory check without writing
//! it to disk.
//!
//! `cargo build --release --example repeat && target/release/examples/repeat real.pcap 33 |
//!  /usr/bin/time -v target/release/pcap-rca analyze -` (see bench/stream-check.sh).

use std::io::{BufWriter, Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: repeat CAPTURE.pcap TIMES");
        std::process::exit(2);
    }
    let mut data = Vec::new();
    std::fs::File::open(&args[1])
        .and_then(|mut f| f.read_to_end(&mut data))
        .expect("read capture");
    let times: u64 = args[2].parse().expect("TIMES");
    assert!(
        data.len() >= 24 && data[..4] == [0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian microsecond pcap only"
    );
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    // Record offsets and the capture's time span.
    let mut recs = Vec::new();
    let mut off = 24;
    let (mut first, mut last) = (u64::MAX, 0u64);
    while off + 16 <= data.len() {
        let caplen = u32_at(&data, off + 8) as usize;
        if off + 16 + caplen > data.len() {
            break;
        }
        let t = u32_at(&data, off) as u64 * 1_000_000 + u32_at(&data, off + 4) as u64;
        first = first.min(t);
        last = last.max(t);
        recs.push((off, caplen));
        off += 16 + caplen;
    }
    let shift = (last - first) + 600 * 1_000_000;
    let out = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 20, out.lock());
    if w.write_all(&data[..24]).is_err() {
        return;
    }
    let mut hdr = [0u8; 16];
    for rep in 0..times {
        for &(o, caplen) in &recs {
            hdr.copy_from_slice(&data[o..o + 16]);
            let t = u32_at(&hdr, 0) as u64 * 1_000_000 + u32_at(&hdr, 4) as u64 + rep * shift;
            hdr[..4].copy_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
            hdr[4..8].copy_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
            if w.write_all(&hdr).is_err() || w.write_all(&data[o + 16..o + 16 + caplen]).is_err() {
                return; // reader went away
            }
        }
    }
    let _ = w.flush();
}
