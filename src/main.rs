//! The `pcap-rca` command: parse flags, call the library, map the result to an exit code
//! (0 analysed and nothing at or above `--fail-on`, 1 root causes at or above it, 2 error).
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pcap_rca::{Config, Input, Severity};

#[derive(Parser)]
#[command(
    name = "pcap-rca",
    version,
    about = "Explains, ranked and with evidence, why clients fail to reach a server, from a packet capture"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Analyse captures (merged as one incident) and report ranked root causes.
    Analyze {
        /// Capture files (pcap or pcapng; plain, gzip or zstd); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Exit with status 1 when a root cause has at least this severity
        /// (info, low, medium, high, critical).
        #[arg(long, value_parser = parse_severity)]
        fail_on: Option<Severity>,
        /// Extra trust anchors (PEM), e.g. a private CA; repeatable.
        #[arg(long = "ca-bundle", value_name = "PEM")]
        ca_bundles: Vec<PathBuf>,
        /// Show only the first N root causes (text, Markdown and HTML).
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Show only root causes about this server: HOST (address or name) or HOST:PORT
        /// ([v6]:PORT); text, Markdown and HTML.
        #[arg(long, value_name = "HOST[:PORT]")]
        server: Option<String>,
        /// List every finding each root cause is built from (text, Markdown and HTML).
        #[arg(long)]
        verbose: bool,
        /// Language of titles, explanations, remediation and headings (text, Markdown,
        /// HTML): en or zh (Simplified Chinese). Cause ids, frames and filters stay as is.
        #[arg(long, value_enum, default_value_t = LangChoice::En)]
        lang: LangChoice,
        /// Also write the analysis as tables (flows, findings, root_causes, events) under
        /// DIR, one file per table and capture (docs/tables.md).
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        /// Format of --export: parquet (needs the `parquet` cargo feature) or csv.
        #[arg(long, value_enum, default_value_t = ExportFormat::Parquet)]
        export_format: ExportFormat,
        /// Colour the text report: auto (on a terminal, unless NO_COLOR is set), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Every detector: its id, the causes it reports, and its tunables (value, type, unit and
    /// meaning).
    Detectors {
        /// Show the values this config file sets (see `analyze --config`).
        #[arg(long, value_name = "FILE.toml")]
        config: Option<PathBuf>,
        /// text: the list; toml: a config file with every tunable and analysis setting at
        /// its default (or at the value `--config` sets), commented, to start a config from.
        #[arg(long, value_enum, default_value_t = DetectorsFormat::Text)]
        format: DetectorsFormat,
    },
    /// One row per connection, like Zeek's conn.log (conn_state, history, first frame).
    Flows {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = FlowFormat::Text)]
        format: FlowFormat,
    },
}

#[derive(clap::Args)]
struct Common {
    /// Write the output to FILE instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Override detector tunables and analysis limits from a TOML file: a table per detector
    /// id with its tunables (`pcap-rca detectors --format toml` writes a template).
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DetectorsFormat {
    Text,
    Toml,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Markdown,
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Parquet,
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LangChoice {
    En,
    Zh,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour: asked for, or on a terminal that did not opt out (no-color.org).
fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FlowFormat {
    Text,
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("unknown severity {s:?} (info, low, medium, high, critical)"))
}

fn inputs(files: &[PathBuf]) -> Vec<Input<'static>> {
    files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(f.clone())
            }
        })
        .collect()
}

fn write_out(output: &Option<PathBuf>, text: &str) -> Result<(), String> {
    match output {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("{}: cannot write: {e}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write output: {e}")),
            }
        }
    }
}

