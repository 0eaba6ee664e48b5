//! Helpers shared by the ARP detectors ([`super::arp_storm`], [`super::arp_unanswered`],
//! [`super::arp_bindings`]); not a detector itself. The ARP operations are named in
//! [`crate::decode::arp`].

/// A MAC address as Wireshark writes it (`00:11:22:33:44:55`).
pub fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
