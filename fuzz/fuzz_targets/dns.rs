//! The DNS message parser on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::dns(data);
});
