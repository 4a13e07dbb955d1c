//! The reference web console of `mfa`: an axum service where the demo
//! users turn on account protection (an authenticator app or text
//! messages), keep recovery codes, and get challenged at sign-in and
//! before critical operations. SQLite in a local file by default,
//! PostgreSQL when `DATABASE_URL` names one.
//!
//! ```sh
//! cargo run -p mfa-console            # console: http://127.0.0.1:8080/
//! cargo run -p mfa-console -- --help
//! ```
#![forbid(unsafe_code)]

mod app;
mod keys;
mod outbox;
mod pages;
mod security;
mod sessions;
mod users;
mod wiring;

use std::path::PathBuf;

use clap::Parser;
use std::sync::Arc;

/// Any error of the start-up.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The reference web console of mfa: account protection with an
/// authenticator app or text messages, recovery codes, and step-up checks.
///
/// Keys: the flows' key and the sealing key come from MFA_CONSOLE_OOB_KEY
/// and MFA_CONSOLE_SEALING_KEY (Base64, 32 bytes each) when both are set;
/// otherwise from the key file (--keys), which is generated on the first run
/// (a development default, kept beside the database so that restarts keep
/// working). Codes and notices go to the development outbox at /outbox,
/// which shows every code sent to anyone: the console therefore listens
/// on a loopback address only (127.0.0.1, ::1), until a real SMS gateway
/// and mailer replace the outbox.
#[derive(Debug, Parser)]
#[command(name = "mfa-console", version)]
struct Args {
    /// The address to listen on, a loopback one while the development
    /// outbox is the sender (port 0: any free port; the line
    /// `console: http://…/` says which).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The database: a SQLite file (created if missing) or a PostgreSQL URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://mfa-console.db"
    )]
    database: String,
    /// The key file (default: beside the SQLite database, or
    /// `mfa-console.keys` in the working directory for PostgreSQL).
    #[arg(long)]
    keys: Option<PathBuf>,
}

impl Args {
    /// The key file: the option, or beside the SQLite file.
    fn key_file(&self) -> PathBuf {
        if let Some(keys) = &self.keys {
            return keys.clone();
        }
        sqlite_file(&self.database).map_or_else(
            || PathBuf::from("mfa-console.keys"),
            |path| path.with_extension("keys"),
        )
    }
}

/// The file of a SQLite URL (`sqlite://console.db?mode=rwc`), if it names
/// one (not `sqlite::memory:`, not PostgreSQL).
fn sqlite_file(database: &str) -> Option<PathBuf> {
    database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.starts_with(':'))
        .map(PathBuf::from)
}

/// Creates `file` empty, readable and writable by its owner only (0600),
/// unless it exists: the database holds the sessions and the sealed
/// records, and SQLite gives its journal the database's mode.
#[cfg(unix)]
fn create_private(file: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file);
    match created {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Elsewhere, SQLite creates the file.
#[cfg(not(unix))]
fn create_private(_file: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

/// The console on `database`, with `keys`: the store migrated, the flows
/// built, the demo users' passwords hashed.
async fn console(database: &str, keys: keys::Keys) -> Result<app::App, BoxError> {
    if let Some(file) = sqlite_file(database) {
        create_private(&file)?;
    }
    let outbox = outbox::Outbox::default();
    let mfa = wiring::Console::open(database, keys, Arc::new(outbox.clone())).await?;
    Ok(app::App::new(mfa, outbox, users::Users::demo()?))
}

/// Said at start-up: what the outbox is.
const OUTBOX_WARNING: &str = "console: warning: codes go to the development outbox at /outbox, \
     which shows every user's codes to anyone who can reach it: for development only";

/// Refuses `addr` unless it is a loopback address: the development outbox
/// (the console's sender) shows every user's codes, without a sign-in.
fn outbox_may_listen_on(addr: std::net::SocketAddr) -> Result<(), BoxError> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr}: the development outbox at /outbox shows every user's \
         SMS and e-mail codes to anyone who can reach it; listen on a loopback address \
         (127.0.0.1, ::1), or replace the outbox with a real SMS gateway and mailer first"
    )
    .into())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    for addr in tokio::net::lookup_host(&args.addr).await? {
        outbox_may_listen_on(addr)?;
    }
    eprintln!("{OUTBOX_WARNING}");
    let keys = keys::Keys::load(&args.key_file())?;
    let app = console(&args.database, keys).await?;
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    println!("console: http://{}/", listener.local_addr()?);
    let sessions = sessions::SqlSessions::new(&app.mfa.store).await?;
    axum::serve(listener, app.router(sessions))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
