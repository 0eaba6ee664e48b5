//! The "decode + flow floor": what a minimal single-threaded tool costs on a capture — a
//! record walk with pcap-parser, etherparse decoding, and a 5-tuple hash map. pcap-rca's
//! full analysis is measured against it (`bench/compare.sh`).
//!
//! Build and run: `cargo build --release --example floor && target/release/examples/floor FILE`
//! (classic pcap or pcapng, Ethernet frames).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: floor CAPTURE");
        std::process::exit(2);
    };
    let start = Instant::now();
    let file = std::fs::File::open(&path).expect("open");
    let mut reader = create_reader(1 << 20, file).expect("not a capture");
    let mut flows: HashMap<(IpAddr, IpAddr, u16, u16, u8), u64> = HashMap::new();
    let (mut packets, mut bytes) = (0u64, 0u64);
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let data = match &block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(b)) => {
                        Some(&b.data[..b.caplen as usize])
                    }
                    _ => None,
                };
                if let Some(data) = data {
                    packets += 1;
                    bytes += data.len() as u64;
                    if let Ok(p) = SlicedPacket::from_ethernet(data) {
                        let (src, dst) = match &p.net {
                            Some(NetSlice::Ipv4(v4)) => (
                                IpAddr::V4(v4.header().source_addr()),
                                IpAddr::V4(v4.header().destination_addr()),
                            ),
                            Some(NetSlice::Ipv6(v6)) => (
                                IpAddr::V6(v6.header().source_addr()),
                                IpAddr::V6(v6.header().destination_addr()),
                            ),
                            _ => (IpAddr::from([0u8; 4]), IpAddr::from([0u8; 4])),
                        };
                        let (sp, dp, proto) = match &p.transport {
                            Some(TransportSlice::Tcp(t)) => {
                                (t.source_port(), t.destination_port(), 6)
                            }
                            Some(TransportSlice::Udp(u)) => {
                                (u.source_port(), u.destination_port(), 17)
                            }
                            _ => (0, 0, 0),
                        };
                        let key = if (src, sp) <= (dst, dp) {
                            (src, dst, sp, dp, proto)
                        } else {
                            (dst, src, dp, sp, proto)
                        };
                        *flows.entry(key).or_default() += 1;
                    }
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "floor: {packets} packets, {bytes} bytes, {} flows in {secs:.3} s ({:.0} MB/s)",
        flows.len(),
        bytes as f64 / secs / 1e6
    );
}
