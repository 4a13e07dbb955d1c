//! The console end to end in a real browser: headless Chromium, driven
//! through WebDriver (chromedriver, `fantoccini`), against the console
//! binary on a fresh SQLite database, and again on a PostgreSQL database
//! of the test's own.
//!
//! Four demo users go through it at once, each in a browser of their own:
//!
//! - ada turns on an authenticator app (TOTP) for log-on and critical
//!   operations: the secret is read from the page, the codes made with
//!   `mfa`; the QR code as rendered is screenshotted and decoded with
//!   `zbarimg` to exactly the `otpauth://` URI; she signs in with a wrong
//!   code, a right one, a replayed one, and a recovery code (refused the
//!   second time); she deletes a resource after a fresh check; she turns
//!   protection off.
//! - bob has no phone: he confirms it is him by e-mail, binds a phone with
//!   the code texted to it (read from the outbox), signs in with a texted
//!   code (a wrong one first; asking for another at once is held back),
//!   deletes a resource after a check answered with a recovery code, and
//!   turns protection off.
//! - carol confirms it is her with her bound phone, so text messages are on
//!   at once, for log-on only (her deletions are not challenged); after a
//!   texted check she changes to an authenticator app (its QR code decoded
//!   too), then makes new recovery codes after a check with the app (the
//!   old ones refused), signs in with the app, and turns protection off.
//! - dave types wrong codes until the challenge holds him back and says
//!   for how long; after that wait, his app's code signs him in.
//!
//! The PostgreSQL run skips (loudly) when the server does not answer,
//! unless `MFA_REQUIRE_INTEROP=1`.
//!
//! Every change must leave its notice e-mail in the outbox, and every
//! refusal a sentence in `#message`. TOTP codes are single use per 30-s
//! step: where a step must pass, the test waits for it (the clock is real).
//!
//! The SQLite run saves screenshots of the key pages into
//! `crates/mfa-console/screenshots/` (the README shows two).
//!
//! Tools: `chromium`, `chromedriver` (Debian `chromium`, `chromium-driver`)
//! and `zbarimg` (Debian `zbar-tools`). A missing one makes the test pass
//! with a notice on stderr, unless `MFA_REQUIRE_INTEROP=1` is set (as in
//! CI), which makes it a failure. PostgreSQL: `MFA_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test` (`.ci/run` starts it), where
//! the test creates its database and drops it at the end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::fs::File;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use mfa::{KeyUri, Secret, Totp};
use sqlx::Connection as _;
use tempfile::TempDir;

/// What Chromium needs to run headless as root on a closed network: without
/// the background-networking flags it fails reaching for the network.
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1100,1200",
];

