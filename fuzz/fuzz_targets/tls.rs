//! The TLS record and handshake parser on arbitrary bytes split arbitrarily.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::tls(data);
});