/// Reads the config file at `path` into `cfg`; the error names the file.
fn load_config(path: &Option<PathBuf>, cfg: &mut Config) -> Result<(), String> {
    let Some(path) = path else {
        return Ok(());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    cfg.load_toml(&text).map_err(|e| match e {
        pcap_rca::Error::Config(m) => format!("{}: {m}", path.display()),
        e => format!("{}: {e}", path.display()),
    })
}

/// `pcap-rca detectors`: each detector with its causes and tunables: default, type and unit,
/// and the value `cfg` sets when it sets another (`from` names the file).
fn list_detectors(cfg: &Config, from: Option<&std::path::Path>) -> String {
    let mut o = String::new();
    for d in pcap_rca::detectors() {
        o.push_str(&format!("{}\n  causes: {}\n", d.id, d.causes.join(", ")));
        for t in d.tunables {
            let mut about = format!("{} {}", t.ty.name(), t.unit.as_str());
            if t.unit == pcap_rca::TunableUnit::Ns {
                about.push_str(&format!(", {}", t.format_value(t.default)));
            }
            o.push_str(&format!("  {} = {} ({about})", t.name, t.value));
            match (cfg.tunable(d.id, t.name), from) {
                (Some(v), Some(file)) if v != t.default => o.push_str(&format!(
                    ", set to {} by {}",
                    t.format_value(v),
                    file.display()
                )),
                _ => {}
            }
            o.push('\n');
            for line in t.doc.lines() {
                o.push_str(&format!("      {}\n", line.trim()));
            }
        }
    }
    o
}

/// Inputs smaller than this get no progress bar: they are done before one would help.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

/// A progress bar on stderr for big inputs (bytes, packets per second, time left), when
/// stderr is a terminal; none otherwise (piped, redirected, CI) or when reading stdin.
fn progress_bar(files: &[PathBuf]) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || files.iter().any(|f| f.as_os_str() == "-") {
        return None;
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    // Compressed captures hold more bytes than their files: no total to count down from.
    let compressed = files.iter().any(|f| {
        matches!(
            f.extension().and_then(|e| e.to_str()),
            Some("gz" | "zst" | "zstd")
        )
    });
    if total < PROGRESS_MIN_BYTES {
        return None;
    }
    let bar = if compressed {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::new(total)
    };
    let style = if compressed {
        "{spinner} {bytes} read, {msg}, {elapsed}"
    } else {
        "{bar:30} {bytes}/{total_bytes}, {msg}, {eta} left"
    };
    if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
        bar.set_style(s);
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    Some(bar)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let (files, common) = match &cli.cmd {
        Cmd::Detectors { config, format } => {
            let mut cfg = Config::default();
            load_config(config, &mut cfg)?;
            let text = match format {
                DetectorsFormat::Text => list_detectors(&cfg, config.as_deref()),
                DetectorsFormat::Toml => cfg.to_toml(),
            };
            write_out(&None, &text)?;
            return Ok(ExitCode::SUCCESS);
        }
        Cmd::Analyze { files, common, .. } | Cmd::Flows { files, common, .. } => (files, common),
    };
    let mut cfg = Config::default();
    // The config file first, checked before any capture is read; flags override it.
    load_config(&common.config, &mut cfg)?;
    cfg.threads = common.threads;
    match &cli.cmd {
        Cmd::Analyze { ca_bundles, .. } => cfg.ca_bundles = ca_bundles.clone(),
        // Listing flows means a record for each: no folding (memory grows with the list).
        Cmd::Flows { .. } => cfg.max_records = usize::MAX,
        Cmd::Detectors { .. } => {}
    }
    let bar = progress_bar(files);
    if let Some(bar) = &bar {
        let b = bar.clone();
        let start = std::time::Instant::now();
        cfg.progress = Some(pcap_rca::Progress(std::sync::Arc::new(
            move |packets, bytes| {
                b.set_position(bytes.min(b.length().unwrap_or(u64::MAX)));
                let secs = start.elapsed().as_secs_f64().max(1e-3);
                b.set_message(format!(
                    "{packets} packets, {:.0}k packets/s",
                    packets as f64 / secs / 1e3
                ));
            },
        )));
    }
    let analysis = pcap_rca::analyze_inputs(&inputs(files), &cfg);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The analysis and its report are never dropped: the process exits right after writing
    // the report, and freeing a busy capture's millions of small allocations one by one
    // took 6% of a one-thread run (perf, `drop_in_place<Analysis>`). The OS takes it back.
    let analysis = std::mem::ManuallyDrop::new(analysis.map_err(|e| e.to_string())?);
    for (name, w) in analysis.warnings() {
        eprintln!("pcap-rca: warning: {name}: {w}");
    }
    match cli.cmd {
        Cmd::Analyze {
            common,
            format,
            fail_on,
            top,
            server,
            verbose,
            color,
            lang,
            export,
            export_format,
            ..
        } => {
            let report = std::mem::ManuallyDrop::new(analysis.report());
            if let Some(dir) = &export {
                let format = match export_format {
                    ExportFormat::Parquet => pcap_rca::TableFormat::Parquet,
                    ExportFormat::Csv => pcap_rca::TableFormat::Csv,
                };
                let files = analysis
                    .export_tables(&report, dir, format)
                    .map_err(|e| e.to_string())?;
                eprintln!(
                    "pcap-rca: wrote {} tables under {}",
                    files.len(),
                    dir.display()
                );
            }
            let view = pcap_rca::View {
                top,
                server,
                verbose,
                color: use_color(color, common.output.is_some()),
                lang: match lang {
                    LangChoice::En => pcap_rca::Lang::En,
                    LangChoice::Zh => pcap_rca::Lang::Zh,
                },
            };
            let text = match format {
                ReportFormat::Text => report.to_text_view(&view),
                ReportFormat::Json => report.to_json(),
                ReportFormat::Markdown => report.to_markdown(&view),
                ReportFormat::Html => report.to_html(&view),
            };
            write_out(&common.output, &text)?;
            let failed = match (fail_on, report.max_severity()) {
                (Some(limit), Some(max)) => max >= limit,
                _ => false,
            };
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Detectors { .. } => Ok(ExitCode::SUCCESS),
        Cmd::Flows { common, format, .. } => {
            let text = match format {
                FlowFormat::Text => analysis.flows_text(),
                FlowFormat::Json => analysis.flows_json(),
            };
            write_out(&common.output, &text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("pcap-rca: error: {msg}");
            ExitCode::from(2)
        }
    }
}