/// How long an element, a page or a message may take to show.
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_sqlite() {
    if !tools_available() {
        return;
    }
    suite(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_postgres() {
    if !tools_available() {
        return;
    }
    if let Some(database) = PgDatabase::create().await {
        suite(Backend::Postgres(database)).await;
    }
}

/// The whole suite on one backend: one console, one chromedriver, and a
/// browser for each user, all at once.
async fn suite(backend: Backend) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let console = Console::start(&backend, dir.path());
    let driver = Driver::start(dir.path());
    let env = Env {
        backend: backend.name(),
        base: console.url.clone(),
        driver: &driver,
        shots: matches!(backend, Backend::Sqlite),
        started: Instant::now(),
    };
    tokio::join!(ada(&env), bob(&env), carol(&env), dave(&env));
    eprintln!(
        "[{}] every scenario passed in {:.1} s",
        env.backend,
        env.started.elapsed().as_secs_f64()
    );
    drop(driver);
    drop(console);
    drop(backend);
}

// ---------------------------------------------------------------------------
// The scenarios

/// TOTP for log-on and critical operations, the QR code, wrong, replayed and
/// recovery codes, a critical operation, protection off.
async fn ada(env: &Env<'_>) {
    let b = Browser::open(env, "ada").await;
    let mail = "ada@example.com";
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/").await;
    assert_eq!(b.text("#protection-status").await, "Off");

    // Turning it on: scenarios, method, identity by an e-mailed code.
    b.click("a#protect").await;
    b.expect_path("/protection/setup").await;
    b.set_checked("input[name=scenario][value=log-on]", true)
        .await;
    b.set_checked("input[name=scenario][value=critical]", true)
        .await;
    b.set_checked("input[name=method][value=totp]", true).await;
    b.set_checked("input[name=identity][value=email]", true)
        .await;
    let seen = b.outbox(mail).await.len();
    b.submit("form#setup-form").await;
    b.expect_message(&format!("We sent a code to {mail}")).await;
    let code = b.outbox_code(mail, seen).await;
    b.fill("form#identity-form", "code", &code).await;
    b.submit("form#identity-form").await;

    // The key: the secret in groups of four, the URI, the QR code.
    let shown = b.text("#secret").await;
    assert!(
        shown.split(' ').all(|g| (1..=4).contains(&g.len()))
            && shown.split(' ').rev().skip(1).all(|g| g.len() == 4)
            && shown
                .chars()
                .all(|c| c == ' ' || c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
        "#secret is not Base32 in groups of four: {shown:?}"
    );
    let secret = Secret::from_base32(&shown.replace(' ', "")).expect("the page's secret");
    let href = b
        .find("a#otpauth")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a#otpauth has an href");
    let uri = KeyUri::parse(&href).expect("a#otpauth is a key URI");
    assert!(uri.is_universal(), "{href}: not SHA-1, 6 digits, 30 s");
    assert_eq!(uri.account(), mail, "{href}");
    let issuer = uri.issuer().expect("an issuer").to_owned();
    let totp = Totp::new(&secret, uri.totp_config().expect("TOTP")).expect("a TOTP key");
    let built = KeyUri::totp(&totp, &issuer, mail).expect("a key URI");
    assert_eq!(
        built.to_uri().as_str(),
        href,
        "the URI the crate builds from the page's secret"
    );
    let png = b.screenshot_element("#qr").await;
    assert!(
        b.find("#qr svg").await.is_displayed().await.expect("shown"),
        "the QR code is an inline SVG"
    );
    let scanned = zbar_decode(&png, &env.tmp_file("ada-qr.png"));
    assert_eq!(
        scanned, href,
        "the QR code as rendered decodes to exactly the otpauth:// URI"
    );
    b.save_screenshot("totp-setup").await;

    // A wrong code, then the app's code.
    let mut app = Authenticator::new(totp);
    b.fill("form#confirm-form", "code", &app.wrong_code()).await;
    b.submit("form#confirm-form").await;
    b.expect_error("Wrong code").await;
    let seen = b.outbox(mail).await.len();
    b.fill("form#confirm-form", "code", &app.next_code().await)
        .await;
    b.submit("form#confirm-form").await;
    let codes = b.recovery_codes().await;
    b.save_screenshot("recovery-codes").await;
    b.expect_notice(
        mail,
        seen,
        "Account protection was turned on, with an authenticator app",
    )
    .await;
    b.click("a#continue").await;
    b.expect_path("/").await;
    b.expect_protection("Authenticator app", &["Log-on", "Critical operations"])
        .await;
    b.save_screenshot("account-protection").await;

    // Sign-in: challenged; a wrong code; the app's code.
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/verify").await;
    b.find("form#recovery-form").await;
    assert!(b.absent("form#send-code").await, "no SMS for an app user");
    b.save_screenshot("sign-in-challenge").await;
    b.fill("form#code-form", "code", &app.wrong_code()).await;
    b.submit("form#code-form").await;
    b.expect_path("/verify").await;
    b.expect_error("Wrong code").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.expect_message("You are signed in").await;

    // A critical operation asks for a fresh check, then completes.
    let gone = b.delete_first_resource().await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_lasting_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/resources").await;
    b.expect_message(&format!("Deleted {gone}.")).await;
    assert!(
        !b.resources().await.contains(&gone),
        "{gone} is still listed"
    );

    // The code just used is refused when replayed; a recovery code signs in.
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.replay()).await;
    b.submit("form#code-form").await;
    b.expect_path("/verify").await;
    b.expect_error("Wrong code").await;
    let seen = b.outbox(mail).await.len();
    b.use_recovery_code(&codes[0]).await;
    b.expect_path("/").await;
    b.expect_notice(mail, seen, "A recovery code was used")
        .await;

    // The same recovery code again: refused; another one works.
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.use_recovery_code(&codes[0]).await;
    b.expect_path("/verify").await;
    b.expect_error("Wrong code").await;
    b.use_recovery_code(&codes[1]).await;
    b.expect_path("/").await;
    assert_eq!(
        b.text("#recovery-codes-left").await,
        "8 of 10 recovery codes left"
    );
    assert!(
        b.absent("#recovery-codes-warning").await,
        "8 left: no warning"
    );

    // "Remember this browser": the next log-on asks no code, until forgotten.
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.set_checked("form#code-form input[name=remember]", true)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/").await;
    assert_eq!(
        b.count("#trusted-devices li").await,
        1,
        "one remembered browser"
    );
    b.save_screenshot("remembered-browsers").await;
    b.submit("form.forget-device").await;
    b.expect_message("Forgotten").await;
    assert!(b.absent("#trusted-devices").await, "none remembered");
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/verify").await;
    // Remembered again, then "Forget all".
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.set_checked("form#code-form input[name=remember]", true)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.submit("form#forget-all-devices").await;
    b.expect_message("Forgotten").await;
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;

    // Protection off, after a fresh check.
    b.turn_off(mail, async || {
        b.fill("form#code-form", "code", &app.next_code().await)
            .await;
        b.submit("form#code-form").await;
    })
    .await;
    b.sign_out().await;
    b.sign_in("ada", "ada-demo-pw").await;
    b.expect_path("/").await;
    b.close().await;
}

/// No phone: identity by e-mail, then a phone bound with a texted code;
/// texted codes at sign-in and for a critical operation; protection off.
async fn bob(env: &Env<'_>) {
    let b = Browser::open(env, "bob").await;
    let (mail, phone) = ("bob@example.com", "+447700900002");
    b.sign_in("bob", "bob-demo-pw").await;
    b.expect_path("/").await;
    b.click("a#protect").await;
    assert!(
        b.absent("input[name=identity][value=phone]").await,
        "bob has no phone to confirm it is him with"
    );
    b.set_checked("input[name=method][value=sms]", true).await;
    b.set_checked("input[name=identity][value=email]", true)
        .await;
    let seen = b.outbox(mail).await.len();
    b.submit("form#setup-form").await;
    let code = b.outbox_code(mail, seen).await;
    // A wrong identity code first.
    b.fill("form#identity-form", "code", &wrong_oob_code(&code))
        .await;
    b.submit("form#identity-form").await;
    b.expect_error("Wrong code").await;
    b.fill("form#identity-form", "code", &code).await;
    b.submit("form#identity-form").await;

    // The phone to bind, and the code texted to it.
    b.fill("form#phone-form", "phone", "07700 900002").await;
    b.submit("form#phone-form").await;
    b.expect_error("international form").await;
    let texts = b.outbox(phone).await.len();
    b.fill("form#phone-form", "phone", phone).await;
    b.submit("form#phone-form").await;
    b.expect_message("We sent a code to +44 77").await;
    let code = b.outbox_code(phone, texts).await;
    let seen = b.outbox(mail).await.len();
    b.fill("form#confirm-form", "code", &code).await;
    b.submit("form#confirm-form").await;
    let codes = b.recovery_codes().await;
    b.expect_notice(
        mail,
        seen,
        "Account protection was turned on, with text messages",
    )
    .await;
    b.click("a#continue").await;
    b.expect_protection("Text message", &["Log-on", "Critical operations"])
        .await;

    // Sign-in with a texted code (a minute after the last one was texted:
    // the console holds a new one back until then); asking again at once
    // is held back.
    b.sign_out().await;
    b.sign_in("bob", "bob-demo-pw").await;
    b.expect_path("/verify").await;
    let code = b.text_me_a_code(phone).await;
    b.submit("form#send-code").await;
    b.expect_held_back().await;
    b.save_screenshot("sms-challenge").await;
    b.fill("form#code-form", "code", &wrong_oob_code(&code))
        .await;
    b.submit("form#code-form").await;
    b.expect_error("Wrong code").await;
    b.fill("form#code-form", "code", &code).await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;

    // A critical operation: challenged; a recovery code answers it (the
    // next text would be a minute away).
    let gone = b.delete_first_resource().await;
    b.expect_path("/verify").await;
    b.find("form#send-code").await;
    let seen = b.outbox(mail).await.len();
    b.use_recovery_code(&codes[3]).await;
    b.expect_path("/resources").await;
    b.expect_message(&format!("Deleted {gone}.")).await;
    b.expect_notice(mail, seen, "A recovery code was used")
        .await;

    b.turn_off(mail, async || b.use_recovery_code(&codes[4]).await)
        .await;
    b.close().await;
}

/// Identity by the bound phone: text messages on at once, for log-on only;
/// new recovery codes and a change to an authenticator app, each after a
/// fresh check; protection off.
async fn carol(env: &Env<'_>) {
    let b = Browser::open(env, "carol").await;
    let (mail, phone) = ("carol@example.com", "+447700900003");
    b.sign_in("carol", "carol-demo-pw").await;
    b.expect_path("/").await;
    b.click("a#protect").await;
    b.set_checked("input[name=scenario][value=log-on]", true)
        .await;
    b.set_checked("input[name=scenario][value=critical]", false)
        .await;
    b.set_checked("input[name=method][value=sms]", true).await;
    b.set_checked("input[name=identity][value=phone]", true)
        .await;
    let texts = b.outbox(phone).await.len();
    b.submit("form#setup-form").await;
    b.expect_message("We sent a code to +44 77").await;
    let code = b.outbox_code(phone, texts).await;
    let seen = b.outbox(mail).await.len();
    b.fill("form#identity-form", "code", &code).await;
    b.submit("form#identity-form").await;
    let old_codes = b.recovery_codes().await;
    b.expect_notice(
        mail,
        seen,
        "Account protection was turned on, with text messages",
    )
    .await;
    b.click("a#continue").await;
    b.expect_protection("Text message", &["Log-on"]).await;
    assert!(
        !b.text("#protection-scenarios")
            .await
            .contains("Critical operations"),
        "carol protects log-on only"
    );

    // Critical operations are not protected: deleted at once.
    let gone = b.delete_first_resource().await;
    b.expect_path("/resources").await;
    b.expect_message(&format!("Deleted {gone}.")).await;

    // A change of method to an authenticator app, after a texted check.
    b.goto("/").await;
    b.submit("form#change-method").await;
    b.expect_path("/verify").await;
    let code = b.text_me_a_code(phone).await;
    b.fill("form#code-form", "code", &code).await;
    b.submit("form#code-form").await;
    b.expect_path("/protection/setup").await;
    b.set_checked("input[name=method][value=totp]", true).await;
    b.submit("form#method-form").await;
    let (href, uri, mut app) = b.shown_key().await;
    assert_eq!(uri.account(), mail, "{href}");
    let png = b.screenshot_element("#qr").await;
    assert_eq!(zbar_decode(&png, &env.tmp_file("carol-qr.png")), href);
    let seen = b.outbox(mail).await.len();
    b.fill("form#confirm-form", "code", &app.next_code().await)
        .await;
    b.submit("form#confirm-form").await;
    b.expect_path("/").await;
    b.expect_message("Changed: this factor now uses an authenticator app")
        .await;
    b.expect_protection("Authenticator app", &["Log-on"]).await;
    b.expect_notice(
        mail,
        seen,
        "One of your second factors was replaced: it is now an authenticator app",
    )
    .await;

    // New recovery codes after a check with the app; the old ones stop working.
    let seen = b.outbox(mail).await.len();
    b.submit("form#regenerate-recovery-codes").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    let new_codes = b.recovery_codes().await;
    b.expect_message("New recovery codes").await;
    assert!(
        new_codes.iter().all(|c| !old_codes.contains(c)),
        "the new recovery codes are new"
    );
    b.expect_notice(mail, seen, "New recovery codes were made")
        .await;
    b.sign_out().await;
    b.sign_in("carol", "carol-demo-pw").await;
    b.expect_path("/verify").await;
    b.use_recovery_code(&old_codes[0]).await;
    b.expect_path("/verify").await;
    b.expect_error("Wrong code").await;
    b.use_recovery_code(&new_codes[0]).await;
    b.expect_path("/").await;

    // Signing in now asks the app, not the phone.
    b.sign_out().await;
    b.sign_in("carol", "carol-demo-pw").await;
    b.expect_path("/verify").await;
    assert!(
        b.absent("form#send-code").await,
        "no texts after the change"
    );
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;

    // Rename the factor after a check (a bad name refused before it); the
    // last factor cannot be removed.
    b.fill("form.rename-factor", "name", " ").await;
    b.submit("form.rename-factor").await;
    b.expect_path("/").await;
    b.expect_error("The name: enter a name.").await;
    b.fill("form.rename-factor", "name", "Carol's phone app")
        .await;
    b.submit("form.rename-factor").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.expect_message("Renamed.").await;
    assert_eq!(b.text("tr.factor td.name").await, "Carol's phone app");
    b.submit("form.remove-factor").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.expect_error("The last factor cannot be removed").await;
    assert_eq!(b.count("tr.factor").await, 1, "the factor stays");

    // A second factor, a backup authenticator app, after a check; sign-in
    // then offers it instead of the first, and it can be removed.
    b.fill("form#add-factor", "name", "Backup app").await;
    b.submit("form#add-factor").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/protection/setup").await;
    b.set_checked("input[name=method][value=totp]", true).await;
    b.submit("form#method-form").await;
    let (_, _, mut backup) = b.shown_key().await;
    b.fill("form#confirm-form", "code", &backup.next_code().await)
        .await;
    b.submit("form#confirm-form").await;
    b.expect_path("/").await;
    b.expect_message("Added Backup app: an authenticator app can sign you in too.")
        .await;
    assert_eq!(b.count("tr.factor").await, 2, "two factors");
    b.sign_out().await;
    b.sign_in("carol", "carol-demo-pw").await;
    b.expect_path("/verify").await;
    // The check asks the first factor: the backup's code is not tried
    // against it.
    b.fill("form#code-form", "code", &backup.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_error("Wrong code").await;
    b.submit("form.choose-factor").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &backup.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.submit("tr.factor:last-child form.remove-factor").await;
    b.expect_path("/verify").await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.expect_message("Removed").await;
    assert_eq!(b.count("tr.factor").await, 1, "one factor left");

    b.turn_off(mail, async || {
        b.fill("form#code-form", "code", &app.next_code().await)
            .await;
        b.submit("form#code-form").await;
    })
    .await;
    b.close().await;
}

/// Turning protection on signs dave's other browser out. Wrong codes
/// again and again: the challenge holds the next try back and says for how
/// long; after that wait, the app's code signs in.
async fn dave(env: &Env<'_>) {
    let b = Browser::open(env, "dave").await;
    let mail = "dave@example.com";
    b.sign_in("dave", "dave-demo-pw").await;
    b.expect_path("/").await;
    // A second browser of dave's, signed in before protection is on.
    let other = Browser::open(env, "dave").await;
    other.sign_in("dave", "dave-demo-pw").await;
    other.expect_path("/").await;
    b.click("a#protect").await;
    b.set_checked("input[name=scenario][value=log-on]", true)
        .await;
    b.set_checked("input[name=scenario][value=critical]", false)
        .await;
    b.set_checked("input[name=method][value=totp]", true).await;
    let seen = b.outbox(mail).await.len();
    b.submit("form#setup-form").await;
    let code = b.outbox_code(mail, seen).await;
    b.fill("form#identity-form", "code", &code).await;
    b.submit("form#identity-form").await;
    let (_, _, mut app) = b.shown_key().await;
    b.fill("form#confirm-form", "code", &app.next_code().await)
        .await;
    b.submit("form#confirm-form").await;
    b.recovery_codes().await;
    b.click("a#continue").await;
    b.expect_protection("Authenticator app", &["Log-on"]).await;
    // Turning protection on signed the other browser out, and said so here.
    b.expect_message("Your other sessions were signed out.")
        .await;
    other.goto("/").await;
    other.expect_path("/login").await;
    other.close().await;

    b.sign_out().await;
    b.sign_in("dave", "dave-demo-pw").await;
    b.expect_path("/verify").await;
    // Three free failures, then waits of 1, 2, 4, 8 s… (the crate's default
    // throttle) until a try comes within one; the tenth failure would lock
    // the factor for 15 minutes, so nine tries at most.
    let mut held = None;
    let wrong = app.wrong_code();
    for attempt in 1..=9 {
        b.fill("form#code-form", "code", &wrong).await;
        b.submit("form#code-form").await;
        let message = b.message().await;
        if let Some(wait) = wait_in(&message) {
            b.expect_held_back().await;
            b.log(&format!("held back after {attempt} wrong codes"));
            held = Some(wait);
            break;
        }
        b.expect_error("Wrong code").await;
    }
    let wait = held.expect("repeated wrong codes are held back, with the time to wait");
    tokio::time::sleep(Duration::from_secs(wait + 1)).await;
    b.fill("form#code-form", "code", &app.next_code().await)
        .await;
    b.submit("form#code-form").await;
    b.expect_path("/").await;
    b.expect_message("You are signed in").await;
    admin_reset(env, &b).await;
    b.close().await;
}

/// An administrator resets dave's protection while dave is signed in
/// elsewhere: dave's session ends, his next sign-in asks no code, and the
/// outbox has the notice. The admin page is for administrators only.
async fn admin_reset(env: &Env<'_>, b: &Browser<'_>) {
    let mail = "dave@example.com";
    assert!(b.absent("a#admin").await, "no admin link for dave");
    b.goto("/admin").await;
    assert!(b.text("#forbidden").await.contains("Only administrators"));
    b.goto("/").await;
    b.expect_path("/").await;
    let seen = b.outbox(mail).await.len();

    let root = Browser::open(env, "root").await;
    root.sign_in("root", "root-demo-pw").await;
    root.expect_path("/").await;
    root.click("a#admin").await;
    root.expect_path("/admin").await;
    root.fill("form#admin-reset", "user", "dave").await;
    root.fill("form#admin-reset", "reason", " ").await;
    root.submit("form#admin-reset").await;
    root.expect_error("The reason: enter a name.").await;
    root.fill("form#admin-reset", "user", "nobody").await;
    root.fill("form#admin-reset", "reason", "ticket 4711").await;
    root.submit("form#admin-reset").await;
    root.expect_error("There is no such user.").await;
    root.fill("form#admin-reset", "user", "dave").await;
    root.fill("form#admin-reset", "reason", "ticket 4711: lost phone")
        .await;
    root.submit("form#admin-reset").await;
    root.expect_message("dave's protection is off").await;
    root.close().await;

    // Dave's open session has ended: the next page load goes to sign-in.
    b.goto("/").await;
    b.expect_path("/login").await;
    b.expect_notice(mail, seen, "administrator turned account protection off")
        .await;
    b.sign_in("dave", "dave-demo-pw").await;
    b.expect_path("/").await;
    assert!(
        b.text("#protection-status").await.contains("Off"),
        "dave's protection is off {}",
        b.context().await
    );
}

// ---------------------------------------------------------------------------
// The authenticator app

/// The user's authenticator app: codes from the key the page showed. The
/// server takes a code once, for a step after the last one it took, within
/// one step of now: so each code is for the step after the last one used,
/// and where that is more than a step ahead the app waits for the clock.
struct Authenticator {
    totp: Totp,
    last: Option<u64>,
}

impl Authenticator {
    fn new(totp: Totp) -> Self {
        Self { totp, last: None }
    }

    fn period(&self) -> u64 {
        self.totp.config().period()
    }

    /// The current step and the seconds left in it.
    fn now(&self) -> (u64, f64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let period = self.period() as f64;
        let step = (now / period).floor();
        (step as u64, (step + 1.0) * period - now)
    }

    fn code_at(&self, step: u64) -> String {
        self.totp.generate_at_step(step).to_string()
    }

    /// A code the server takes now, waiting for the next step if need be.
    async fn next_code(&mut self) -> String {
        self.code_from(false).await
    }

    /// As [`next_code`](Self::next_code), for a step that stays in the
    /// window for 30 s or more (a code to replay afterwards).
    async fn next_lasting_code(&mut self) -> String {
        self.code_from(true).await
    }

    async fn code_from(&mut self, lasting: bool) -> String {
        loop {
            let (step, left) = self.now();
            // A code for the step before stays in the window only until the
            // step ends: not with the page still to submit.
            let lowest = if left > 8.0 && !lasting {
                step - 1
            } else {
                step
            };
            let next = self.last.map_or(lowest, |last| lowest.max(last + 1));
            if next <= step + 1 {
                self.last = Some(next);
                return self.code_at(next);
            }
            tokio::time::sleep(Duration::from_secs_f64(left + 0.3)).await;
        }
    }

    /// The code last used, again, while its step is still in the window
    /// (so that only its being used already refuses it).
    fn replay(&self) -> String {
        let last = self.last.expect("a code was used");
        let (step, left) = self.now();
        assert!(
            last >= step || (last + 1 == step && left > 3.0),
            "the replayed code's step {last} is about to leave the window of step {step}"
        );
        self.code_at(last)
    }

    /// A well-formed code that is not the code of any step near now.
    fn wrong_code(&self) -> String {
        let (step, _) = self.now();
        let near: Vec<String> = (step - 3..=step + 3).map(|s| self.code_at(s)).collect();
        (step + 10..)
            .map(|s| self.code_at(s))
            .find(|c| !near.contains(c))
            .expect("a code not near now")
    }
}

/// The wait a message tells of, in seconds: "… in 57 s." or "… in 2 min.".
fn wait_in(message: &str) -> Option<u64> {
    let (_, rest) = message.rsplit_once(" in ")?;
    let mut words = rest.split(' ');
    let number: u64 = words.next()?.parse().ok()?;
    match words.next()?.trim_end_matches('.') {
        "s" => Some(number),
        "min" => Some(number * 60),
        _ => None,
    }
}

/// Another code of the same length as `code`.
fn wrong_oob_code(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '0'..='8' => char::from(c as u8 + 1),
            _ => '0',
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Browsers

/// What every scenario of one backend shares.
struct Env<'a> {
    backend: &'static str,
    base: String,
    driver: &'a Driver,
    /// Whether this run saves the screenshots (the SQLite one).
    shots: bool,
    started: Instant,
}

impl Env<'_> {
    fn tmp_file(&self, name: &str) -> PathBuf {
        self.driver.dir.join(format!("{}-{name}", self.backend))
    }
}

/// One user's browser: a Chromium of its own (profile, cookies).
struct Browser<'a> {
    env: &'a Env<'a>,
    user: &'static str,
    client: Client,
    _profile: TempDir,
}

