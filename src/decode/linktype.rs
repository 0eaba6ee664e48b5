//! LINKTYPE_* values (tcpdump.org/linktypes.html) we decode, and names for all common ones.

pub const NULL: u32 = 0;
pub const ETHERNET: u32 = 1;
pub const RAW: u32 = 101;
pub const LOOP: u32 = 108;
pub const LINUX_SLL: u32 = 113;
pub const IPV4: u32 = 228;
pub const IPV6: u32 = 229;
pub const LINUX_SLL2: u32 = 276;
/// DLT_RAW as some BSDs number it (12 or 14 in old files).
pub const RAW_OPENBSD: u32 = 12;

/// The name Wireshark's capinfos uses for a link type, or `LINKTYPE_<n>` when unknown.
pub fn link_type_name(lt: u32) -> String {
    let name = match lt {
        NULL => "NULL",
        ETHERNET => "ETHERNET",
        6 => "IEEE802_5",
        9 => "PPP",
        RAW_OPENBSD | 14 | RAW => "RAW",
        LOOP => "LOOP",
        LINUX_SLL => "LINUX_SLL",
        105 => "IEEE802_11",
        127 => "IEEE802_11_RADIOTAP",
        239 => "NFLOG",
        IPV4 => "IPV4",
        IPV6 => "IPV6",
        LINUX_SLL2 => "LINUX_SLL2",
        u32::MAX => "UNKNOWN",
        _ => return format!("LINKTYPE_{lt}"),
    };
    name.to_string()
}
