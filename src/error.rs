//! The error type of the library: why an analysis could not be done at all.

/// Why an analysis could not be done at all. Problems with single packets or records never
/// end up here: they are counted and reported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be opened or read.
    #[error("{name}: cannot read: {source}")]
    Io {
        /// The input's name (its path, or `-` for standard input).
        name: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The input is not a pcap or pcapng capture (plain, gzip or zstd).
    #[error("{name}: not a packet capture (pcap or pcapng): looks like {what}")]
    NotACapture {
        /// The input's name.
        name: String,
        /// What the first bytes look like instead ("an HTML page", "empty").
        what: String,
    },
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