impl<'a> Browser<'a> {
    async fn open(env: &'a Env<'a>, user: &'static str) -> Self {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": env.driver.chromium, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&env.driver.url)
            .await
            .unwrap_or_else(|e| panic!("[{}] no WebDriver session: {e}", env.backend));
        let browser = Self {
            env,
            user,
            client,
            _profile: profile,
        };
        browser.log("browser open");
        browser
    }

    async fn close(self) {
        self.log("done");
        let _ = self.client.close().await;
    }

    /// A progress line, shown with the failure if the test fails.
    fn log(&self, what: &str) {
        eprintln!(
            "[{} {} {:5.1}s] {what}",
            self.env.backend,
            self.user,
            self.env.started.elapsed().as_secs_f64()
        );
    }

    async fn goto(&self, path: &str) {
        self.log(&format!("GET {path}"));
        let url = format!("{}{path}", self.env.base.trim_end_matches('/'));
        self.client.goto(&url).await.expect("navigates");
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("a URL")
            .path()
            .to_owned()
    }

    /// Where the browser is and what the page says, for a failure.
    async fn context(&self) -> String {
        format!(
            "[{} {}] on {} with message {:?}",
            self.env.backend,
            self.user,
            self.path().await,
            self.message().await
        )
    }

    async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` {}: {e}", self.context().await),
        }
    }

    async fn absent(&self, css: &str) -> bool {
        self.count(css).await == 0
    }

    /// How many elements `css` matches now.
    async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("finds")
            .len()
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The page's `#message`, or "" without one.
    async fn message(&self) -> String {
        let found = self.client.find_all(Locator::Css("#message")).await;
        match found.ok().as_deref() {
            Some([element, ..]) => element.text().await.unwrap_or_default(),
            _ => String::new(),
        }
    }

