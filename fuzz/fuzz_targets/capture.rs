//! The capture container (pcap, pcapng, gzip, zstd): every frame read, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::capture(data);
});
