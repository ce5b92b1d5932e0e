//! The command line: `insp serve`, `insp site add|list`, `insp replay`. Every flag of `serve`
//! can also come from the environment (`INSP_*`).

use crate::config::{load_or_create_api_key, Settings, API_KEY_FILE};
use crate::limits::{self, Limits};
use crate::store::{parse_origin, SqliteStore, Store};
use crate::{app, assets, AppState};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "insp",
    version,
    about = "insp collector: session recordings in, dashboard out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector: ingest, API, dashboard and agent files.
    Serve(ServeArgs),
    /// Manage sites (works while a server runs on the same data directory).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Print a session's page as HTML at a time offset (or its events / rrweb export).
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Session id (sid).
    pub session: String,
    /// Time offset from the session start, in ms (default: the end of the recording).
    #[arg(long, value_name = "MS")]
    pub at: Option<u64>,
    /// What to print: the page as HTML, the DOM in canonical text form, the rrweb export, or
    /// the decoded events (JSON).
    #[arg(long, value_enum, default_value_t = ReplayFormat::Html)]
    pub format: ReplayFormat,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayFormat {
    Html,
    Canonical,
    Rrweb,
    Events,
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data directory (SQLite database, generated API key).
    #[arg(long, env = "INSP_DATA", default_value = "./insp-data")]
    pub data: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "INSP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub data: DataArgs,
    /// API key for /api (default: generated once, kept in DATA/api-key; "demo" with --demo).
    #[arg(long, env = "INSP_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Demo mode: site 1 accepting any origin, API key "demo", examples served.
    #[arg(long)]
    pub demo: bool,
    /// Directory served at /examples/ (default with --demo: ./examples).
    #[arg(long, env = "INSP_EXAMPLES")]
    pub examples: Option<PathBuf>,
    /// Ingest rate limit per client IP, requests per second.
    #[arg(long, env = "INSP_RATE_PER_S", default_value_t = limits::RATE_LIMIT_PER_S)]
    pub rate_per_s: f64,
    /// Ingest burst per client IP, requests.
    #[arg(long, env = "INSP_RATE_BURST", default_value_t = limits::RATE_LIMIT_BURST)]
    pub rate_burst: f64,
    /// Deadline for receiving an upload's body, milliseconds.
    #[arg(long, env = "INSP_BODY_TIMEOUT_MS", default_value_t = limits::BODY_READ_TIMEOUT_MS)]
    pub body_timeout_ms: u64,
    /// Largest upload as sent, bytes.
    #[arg(long, env = "INSP_MAX_BODY_BYTES", default_value_t = limits::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Rate-limit by the last X-Forwarded-For entry (only behind a proxy that sets it).
    #[arg(long, env = "INSP_TRUST_PROXY")]
    pub trust_proxy: bool,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site and print its wid.
    Add {
        #[command(flatten)]
        data: DataArgs,
        /// Origin allowed to send recordings, e.g. https://example.com (repeatable; none = any).
        #[arg(long = "origin", value_name = "URL")]
        origins: Vec<String>,
        #[command(flatten)]
        settings: crate::site_cli::SettingsArgs,
    },
    /// List sites: wid and allowed origins.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a site's settings and print them (JSON); without flags, only print them.
    Set {
        /// The site's wid.
        wid: u64,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        settings: crate::site_cli::SettingsArgs,
    },
}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Site(cmd) => site(cmd).await,
        Command::Replay(args) => replay(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("insp: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn open_store(data: &Path) -> Result<SqliteStore, Box<dyn std::error::Error>> {
    let data = data.to_owned();
    Ok(tokio::task::spawn_blocking(move || SqliteStore::open(&data)).await??)
}

async fn site(cmd: SiteCommand) -> CliResult {
    match cmd {
        SiteCommand::Add { data, origins, settings } => {
            let origins = origins
                .iter()
                .map(|o| parse_origin(o))
                .collect::<Result<Vec<_>, _>>()?;
            let mut s = insp_agent::settings::SiteSettings::default();
            settings.apply(&mut s)?;
            let store = open_store(&data.data).await?;
            let site = store.create_site(origins).await?;
            if !settings.is_empty() {
                store.set_site_settings(site.wid, s).await?;
            }
            println!("{}", site.wid);
        }
        SiteCommand::Set { wid, data, settings } => {
            let store = open_store(&data.data).await?;
            let mut s = store
                .site_settings(wid)
                .await?
                .ok_or_else(|| format!("unknown site {wid}"))?;
            if !settings.is_empty() {
                settings.apply(&mut s)?;
                s = store
                    .set_site_settings(wid, s)
                    .await?
                    .ok_or_else(|| format!("unknown site {wid}"))?;
            }
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        SiteCommand::List { data } => {
            for site in open_store(&data.data).await?.sites().await? {
                let origins = if site.origins.is_empty() {
                    "(any origin)".to_owned()
                } else {
                    site.origins.join(" ")
                };
                println!("{}\t{}", site.wid, origins);
            }
        }
    }
    Ok(())
}

async fn replay(args: ReplayArgs) -> CliResult {
    let store = open_store(&args.data.data).await?;
    let tl = crate::routes::replay::load_timeline(&store, &args.session)
        .await?
        .ok_or_else(|| format!("unknown session {:?}", args.session))?;
    let at = args.at.unwrap_or_else(|| tl.duration_ms());
    let out = match args.format {
        ReplayFormat::Rrweb => insp_agent::rrweb::export_json(&tl),
        ReplayFormat::Events => crate::routes::replay::events_json(&args.session, &tl).to_string(),
        ReplayFormat::Html | ReplayFormat::Canonical => {
            let frame = tl
                .frame_at(at)
                .ok_or_else(|| format!("nothing recorded to show at {at} ms"))?;
            if frame.stale {
                eprintln!(
                    "insp: note: batches are missing before {at} ms; showing the last document before the gap"
                );
            }
            if args.format == ReplayFormat::Html {
                frame.html()
            } else {
                frame.canonical()
            }
        }
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    if !out.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> CliResult {
    let data = &args.data.data;
    let store = open_store(data).await?;

    let (api_key, key_note) = match (args.api_key.clone(), args.demo) {
        (Some(k), _) if !k.trim().is_empty() => {
            (k.trim().to_owned(), "from --api-key / INSP_API_KEY")
        }
        (_, true) => ("demo".to_owned(), "demo mode"),
        _ => match load_or_create_api_key(data)? {
            (k, true) => (k, "generated, stored in DATA/api-key"),
            (k, false) => (k, "from DATA/api-key"),
        },
    };
    if args.demo {
        store.ensure_site(1, Vec::new()).await?;
    }
    let examples_dir = args
        .examples
        .clone()
        .or_else(|| args.demo.then(|| PathBuf::from("examples")));

    let settings = Settings {
        api_key: api_key.clone(),
        limits: Limits {
            rate_limit_per_s: args.rate_per_s,
            rate_limit_burst: args.rate_burst,
            body_read_timeout: Duration::from_millis(args.body_timeout_ms),
            max_body_bytes: args.max_body_bytes,
            ..Limits::default()
        },
        trust_forwarded_for: args.trust_proxy,
        examples_dir: examples_dir.clone(),
    };
    let router = app(AppState::new(Arc::new(store), settings));

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("insp collector on {base}");
    println!("  dashboard  {base}/");
    println!("  agent      {base}/inspectlet.js");
    println!("  ingest     {base}/i/v1?wid=N");
    println!("  api        {base}/api/sites");
    if let Some(dir) = &examples_dir {
        println!("  examples   {base}/examples/  ({})", dir.display());
    }
    println!("  data       {}", data.display());
    println!(
        "  API key    {api_key}  ({})",
        key_note.replace(
            "DATA/api-key",
            &data.join(API_KEY_FILE).display().to_string()
        )
    );
    if args.demo {
        println!("  demo site  wid 1 (any origin)");
    }
    if assets::find("/inspectlet.js").is_none() {
        println!("  note: no agent files embedded (build dist/ before the server to serve them)");
    }

    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