    async fn expect_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        while self.path().await != path {
            assert!(
                Instant::now() < deadline,
                "expected {path} {}",
                self.context().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `#message` contains `text`.
    async fn expect_message(&self, text: &str) {
        let shown = self.text("#message").await;
        assert!(
            shown.contains(text),
            "expected a message with {text:?} {}",
            self.context().await
        );
        self.log(&format!("message: {shown}"));
    }

    /// `#message` is a refusal containing `text`.
    async fn expect_error(&self, text: &str) {
        self.expect_message(text).await;
        let class = self
            .find("#message")
            .await
            .attr("class")
            .await
            .expect("class");
        assert_eq!(class.as_deref(), Some("error"), "{}", self.context().await);
    }

    /// `#message` is a refusal that says how long to wait ("… in 57 s.").
    async fn expect_held_back(&self) {
        let shown = self.text("#message").await;
        assert!(
            wait_in(&shown).is_some(),
            "expected a refusal saying how long to wait {}",
            self.context().await
        );
        self.expect_error(&shown).await;
    }

    async fn click(&self, css: &str) {
        self.log(&format!("click {css}"));
        self.find(css).await.click().await.expect("clicks");
    }

    async fn set_checked(&self, css: &str, checked: bool) {
        let input = self.find(css).await;
        if input.is_selected().await.expect("selected?") != checked {
            input.click().await.expect("clicks");
        }
        assert_eq!(
            input.is_selected().await.expect("selected?"),
            checked,
            "{css} {}",
            self.context().await
        );
    }

    async fn fill(&self, form: &str, name: &str, value: &str) {
        let input = self.find(&format!("{form} [name={name}]")).await;
        input.clear().await.expect("clears");
        input.send_keys(value).await.expect("types");
    }

    /// Clicks the form's submit button, and waits for the next page.
    async fn submit(&self, form: &str) {
        self.log(&format!("submit {form}"));
        let old = self.find("html").await;
        self.find(&format!("{form} button[type=submit]"))
            .await
            .click()
            .await
            .expect("clicks");
        let deadline = Instant::now() + WAIT;
        // The old page's root goes stale once the next page is there.
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "submitting {form} led nowhere {}",
                self.context().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sign_in(&self, user: &str, password: &str) {
        self.goto("/login").await;
        self.fill("form#login", "username", user).await;
        self.fill("form#login", "password", password).await;
        self.submit("form#login").await;
    }

    async fn sign_out(&self) {
        self.submit("form#logout").await;
        self.expect_path("/login").await;
    }

    /// Opens "Use a recovery code", types `code`, submits.
    async fn use_recovery_code(&self, code: &str) {
        let input = self.find("form#recovery-form [name=recovery_code]").await;
        if !input.is_displayed().await.expect("displayed?") {
            self.click("details summary").await;
        }
        self.fill("form#recovery-form", "recovery_code", code).await;
        self.submit("form#recovery-form").await;
    }

    /// On the challenge page: "Text me a code", then the code texted. If
    /// the last text was too recent, the page says how long to wait: this
    /// waits that long, as a person would, and asks again.
    async fn text_me_a_code(&self, phone: &str) -> String {
        let seen = self.outbox(phone).await.len();
        for _ in 0..3 {
            self.submit("form#send-code").await;
            let message = self.message().await;
            let Some(wait) = wait_in(&message) else {
                break;
            };
            assert_eq!(
                self.find("#message")
                    .await
                    .attr("class")
                    .await
                    .expect("class")
                    .as_deref(),
                Some("error")
            );
            self.log(&format!("held back: {message}"));
            tokio::time::sleep(Duration::from_secs(wait + 1)).await;
        }
        self.expect_message("We sent").await;
        self.outbox_code(phone, seen).await
    }

    /// The key the setup page shows, read as a phone would: the secret
    /// in `#secret`, the `otpauth://` link of `a#otpauth` (as written and
    /// parsed), and an authenticator holding that key.
    async fn shown_key(&self) -> (String, KeyUri, Authenticator) {
        let shown = self.text("#secret").await.replace(' ', "");
        let secret = Secret::from_base32(&shown).expect("a secret");
        let href = self
            .find("a#otpauth")
            .await
            .attr("href")
            .await
            .expect("href");
        let href = href.expect("a#otpauth has an href");
        let uri = KeyUri::parse(&href).expect("a key URI");
        let totp = Totp::new(&secret, uri.totp_config().expect("TOTP")).expect("a TOTP key");
        (href, uri, Authenticator::new(totp))
    }

    /// The recovery codes page: its codes, and a download link with them.
    async fn recovery_codes(&self) -> Vec<String> {
        let items = self
            .find("#recovery-codes")
            .await
            .find_all(Locator::Css("li"))
            .await
            .expect("the codes");
        let mut codes = Vec::new();
        for item in items {
            codes.push(item.text().await.expect("a code").trim().to_owned());
        }
        assert!(codes.len() >= 5, "{codes:?} {}", self.context().await);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "repeated recovery codes");
        let link = self.find("a#download-recovery-codes").await;
        assert!(
            link.attr("download").await.expect("attr").is_some(),
            "a download link"
        );
        let href = link.attr("href").await.expect("attr").expect("an href");
        let text = percent_decode(href.split_once(',').map_or("", |(_, data)| data));
        let downloaded: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            downloaded, codes,
            "the download is not the codes shown: {href}"
        );
        self.log(&format!("{} recovery codes", codes.len()));
        codes
    }

    /// The account page says protection is on, by `method`, for `scenarios`.
    async fn expect_protection(&self, method: &str, scenarios: &[&str]) {
        self.expect_path("/").await;
        assert_eq!(self.text("#protection-status").await, "On");
        let shown = self.text("#protection-method").await;
        assert!(shown.contains(method), "method {shown:?}, not {method:?}");
        assert_eq!(
            self.count("#factors tr.factor").await,
            1,
            "one named factor"
        );
        let shown = self.text("#factors tr.factor").await;
        assert!(shown.contains(method), "factors {shown:?}, not {method:?}");
        let shown = self.text("#protection-scenarios").await;
        for scenario in scenarios {
            assert!(
                shown.contains(scenario),
                "scenarios {shown:?} lack {scenario:?}"
            );
        }
    }

    /// The resources listed on `/resources`.
    async fn resources(&self) -> Vec<String> {
        self.goto("/resources").await;
        let mut names = Vec::new();
        for form in self
            .client
            .find_all(Locator::Css("form.delete-resource"))
            .await
            .expect("finds")
        {
            let input = form
                .find(Locator::Css("input[name=resource]"))
                .await
                .expect("the resource's name");
            names.push(input.attr("value").await.expect("attr").unwrap_or_default());
        }
        names
    }

    /// Clicks Delete on the first resource listed; its name.
    async fn delete_first_resource(&self) -> String {
        let names = self.resources().await;
        let name = names.first().expect("a resource to delete").clone();
        self.submit("form.delete-resource").await;
        name
    }

    /// Turns protection off: the fresh check (`answer` on the challenge
    /// page), then the account page says Off and the notice is in the outbox.
    async fn turn_off(&self, mail: &str, answer: impl AsyncFnOnce()) {
        self.goto("/").await;
        let seen = self.outbox(mail).await.len();
        self.submit("form#turn-off").await;
        self.expect_path("/verify").await;
        answer().await;
        self.expect_path("/").await;
        self.expect_message("Account protection is off").await;
        assert_eq!(self.text("#protection-status").await, "Off");
        self.find("a#protect").await;
        self.expect_notice(mail, seen, "Account protection was turned off")
            .await;
    }

    /// The bodies of the messages sent to `to`, newest first, read from
    /// `/outbox` in a tab of its own (the page at hand stays as it is).
    async fn outbox(&self, to: &str) -> Vec<String> {
        let here = self.client.window().await.expect("a window");
        let tab = self.client.new_window(true).await.expect("a tab");
        self.client
            .switch_to_window(tab.handle)
            .await
            .expect("switches");
        let url = format!("{}/outbox", self.env.base.trim_end_matches('/'));
        self.client.goto(&url).await.expect("the outbox");
        let css = format!("article.message[data-to=\"{to}\"] pre.body");
        let mut bodies = Vec::new();
        for body in self
            .client
            .find_all(Locator::Css(&css))
            .await
            .expect("finds")
        {
            bodies.push(body.text().await.expect("a body"));
        }
        self.client.close_window().await.expect("closes the tab");
        self.client.switch_to_window(here).await.expect("switches");
        bodies
    }

    /// The bodies sent to `to` after the first `seen`, newest first, once
    /// there is at least one.
    async fn outbox_new(&self, to: &str, seen: usize) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let bodies = self.outbox(to).await;
            if bodies.len() > seen {
                let new = bodies.len() - seen;
                return bodies.into_iter().take(new).collect();
            }
            assert!(
                Instant::now() < deadline,
                "nothing new sent to {to} {}",
                self.context().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The code in the newest message sent to `to` after the first `seen`.
    async fn outbox_code(&self, to: &str, seen: usize) -> String {
        let body = self.outbox_new(to, seen).await.remove(0);
        let code = body
            .split(|c: char| !c.is_ascii_digit())
            .find(|digits| (6..=10).contains(&digits.len()))
            .unwrap_or_else(|| panic!("no code in the message to {to}: {body:?}"))
            .to_owned();
        self.log(&format!("code {code} from the outbox for {to}"));
        code
    }

    /// A notice e-mail containing `text` was sent to `to` after the first `seen`.
    async fn expect_notice(&self, to: &str, seen: usize, text: &str) {
        let new = self.outbox_new(to, seen).await;
        assert!(
            new.iter().any(|body| body.contains(text)),
            "no notice {text:?} to {to} among {new:?}"
        );
        self.log(&format!("notice: {text}"));
    }

    async fn screenshot_element(&self, css: &str) -> Vec<u8> {
        self.find(css)
            .await
            .screenshot()
            .await
            .expect("a screenshot")
    }

    /// The page as shown, into `screenshots/<name>.png` (SQLite run only).
    async fn save_screenshot(&self, name: &str) {
        if !self.env.shots {
            return;
        }
        // The page: its content, without the empty window below it.
        let png = self.screenshot_element("html").await;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("writes the screenshot");
        self.log(&format!("screenshot {name}.png"));
    }
}

/// `%XX` escapes decoded (a `data:` URL's text).
fn percent_decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(v) if b == b'%' => {
                bytes.push(v);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}

/// What `zbarimg` reads in a PNG (written to `path` first).
fn zbar_decode(png: &[u8], path: &Path) -> String {
    std::fs::write(path, png).expect("writes the PNG");
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .expect("runs zbarimg");
    assert!(
        out.status.success(),
        "zbarimg read no QR code in {}: {out:?}",
        path.display()
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim_end_matches('\n')
        .to_owned()
}

// ---------------------------------------------------------------------------
// Processes: chromedriver, the console, and PostgreSQL's database

/// Whether chromium, chromedriver and zbarimg all run: a notice for those
/// that do not, or a failure under `MFA_REQUIRE_INTEROP=1`.
fn tools_available() -> bool {
    let mut missing = Vec::new();
    for (tool, package) in [
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("zbarimg", "zbar-tools"),
    ] {
        match Command::new(tool).arg("--version").output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => missing.push(format!("`{tool} --version` exited with {}", out.status)),
            Err(e) => missing.push(format!("{tool} not found ({e}; Debian: {package})")),
        }
    }
    if missing.is_empty() {
        return true;
    }
    let message = format!("browser test not run: {}", missing.join("; "));
    if std::env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
        panic!("{message}; MFA_REQUIRE_INTEROP=1 requires them");
    }
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures: this notice must show even on success.
    let _ = writeln!(std::io::stderr(), "{message}");
    false
}

/// A child process in a process group of its own, killed with its group
/// when dropped (chromedriver's Chromiums with it, even when a test fails
/// half-way), its output kept in files and shown when the test fails.
struct Proc {
    name: &'static str,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, command: &mut Command, dir: &Path) -> Self {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("a log file"))
            .stderr(File::create(&stderr).expect("a log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name,
            child,
            stdout,
            stderr,
        }
    }

    fn output(&self) -> String {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        format!("{}{}", read(&self.stdout), read(&self.stderr))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group's id is the child's: kill them all, then reap the child.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let output = self.output();
            let lines: Vec<&str> = output.lines().collect();
            let tail = lines
                .get(lines.len().saturating_sub(30)..)
                .unwrap_or_default();
            let _ = writeln!(
                std::io::stderr(),
                "--- the last lines {} wrote ---\n{}",
                self.name,
                tail.join("\n")
            );
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// chromedriver on a free port.
struct Driver {
    url: String,
    chromium: PathBuf,
    dir: PathBuf,
    _proc: Proc,
}

impl Driver {
    fn start(dir: &Path) -> Self {
        let chromium = std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("chromium"))
                    .find(|path| path.is_file())
            })
            .expect("chromium on PATH");
        let port = free_port();
        let proc = Proc::spawn(
            "chromedriver",
            Command::new("chromedriver").arg(format!("--port={port}")),
            dir,
        );
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver does not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            dir: dir.to_owned(),
            _proc: proc,
        }
    }
}

/// Where the console keeps its records.
enum Backend {
    /// A fresh file in the test's temporary directory.
    Sqlite,
    /// A database of the test's own.
    Postgres(PgDatabase),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// The console binary on a free port.
struct Console {
    url: String,
    _proc: Proc,
}

impl Console {
    fn start(backend: &Backend, dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mfa-console"));
        command
            .current_dir(dir)
            .args(["--addr", "127.0.0.1:0", "--keys"])
            .arg(dir.join("console.keys"))
            .env_remove("DATABASE_URL")
            .env_remove("MFA_CONSOLE_SCHEMA")
            .env_remove("MFA_CONSOLE_OOB_KEY")
            .env_remove("MFA_CONSOLE_SEALING_KEY");
        match backend {
            Backend::Sqlite => {
                command
                    .arg("--database")
                    .arg(format!("sqlite://{}", dir.join("console.db").display()));
            }
            Backend::Postgres(db) => {
                command.env("DATABASE_URL", &db.url);
            }
        }
        let mut proc = Proc::spawn("mfa-console", &mut command, dir);
        // The first line that starts with `console: ` carries the URL.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = std::fs::read_to_string(&proc.stdout).unwrap_or_default();
            if let Some(url) = out
                .lines()
                .find_map(|line| line.strip_prefix("console: "))
                .filter(|url| url.starts_with("http://"))
            {
                return Self {
                    url: url.trim().to_owned(),
                    _proc: proc,
                };
            }
            if let Ok(Some(status)) = proc.child.try_wait() {
                panic!("the console exited with {status}:\n{}", proc.output());
            }
            assert!(
                Instant::now() < deadline,
                "the console printed no URL:\n{}",
                proc.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A PostgreSQL database of the test's own, dropped at the end.
struct PgDatabase {
    name: String,
    admin: String,
    url: String,
}

impl PgDatabase {
    /// A new database, or `None` with a notice when the server does not
    /// answer (a failure under `MFA_REQUIRE_INTEROP=1`).
    async fn create() -> Option<Self> {
        let admin = std::env::var("MFA_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("mfa_console_e2e_{}_{nanos}", std::process::id());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) => {
                let message = format!("browser test on PostgreSQL not run: {admin}: {e}");
                if std::env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
                    panic!("{message}; MFA_REQUIRE_INTEROP=1 requires it");
                }
                let _ = writeln!(std::io::stderr(), "{message}");
                return None;
            }
        };
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("a database");
        let _ = conn.close().await;
        let url = with_database(&admin, &name);
        Some(Self { name, admin, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Dropped outside the test's runtime: a thread with one of its own.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .map(drop)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
